package io.loyalty.benchmarks;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.purchase.Receipt;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.rules.Visit;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One decision of the rules, as production makes it: a purchase of a pre-generated 10-line receipt (a tobacco line
 * in some, a third redeeming as much as allowed) by a member holding {@code lots} lots, against a four-tier
 * program with expiry and a return window. Run with {@code -prof gc} for bytes per decision.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RulesBenchmark {
  static final long NOW = 1_800_000_000_000L;
  private static final int RECEIPTS = 1024;

  @Param({"1", "50", "500"})
  int lots;

  @Param({"10"})
  int lines;

  private Program program;
  private MemberState member;
  private Command.Buy[] purchases;
  private int next;

  @Setup
  public void setUp() {
    program = program();
    member = member(new SplittableRandom(5), lots);
    SplittableRandom random = new SplittableRandom(7);
    purchases = new Command.Buy[RECEIPTS];
    for (int r = 0; r < RECEIPTS; r++) {
      Receipt.Planned planned = receipt(random, lines).plan(program);
      purchases[r] = new Command.Buy(UUID.randomUUID(), UUID.randomUUID(), "store-1", "R-" + r, planned.totalMinor(),
          planned.eligibleMinor(), planned.lines(), r % 3 == 0 ? Command.REDEEM_MAX : 0, NOW, false);
    }
  }

  @Benchmark
  public Decision purchase() {
    return Rules.decide(member, purchases[next++ & (RECEIPTS - 1)], program, NOW);
  }

  static Program program() {
    return Program.parse("bench", new JsonObject().put("currency", "RUB").put("expiry_days", 365)
        .put("pending_days", 14)
        .put("excluded_categories", new JsonArray().add("tobacco").add("alcohol").add("gift-cards"))
        .put("tiers", new JsonArray()
            .add(tier("Base", 0, 300)).add(tier("Silver", 500_000, 500))
            .add(tier("Gold", 2_000_000, 700)).add(tier("Platinum", 10_000_000, 1000))));
  }

  /** A member with this many lots: the last 14 days' pending, the rest available, expiring over the next year. */
  static MemberState member(SplittableRandom random, int lots) {
    List<Lot> pending = new ArrayList<>();
    List<Lot> available = new ArrayList<>();
    long sumPending = 0;
    long sumAvailable = 0;
    for (int i = 0; i < lots; i++) {
      long points = 10 + random.nextLong(400);
      long remaining = 1 + random.nextLong(points);
      if (i >= lots - Math.min(lots / 4, 14)) {
        long activateAt = NOW + (i - lots + 15) * Rules.DAY_MILLIS;
        pending.add(new Lot(i + 1, points, points, activateAt, activateAt + 365 * Rules.DAY_MILLIS));
        sumPending += points;
      } else {
        long expireAt = NOW + (i + 1) * Rules.DAY_MILLIS * 300 / Math.max(1, lots);
        available.add(new Lot(i + 1, points, remaining, expireAt - 365 * Rules.DAY_MILLIS, expireAt));
        sumAvailable += remaining;
      }
    }
    return new MemberState(UUID.randomUUID(), "bench", 10L * lots, sumAvailable, sumPending, 0, 0, 3_000_000,
        List.copyOf(pending), List.copyOf(available), List.of(),
        new Profile("+79991234567", "CARD-0001", null, true, false, true, NOW - 400 * Rules.DAY_MILLIS), List.of(),
        visits()).check();
  }

  /** The periods of a member who bought every third day for the last 120 days, at two stores. */
  static List<Visit> visits() {
    Map<List<Object>, Visit> visits = new LinkedHashMap<>();
    for (long at = NOW - 120 * Rules.DAY_MILLIS; at < NOW; at += 3 * Rules.DAY_MILLIS) {
      long[] starts = Visit.starts(at);
      for (int p = 0; p < Visit.PERIODS.length(); p++) {
        char period = Visit.PERIODS.charAt(p);
        String store = period == 's' ? "store-" + (at / Rules.DAY_MILLIS % 2) : "";
        Visit first = new Visit(period, starts[p], store, 1, false);
        visits.merge(List.of(period, starts[p], store), first,
            (a, b) -> new Visit(a.period(), a.start(), a.store(), 2, true));
      }
    }
    return List.copyOf(visits.values());
  }

  static Receipt receipt(SplittableRandom random, int lines) {
    String[] categories = {"dairy", "bakery", "produce", "meat", "household", "tobacco", "drinks", "snacks"};
    List<Receipt.Line> receiptLines = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < lines; i++) {
      long amount = 5_000 + random.nextLong(150_000);
      receiptLines.add(new Receipt.Line("sku-" + random.nextInt(50_000), categories[random.nextInt(categories.length)],
          amount));
      total += amount;
    }
    return new Receipt("R", total, List.copyOf(receiptLines));
  }

  private static JsonObject tier(String name, long minSpend, long rateBp) {
    return new JsonObject().put("name", name).put("min_spend_minor", minSpend).put("accrual_rate_bp", rateBp);
  }
}
