package io.loyalty.gateway.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The rules alone, over many more sequences than the HTTP model test can afford: random programs (expiry, pending
 * days, negative balances, restore grace, second life, tiers, point values) and random sequences of purchases,
 * offline purchases, authorisations, captures, voids, refunds by amount and by line, and clock moves. Every decision
 * must keep the state's invariants ({@link MemberState#check}, which a decision runs: a failure throws), move the
 * seq by its entries, and move the balances by exactly the entries' deltas.
 */
class RulesPropertyTest {
  static final long START = 1_800_000_000_000L;
  static final UUID TILL = UUID.randomUUID();

  /** One step: what to do, and two numbers it draws its details from. */
  record Step(int kind, long a, long b) {
  }

  @Provide
  Arbitrary<JsonObject> programs() {
    return Combinators.combine(Arbitraries.of(0, 1, 30), Arbitraries.of(0, 1), Arbitraries.of(false, true),
        Arbitraries.of(0, 7), Arbitraries.of(false, true), Arbitraries.of(1L, 100L), Arbitraries.of(3000, 10_000),
        Arbitraries.of(false, true)).as((expiry, pending, negative, grace, secondLife, pointValue, share, tiers) -> {
          JsonObject p = new JsonObject().put("currency", "RUB").put("pending_days", pending)
              .put("allow_negative_balance", negative).put("restore_grace_days", grace)
              .put("point_value_minor", pointValue).put("max_redeem_share_bp", share).put("hold_ttl_seconds", 3600);
          if (expiry > 0) {
            p.put("expiry_days", expiry);
          }
          if (secondLife && expiry > 0) {
            p.put("second_life", new JsonObject().put("window_days", 30).put("share_bp", 5000));
          }
          if (tiers) {
            p.put("tiers", new JsonArray().add(new JsonObject().put("name", "gold").put("min_spend_minor", 500_000)
                .put("accrual_rate_bp", 1000)));
          }
          return p;
        });
  }

  @Provide
  Arbitrary<List<Step>> steps() {
    return Combinators.combine(Arbitraries.integers().between(0, 8), Arbitraries.longs().between(0, 1_000_000),
        Arbitraries.longs().between(0, 1_000_000)).as(Step::new).list().ofMinSize(1).ofMaxSize(60);
  }

  @Property(tries = 3000)
  void everyDecisionKeepsTheInvariantsAndIsExplainedByItsEntries(@ForAll("programs") JsonObject config,
      @ForAll("steps") List<Step> steps) {
    Program program = Program.parse("p", config);
    Profile profile = new Profile("+79120000000", null, null, true, false, true, START);
    MemberState state = MemberState.enrolled(UUID.randomUUID(), "p", profile);
    Map<UUID, Transaction> transactions = new HashMap<>();
    long now = START;
    int receipt = 0;
    for (Step step : steps) {
      Command command;
      switch (step.kind()) {
        case 0, 1, 2 -> { // a purchase or an authorisation, now or offline (up to two days ago)
          List<SkuLine> lines = new ArrayList<>();
          long total = 0;
          long eligible = 0;
          for (int i = 0; i <= step.a() % 3; i++) {
            long amount = 100 + (step.a() * (i + 7)) % 300_000;
            long lineEligible = (step.b() >> i) % 4 == 0 ? 0 : amount; // now and then an excluded category
            lines.add(new SkuLine("sku-" + i, amount, lineEligible));
            total += amount;
            eligible += lineEligible;
          }
          long redeem = switch ((int) (step.b() % 3)) {
            case 0 -> 0;
            case 1 -> Command.REDEEM_MAX;
            default -> step.b() % (Math.max(0, state.available()) + 10);
          };
          long at = step.kind() == 2 ? now - step.a() % (2 * Rules.DAY_MILLIS) : now;
          command = new Command.Buy(UUID.randomUUID(), TILL, "s1", "R" + receipt++, total, eligible, lines, redeem,
              at, step.kind() == 1);
        }
        case 3, 4 -> { // capture or void one of the member's authorisations (or one it never had)
          List<Authorization> known = state.authorizations();
          UUID id = known.isEmpty() || step.a() % 5 == 0 ? UUID.randomUUID()
              : known.get((int) (step.a() % known.size())).id();
          Authorization a = state.authorization(id);
          long total = a == null || step.b() % 2 == 0 ? -1 : 1 + step.b() % (a.totalMinor() + 100);
          long eligible = a == null || total < 0 ? 0 : Rules.proportion(a.eligibleMinor(), Math.min(total,
              a.totalMinor()), a.totalMinor());
          command = step.kind() == 3 ? new Command.Capture(id, total, eligible, null) : new Command.Void(id);
        }
        case 5, 6 -> { // refund a captured transaction, by amount or by one of its lines
          List<Transaction> captured = transactions.values().stream()
              .filter(t -> Transaction.CAPTURED.equals(t.status())).toList();
          if (captured.isEmpty()) {
            continue;
          }
          Transaction t = captured.get((int) (step.a() % captured.size()));
          long left = t.totalMinor() - t.refunded().totalMinor();
          if (step.kind() == 5 || t.lines().isEmpty()) {
            command = new Command.Refund(UUID.randomUUID(), t, null, 1 + step.b() % (left + 50));
          } else {
            SkuLine line = t.lines().get((int) (step.b() % t.lines().size()));
            command = new Command.Refund(UUID.randomUUID(), t, Map.of(line.sku(), 1 + step.b() % line.amountMinor()),
                0);
          }
        }
        case 7 -> { // time passes: minutes to weeks
          now += step.a() % 3 == 0 ? step.b() * 60_000 % (40 * Rules.DAY_MILLIS) : step.b() % 7_200_000;
          command = new Command.Mature();
        }
        default -> command = new Command.Mature();
      }
      Decision d = Rules.decide(state, command, program, now);
      MemberState next = d.state();
      assertThat(next.seq()).as("seq moves by its entries").isEqualTo(state.seq() + d.entries().size());
      long available = 0;
      long pending = 0;
      long held = 0;
      for (Entry e : d.entries()) {
        available += e.availableDelta();
        pending += e.pendingDelta();
        held += e.heldDelta();
      }
      assertThat(new long[] {next.available(), next.pending(), next.held()}).as("balances moved by the entries")
          .containsExactly(state.available() + available, state.pending() + pending, state.held() + held);
      if (!(command instanceof Command.Mature)) {
        assertThat(d.answer() == null).as("an answer or a refusal").isNotEqualTo(d.refusal() == null);
      }
      d.transactions().forEach(t -> transactions.put(t.id(), t));
      state = next;
    }
  }
}
