package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Authorise, then capture or void; holds that expire; the state machine and its races. */
class AuthorizationTest extends GatewayTest {

  /** A till in a fresh program and a member with 200 available points (5% of 4 000 ₽). */
  static final Map<String, String> TILL_BY_MEMBER = new ConcurrentHashMap<>();

  @AfterAll
  static void postgresExplainsEveryBalance() {
    gw.assertPostgresExplainsEveryBalance(TILL_BY_MEMBER);
  }

  record Setup(String program, String till, String member) {
    static Setup create(JsonObject config) {
      String program = gw.program(config);
      String till = gw.till(program);
      String member = gw.member(till);
      TILL_BY_MEMBER.put(member, till);
      assertThat(gw.purchase(till, "seed", TestGateway.purchase(member, "R-0", 400_000, null)).json()
          .getJsonObject("balance").getLong("available")).isEqualTo(200);
      return new Setup(program, till, member);
    }

    Response authorize(String key, long total, Object redeem) {
      return gw.call("POST", "/v1/authorizations", till, key, TestGateway.purchase(member, "A-" + key, total, redeem).encode());
    }

    Response capture(String id, String key, JsonObject body) {
      return gw.call("POST", "/v1/authorizations/" + id + "/capture", till, key, body == null ? null : body.encode());
    }

    Response voidIt(String id, String key) {
      return gw.call("POST", "/v1/authorizations/" + id + "/void", till, key, null);
    }

    JsonObject balance() {
      return gw.memberView(till, member).getJsonObject("balance");
    }
  }

  static JsonObject balance(long available, long pending, long held) {
    return new JsonObject().put("available", available).put("pending", pending).put("held", held);
  }

  @Test
  void captureAtALowerTotalSplitsTheHoldAndAccruesOnTheCapturedAmount() {
    Setup s = Setup.create(new JsonObject().put("expiry_days", 365));
    Response auth = s.authorize("a1", 100_000, "max");
    assertThat(auth.status()).isEqualTo(201);
    JsonObject a = auth.json();
    assertThat(a.getString("status")).isEqualTo("authorized");
    assertThat(a.getLong("held_points")).isEqualTo(200); // cap 300, balance 200
    assertThat(a.getLong("expected_accrual_points")).isEqualTo(40); // 5% of the 800 ₽ paid
    assertThat(a.getJsonObject("balance")).isEqualTo(balance(0, 0, 200));
    String id = a.getString("authorization_id");

    // the final bill is 500 ₽: at most 150 points on it; 50 go back; 5% of the 350 ₽ paid = 17 points
    Response captured = s.capture(id, "c1", new JsonObject().put("total_minor", 50_000));
    assertThat(captured.status()).as(captured.raw().body()).isEqualTo(200);
    JsonObject c = captured.json();
    assertThat(c.getString("status")).isEqualTo("captured");
    assertThat(c.getString("transaction_id")).isEqualTo(id);
    assertThat(c.getLong("redeemed_points")).isEqualTo(150);
    assertThat(c.getLong("saved_minor")).isEqualTo(15_000);
    assertThat(c.getLong("amount_due_minor")).isEqualTo(35_000);
    assertThat(c.getLong("accrued_points")).isEqualTo(17);
    assertThat(c.getJsonObject("balance")).isEqualTo(balance(50 + 17, 0, 0));
    assertThat(c.getLong("lifetime_spend_minor")).isEqualTo(400_000 + 50_000);

    JsonObject read = gw.call("GET", "/v1/authorizations/" + id, s.till(), null, null).json();
    assertThat(read.getString("status")).isEqualTo("captured");
    assertThat(read.getJsonObject("captured")).isEqualTo(new JsonObject().put("total_minor", 50_000)
        .put("redeemed_points", 150).put("saved_minor", 15_000).put("accrued_points", 17));
    assertThat(kinds(s)).containsExactly("accrue", "release", "capture", "hold", "accrue");
  }

  @Test
  void everyMovementIsCountedByLedgerKindOnceAndNeverForAReplay() {
    Setup s = Setup.create(new JsonObject().put("expiry_days", 365)); // the seed purchase accrued 200
    assertThat(moved(s, "accrue")).isEqualTo(200);
    String id = s.authorize("a1", 100_000, "max").json().getString("authorization_id");
    JsonObject capture = new JsonObject().put("total_minor", 50_000);
    assertThat(s.capture(id, "c1", capture).status()).isEqualTo(200);
    assertThat(s.capture(id, "c1", capture).header("idempotent-replayed")).isEqualTo("true");
    // hold 200; capture 150 of it and release 50; accrue 17 on the 350 paid: once, the replay moved nothing
    assertThat(moved(s, "hold")).isEqualTo(200);
    assertThat(moved(s, "capture")).isEqualTo(150);
    assertThat(moved(s, "release")).isEqualTo(50);
    assertThat(moved(s, "accrue")).isEqualTo(200 + 17);

    JsonObject batch = new JsonObject().put("items", new io.vertx.core.json.JsonArray().add(new JsonObject()
        .put("idempotency_key", "offline-1").put("occurred_at", gw.clock.instant().toString()).put("kind", "purchase")
        .put("body", TestGateway.purchase(s.member(), "OFF-1", 100_000, 10))));
    for (int i = 0; i < 2; i++) {
      assertThat(gw.call("POST", "/v1/batches", s.till(), null, batch.encode()).status()).isEqualTo(200);
    }
    assertThat(moved(s, "redeem")).isEqualTo(10);
    assertThat(moved(s, "accrue")).isEqualTo(200 + 17 + 49); // 5% of the 990 paid, once
  }

  static double moved(Setup s, String kind) {
    return gw.metric("loyalty_ledger_points_total{kind=\"" + kind + "\",program=\"" + s.program() + "\"}");
  }

  @Test
  void captureWithTheFinalLinesUsesTheirEligibleAmount() {
    Setup s = Setup.create(new JsonObject().put("excluded_categories", new JsonArray().add("tobacco")));
    String id = s.authorize("a1", 100_000, 100).json().getString("authorization_id");
    JsonObject finalReceipt = new JsonObject().put("lines", new JsonArray()
        .add(new JsonObject().put("sku", "food").put("category", "food").put("amount_minor", 20_000))
        .add(new JsonObject().put("sku", "cigs").put("category", "tobacco").put("amount_minor", 60_000)));
    JsonObject c = s.capture(id, "c1", finalReceipt).json();
    assertThat(c.getLong("total_minor")).isEqualTo(80_000);
    assertThat(c.getLong("redeemed_points")).isEqualTo(60); // 30% of the 200 ₽ eligible
    assertThat(c.getLong("accrued_points")).isEqualTo(7); // 5% of 140 ₽ paid on eligible lines
    assertThat(c.getJsonObject("balance")).isEqualTo(balance(200 - 60 + 7, 0, 0));
  }

  @Test
  void voidReturnsTheHold() {
    Setup s = Setup.create(new JsonObject());
    String id = s.authorize("a1", 100_000, 120).json().getString("authorization_id");
    assertThat(s.balance()).isEqualTo(balance(80, 0, 120));
    Response voided = s.voidIt(id, "v1");
    assertThat(voided.status()).isEqualTo(200);
    assertThat(voided.json().getString("status")).isEqualTo("voided");
    assertThat(voided.json().getLong("released_points")).isEqualTo(120);
    assertThat(s.balance()).isEqualTo(balance(200, 0, 0));
    assertThat(gw.call("GET", "/v1/authorizations/" + id, s.till(), null, null).json().getString("status"))
        .isEqualTo("voided");
  }

  @Test
  void anUncapturedHoldExpiresOnceAndCannotBeCapturedAfterwards() {
    Setup s = Setup.create(new JsonObject().put("hold_ttl_seconds", 60));
    String id = s.authorize("a1", 100_000, 100).json().getString("authorization_id");
    gw.clock.advance(Duration.ofSeconds(59));
    assertThat(s.balance()).isEqualTo(balance(100, 0, 100));
    gw.clock.advance(Duration.ofSeconds(1));
    assertThat(s.balance()).isEqualTo(balance(200, 0, 0));
    assertThat(gw.call("GET", "/v1/authorizations/" + id, s.till(), null, null).json().getString("status"))
        .isEqualTo("expired");
    Response capture = s.capture(id, "late", null);
    assertThat(capture.status()).isEqualTo(409);
    assertThat(capture.json().getString("code")).isEqualTo("authorization_expired");
    assertThat(s.voidIt(id, "late-void").json().getString("code")).isEqualTo("authorization_expired");
    assertThat(s.balance()).isEqualTo(balance(200, 0, 0));
    assertThat(kinds(s).stream().filter("expire_hold"::equals)).hasSize(1);
  }

  @Test
  void theGatewayVoidsAnExpiredHoldWithoutAnyoneTouchingTheMember() throws Exception {
    Setup s = Setup.create(new JsonObject().put("hold_ttl_seconds", 30));
    s.authorize("a1", 100_000, 100);
    gw.clock.advance(Duration.ofSeconds(31));
    long deadline = System.currentTimeMillis() + 10_000;
    long held = -1;
    while (System.currentTimeMillis() < deadline && held != 0) {
      TestGateway.sleep(100);
      gw.awaitDrained();
      try (var sql = gw.sql(); var st = sql.prepareStatement("SELECT held FROM member_balances WHERE member_id = ?::uuid")) {
        st.setString(1, s.member());
        var rs = st.executeQuery();
        rs.next();
        held = rs.getLong(1);
      }
    }
    assertThat(held).isZero();
    assertThat(kinds(s)).startsWith("expire_hold");
  }

  @Test
  void theStateMachineRefusesEveryOtherEdgeAndReplaysItsOwnAnswers() {
    Setup s = Setup.create(new JsonObject());
    String captured = s.authorize("a1", 100_000, 50).json().getString("authorization_id");
    Response first = s.capture(captured, "c1", null);
    assertThat(first.status()).isEqualTo(200);
    Response replay = s.capture(captured, "c1", null);
    assertThat(replay.header("idempotent-replayed")).isEqualTo("true");
    assertThat(replay.raw().body()).isEqualTo(first.raw().body());
    assertInvalidState(s.capture(captured, "c2", null), "captured");
    assertInvalidState(s.voidIt(captured, "v1"), "captured");

    String voided = s.authorize("a2", 100_000, 50).json().getString("authorization_id");
    assertThat(s.voidIt(voided, "v2").status()).isEqualTo(200);
    assertThat(s.voidIt(voided, "v2").header("idempotent-replayed")).isEqualTo("true");
    assertInvalidState(s.voidIt(voided, "v3"), "voided");
    assertInvalidState(s.capture(voided, "c3", null), "voided");

    String open = s.authorize("a3", 100_000, 50).json().getString("authorization_id");
    Response higher = s.capture(open, "c4", new JsonObject().put("total_minor", 100_001));
    assertThat(higher.status()).isEqualTo(422);
    assertThat(higher.json().getString("code")).isEqualTo("capture_exceeds_authorization");
    assertThat(s.capture(open, "c1", null).json().getString("code")).isEqualTo("idempotency_key_reuse");

    assertThat(s.capture(UUID.randomUUID().toString(), "c5", null).json().getString("code"))
        .isEqualTo("transaction_not_found");
    String purchase = gw.purchase(s.till(), "p1", TestGateway.purchase(s.member(), "P-1", 1_000, null)).json()
        .getString("transaction_id");
    assertThat(s.capture(purchase, "c6", null).json().getString("code")).isEqualTo("transaction_not_found");
    String otherTill = gw.till(gw.program(new JsonObject()));
    Response foreign = gw.call("POST", "/v1/authorizations/" + open + "/capture", otherTill, "c7", null);
    assertThat(foreign.status()).isEqualTo(404);
    assertThat(gw.call("GET", "/v1/authorizations/" + open, otherTill, null, null).status()).isEqualTo(404);
    Response foreignVoid = gw.call("POST", "/v1/authorizations/" + open + "/void", otherTill, "c8", null);
    assertThat(foreignVoid.status()).isEqualTo(404);
    assertThat(foreignVoid.json().getString("code")).isEqualTo("transaction_not_found");
    // nor can a till of another program authorise against this program's member
    Response foreignHold = gw.call("POST", "/v1/authorizations", otherTill, "c9",
        TestGateway.purchase(s.member(), "F-1", 1_000, 1).encode());
    assertThat(foreignHold.json().getString("code")).isEqualTo("member_not_found");
    assertThat(gw.call("GET", "/v1/authorizations/" + open, s.till(), null, null).json().getString("status"))
        .isEqualTo("authorized");
    // a1 captured 50 and accrued 47 (5% of 950 ₽ paid); a3 still holds 50; the 10 ₽ purchase accrued nothing
    assertThat(s.balance()).isEqualTo(balance(200 - 50 + 47 - 50, 0, 50));
  }

  @Test
  void captureAndVoidRacingOnFiftyThreadsHaveExactlyOneWinner() {
    Setup s = Setup.create(new JsonObject());
    String id = s.authorize("a1", 100_000, 100).json().getString("authorization_id");
    List<CompletableFuture<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String path = "/v1/authorizations/" + id + (i % 2 == 0 ? "/capture" : "/void");
      calls.add(gw.send("POST", path, s.till(), "race-" + i, null));
    }
    List<Response> responses = calls.stream().map(CompletableFuture::join).toList();
    List<Response> winners = responses.stream().filter(r -> r.status() == 200).toList();
    assertThat(winners).hasSize(1);
    assertThat(responses.stream().filter(r -> r.status() != 200))
        .allSatisfy(r -> assertThat(r.json().getString("code")).isEqualTo("invalid_state"));
    JsonObject balance = s.balance();
    if ("captured".equals(winners.get(0).json().getString("status"))) {
      assertThat(balance).isEqualTo(balance(100 + 45, 0, 0)); // 5% of 900 ₽ paid
    } else {
      assertThat(balance).isEqualTo(balance(200, 0, 0));
    }
  }

  static void assertInvalidState(Response response, String current) {
    assertThat(response.status()).as(response.raw().body()).isEqualTo(409);
    assertThat(response.json().getString("code")).isEqualTo("invalid_state");
    assertThat(response.json().getString("current_status")).isEqualTo(current);
  }

  static List<String> kinds(Setup s) {
    gw.awaitDrained();
    return gw.call("GET", "/v1/members/" + s.member() + "/ledger", s.till(), null, null).json().getJsonArray("entries")
        .stream().map(e -> ((JsonObject) e).getString("kind")).toList();
  }
}
