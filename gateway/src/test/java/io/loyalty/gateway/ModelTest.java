package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Model-based: random sequences of enrolments, purchases (refused ones too), authorisations, captures, voids,
 * refunds, offline batch items, replays and clock moves, each answer checked against a small model of the program
 * (5% on the paid part, at most 30% of a receipt in points, 1 ₽ points, holds for 60 s); then PostgreSQL's ledger
 * after the write-behind drained, then every member once Redis has been wiped and reloaded from PostgreSQL.
 */
class ModelTest {
  static TestGateway gw;

  @BeforeContainer
  static void start() {
    gw = TestGateway.start();
  }

  @AfterContainer
  static void stop() {
    gw.close();
  }

  @Property(tries = 12, shrinking = ShrinkingMode.OFF)
  void everyAnswerAndBalanceIsTheModelsAndSurvivesTheWriteBehindAndARedisWipe(
      @ForAll("chains") ActionChain<World> chain) throws Exception {
    World world = chain.run();
    for (Member m : world.members) {
      assertThat(balance(world.view(m))).as("member " + m.id).isEqualTo(world.expected(m));
    }
    gw.awaitDrained();
    Map<String, JsonObject> views = new HashMap<>();
    try (Connection sql = gw.sql()) {
      for (Member m : world.members) {
        JsonObject view = world.view(m);
        views.put(m.id, view);
        long[] ledger = WriteBehindTest.ledgerSums(sql, m.id);
        assertThat(ledger).as("ledger of " + m.id).containsExactly(m.available, 0, m.held());
      }
    }
    // the managers' liability, kept from the same batches, says what the members' balances say
    JsonObject liability = gw.call("GET", "/v1/admin/programs/" + world.program + "/liability",
        TestGateway.ADMIN_TOKEN, null, null).json();
    assertThat(liability.getLong("available_points")).isEqualTo(world.members.stream().mapToLong(m -> m.available).sum());
    assertThat(liability.getLong("held_points")).isEqualTo(world.members.stream().mapToLong(Member::held).sum());
    assertThat(liability.getLong("members_total")).isEqualTo(world.members.size());
    gw.awaitDrained();
    gw.restart(() -> gw.redis().flushall());
    for (Member m : world.members) {
      assertThat(world.view(m)).as("reloaded " + m.id).isEqualTo(views.get(m.id));
    }
  }

  @Provide
  Arbitrary<ActionChain<World>> chains() {
    return ActionChain.startWith(World::new)
        .withAction(2, new Enrol())
        .withAction(6, new Purchase(false))
        .withAction(2, new Purchase(true))
        .withAction(3, new Authorize())
        .withAction(3, new Capture())
        .withAction(2, new VoidHold())
        .withAction(3, new Refund())
        .withAction(2, new Replay())
        .withAction(2, new Advance())
        .withMaxTransformations(40);
  }

  static JsonObject balance(JsonObject json) {
    return json.getJsonObject("balance");
  }

  // ---- the model ---------------------------------------------------------------------------------------

  static final class Member {
    final String id;
    long available;
    final List<Hold> holds = new ArrayList<>();

    Member(String id) {
      this.id = id;
    }

    long held() {
      return holds.stream().filter(h -> h.open).mapToLong(h -> h.points).sum();
    }
  }

  static final class Hold {
    final Member member;
    final String id;
    final long total;
    final long points;
    final long expiresAt;
    boolean open = true;
    boolean expired;

    Hold(Member member, String id, long total, long points, long expiresAt) {
      this.member = member;
      this.id = id;
      this.total = total;
      this.points = points;
      this.expiresAt = expiresAt;
    }
  }

  /** A captured purchase or authorisation, as refunds see it. */
  static final class Bought {
    final Member member;
    final String id;
    final long total;
    final long redeemed;
    final long accrued;
    long refunded;
    long reversed;
    long restored;

    Bought(Member member, String id, long total, long redeemed, long accrued) {
      this.member = member;
      this.id = id;
      this.total = total;
      this.redeemed = redeemed;
      this.accrued = accrued;
    }
  }

  /** A request that succeeded, to send again. */
  record Sent(String method, String path, String key, String body, int status, JsonObject answer) {
  }

  static final class World {
    final String program = gw.program(new JsonObject().put("hold_ttl_seconds", 60));
    final String till = gw.till(program);
    final List<Member> members = new ArrayList<>();
    final List<Hold> holds = new ArrayList<>();
    final List<Bought> bought = new ArrayList<>();
    final List<Sent> sent = new ArrayList<>();
    int keys;

    String key() {
      return "k-" + keys++;
    }

    /** Holds past their time are released (by a touch or by the sweeper: the balance is the same). */
    void expireHolds() {
      for (Hold h : holds) {
        if (h.open && h.expiresAt <= gw.clock.millis()) {
          h.open = false;
          h.expired = true;
          h.member.available += h.points;
        }
      }
    }

    JsonObject expected(Member m) {
      expireHolds();
      return new JsonObject().put("available", m.available).put("pending", 0).put("held", m.held());
    }

    JsonObject view(Member m) {
      return gw.memberView(till, m.id);
    }

    Response call(String method, String path, String body) {
      String key = key();
      Response response = gw.call(method, path, till, key, body);
      if (response.status() < 300) {
        sent.add(new Sent(method, path, key, body, response.status(), response.json()));
      }
      return response;
    }

    void assertBalance(Member m, Response response) {
      assertThat(response.status()).as(response.raw().body()).isLessThan(300);
      assertThat(balance(response.json())).as(response.raw().body()).isEqualTo(expected(m));
    }

    /** A capture or void of an authorisation no longer open is refused (true), with its state's code. */
    boolean refusedAsClosed(Hold h, Response response) {
      if (h.open) {
        return false;
      }
      assertRefused(h.member, response, h.expired ? "authorization_expired" : "invalid_state");
      return true;
    }

    void assertRefused(Member m, Response response, String code) {
      assertThat(response.status()).as(response.raw().body()).isBetween(400, 499);
      assertThat(response.json().getString("code")).isEqualTo(code);
      assertThat(balance(view(m))).isEqualTo(expected(m));
    }
  }

  static long cap(long eligibleMinor) {
    return eligibleMinor * 3000 / (10_000 * 100);
  }

  static long accrual(long eligibleMinor, long redeemed) {
    return (eligibleMinor - redeemed * 100) * 500 / (10_000 * 100);
  }

  // ---- the actions -------------------------------------------------------------------------------------

  static final class Enrol implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Arbitraries.just(Transformer.mutate("enrol", w -> w.members.add(new Member(gw.member(w.till)))));
    }
  }

  /** A purchase, or (offline) a batch of one; it may ask for more points than allowed. */
  record Purchase(boolean offline) implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.members.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return net.jqwik.api.Combinators.combine(Arbitraries.of(w.members), Arbitraries.longs().between(100, 200_000),
          Arbitraries.oneOf(Arbitraries.just(0L), Arbitraries.just(-1L), Arbitraries.longs().between(1, 700)))
          .as((m, amount, redeem) -> Transformer.mutate((offline ? "offline " : "") + "purchase " + amount
              + " redeeming " + redeem, world -> purchase(world, m, amount, redeem)));
    }

    void purchase(World w, Member m, long amount, long redeem) {
      w.expireHolds();
      JsonObject body = TestGateway.purchase(m.id, "R-" + w.keys, amount, redeem < 0 ? "max" : redeem == 0 ? null : redeem);
      long maxRedeemable = Math.min(cap(amount), Math.max(0, m.available));
      Response response;
      if (offline) {
        String key = w.key();
        JsonObject batch = new JsonObject().put("items", new JsonArray().add(new JsonObject().put("idempotency_key", key)
            .put("kind", "purchase").put("occurred_at", gw.clock.instant().toString()).put("body", body)));
        JsonObject result = gw.call("POST", "/v1/batches", w.till, null, batch.encode()).json()
            .getJsonArray("results").getJsonObject(0);
        response = new Response(result.getInteger("status"), result.getJsonObject("body"), null);
        if (response.status() < 300) {
          w.sent.add(new Sent("POST", "/v1/purchases", key, body.encode(), 201, response.json()));
        }
      } else {
        response = w.call("POST", "/v1/purchases", body.encode());
      }
      if (redeem > cap(amount)) {
        assertThat(response.json().getString("code")).isEqualTo("redeem_cap_exceeded");
        assertThat(response.json().getLong("max_redeemable_points")).isEqualTo(maxRedeemable);
        return;
      }
      if (redeem > Math.max(0, m.available)) {
        assertThat(response.json().getString("code")).isEqualTo("insufficient_points");
        return;
      }
      long redeemed = redeem < 0 ? maxRedeemable : redeem;
      long accrued = accrual(amount, redeemed);
      m.available += accrued - redeemed;
      assertThat(response.status()).as(response.json().encode()).isEqualTo(201);
      assertThat(response.json().getLong("redeemed_points")).isEqualTo(redeemed);
      assertThat(response.json().getLong("accrued_points")).isEqualTo(accrued);
      assertThat(balance(response.json())).isEqualTo(w.expected(m));
      w.bought.add(new Bought(m, response.json().getString("transaction_id"), amount, redeemed, accrued));
    }
  }

  static final class Authorize implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.members.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return net.jqwik.api.Combinators.combine(Arbitraries.of(w.members), Arbitraries.longs().between(100, 200_000))
          .as((m, amount) -> Transformer.mutate("authorize " + amount, world -> {
            world.expireHolds();
            long points = Math.min(cap(amount), Math.max(0, m.available));
            Response response = world.call("POST", "/v1/authorizations",
                TestGateway.purchase(m.id, "A-" + world.keys, amount, "max").encode());
            m.available -= points;
            Hold hold = new Hold(m, response.json().getString("authorization_id"), amount, points,
                gw.clock.millis() + 60_000);
            m.holds.add(hold);
            world.holds.add(hold);
            assertThat(response.json().getLong("held_points")).isEqualTo(points);
            world.assertBalance(m, response);
          }));
    }
  }

  static final class Capture implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.holds.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return net.jqwik.api.Combinators.combine(Arbitraries.of(w.holds), Arbitraries.integers().between(0, 2))
          .as((h, how) -> Transformer.mutate("capture " + h.id + " " + how, world -> {
            world.expireHolds();
            long total = how == 0 ? h.total : how == 1 ? Math.max(1, h.total / 2) : h.total + 1;
            JsonObject body = how == 0 ? null : new JsonObject().put("total_minor", total);
            Response response = world.call("POST", "/v1/authorizations/" + h.id + "/capture",
                body == null ? null : body.encode());
            if (world.refusedAsClosed(h, response)) {
              return;
            }
            if (total > h.total) {
              world.assertRefused(h.member, response, "capture_exceeds_authorization");
            } else {
              long redeemed = Math.min(h.points, cap(total));
              long accrued = accrual(total, redeemed);
              h.open = false;
              h.member.available += h.points - redeemed + accrued;
              world.assertBalance(h.member, response);
              assertThat(response.json().getLong("accrued_points")).isEqualTo(accrued);
              world.bought.add(new Bought(h.member, h.id, total, redeemed, accrued));
            }
          }));
    }
  }

  static final class VoidHold implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.holds.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return Arbitraries.of(w.holds).map(h -> Transformer.mutate("void " + h.id, world -> {
        world.expireHolds();
        Response response = world.call("POST", "/v1/authorizations/" + h.id + "/void", null);
        if (!world.refusedAsClosed(h, response)) {
          h.open = false;
          h.member.available += h.points;
          world.assertBalance(h.member, response);
        }
      }));
    }
  }

  /** A partial refund by amount (sometimes more than is left). */
  static final class Refund implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.bought.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return net.jqwik.api.Combinators.combine(Arbitraries.of(w.bought), Arbitraries.integers().between(1, 110))
          .as((b, percent) -> Transformer.mutate("refund " + percent + "% of " + b.id, world -> {
            world.expireHolds();
            long amount = Math.max(1, b.total * percent / 100);
            Response response = world.call("POST", "/v1/refunds",
                new JsonObject().put("transaction_id", b.id).put("amount_minor", amount).encode());
            if (b.refunded + amount > b.total) {
              world.assertRefused(b.member, response, "refund_exceeds_purchase");
              return;
            }
            long after = b.refunded + amount; // eligible = total: one food line
            long reverse = b.accrued * after / b.total - b.reversed;
            long restore = b.redeemed * after / b.total - b.restored;
            b.refunded = after;
            b.reversed += reverse;
            b.restored += restore;
            b.member.available += restore;
            long clawed = Math.min(reverse, b.member.available);
            b.member.available -= clawed;
            assertThat(response.json().getLong("restored_points")).isEqualTo(restore);
            assertThat(response.json().getLong("reversed_accrual_points")).isEqualTo(clawed);
            assertThat(response.json().getLong("clawback_shortfall_points")).isEqualTo(reverse - clawed);
            world.assertBalance(b.member, response);
          }));
    }
  }

  /** A retry of a request that succeeded: its answer again, nothing more. */
  static final class Replay implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.sent.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return Arbitraries.of(w.sent).map(s -> Transformer.mutate("replay " + s.key(), world -> {
        Response again = gw.call(s.method(), s.path(), world.till, s.key(), s.body());
        assertThat(again.status()).isEqualTo(s.status());
        assertThat(again.header("idempotent-replayed")).isEqualTo("true");
        assertThat(again.json()).isEqualTo(s.answer());
      }));
    }
  }

  static final class Advance implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Arbitraries.integers().between(1, 90).map(seconds -> Transformer.mutate("advance " + seconds + " s",
          world -> gw.clock.advance(Duration.ofSeconds(seconds))));
    }
  }
}
