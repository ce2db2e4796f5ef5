package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** Returns: accrual reversed and redeemed points restored in proportion, exactly once, never more than the whole. */
class RefundTest extends GatewayTest {
  static final Map<String, String> TILL_BY_MEMBER = new ConcurrentHashMap<>();

  @AfterAll
  static void postgresExplainsEveryBalance() {
    gw.assertPostgresExplainsEveryBalance(TILL_BY_MEMBER);
  }

  /** A member in the till's program, remembered for the final check. */
  static String member(String till) {
    String member = gw.member(till);
    TILL_BY_MEMBER.put(member, till);
    return member;
  }

  static Response refund(String till, String key, JsonObject body) {
    return gw.call("POST", "/v1/refunds", till, key, body.encode());
  }

  static JsonObject byAmount(String transaction, long amountMinor) {
    return new JsonObject().put("transaction_id", transaction).put("amount_minor", amountMinor);
  }

  static JsonObject balance(long available, long pending, long held) {
    return new JsonObject().put("available", available).put("pending", pending).put("held", held);
  }

  @Test
  void partialThenTheRestThenOneTooMany() {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 365)));
    String member = member(till);
    gw.purchase(till, "grant", TestGateway.purchase(member, "R-0", 400_000, null)); // 200 points
    // 1 000 ₽ paying 100 points: 45 accrued on the 900 ₽ paid; balance 100 + 45
    JsonObject p = gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 100_000, 100)).json();
    assertThat(p.getJsonObject("balance")).isEqualTo(balance(145, 0, 0));
    String tx = p.getString("transaction_id");

    Response first = refund(till, "r1", byAmount(tx, 40_000)); // 40%: 40 restored, 18 reversed
    assertThat(first.status()).as(first.raw().body()).isEqualTo(201);
    assertThat(first.json().getLong("restored_points")).isEqualTo(40);
    assertThat(first.json().getLong("reversed_accrual_points")).isEqualTo(18);
    assertThat(first.json().getLong("clawback_shortfall_points")).isZero();
    assertThat(first.json().getLong("refunded_minor")).isEqualTo(40_000);
    assertThat(first.json().getJsonObject("balance")).isEqualTo(balance(145 + 40 - 18, 0, 0));

    Response rest = refund(till, "r2", byAmount(tx, 60_000)); // the rest: 60 restored, 27 reversed
    assertThat(rest.json().getLong("restored_points")).isEqualTo(60);
    assertThat(rest.json().getLong("reversed_accrual_points")).isEqualTo(27);
    assertThat(rest.json().getJsonObject("balance")).isEqualTo(balance(200, 0, 0)); // as before the purchase

    Response tooMuch = refund(till, "r3", byAmount(tx, 1));
    assertThat(tooMuch.status()).isEqualTo(422);
    assertThat(tooMuch.json().getString("code")).isEqualTo("refund_exceeds_purchase");
    assertThat(tooMuch.json().getLong("refundable_minor")).isZero();

    assertThat(refund(till, "r1", byAmount(tx, 40_000)).header("idempotent-replayed")).isEqualTo("true");
    assertThat(refund(till, "r1", byAmount(tx, 30_000)).json().getString("code")).isEqualTo("idempotency_key_reuse");
    JsonObject view = gw.memberView(till, member);
    assertThat(view.getJsonObject("balance")).isEqualTo(balance(200, 0, 0));
    assertThat(view.getLong("lifetime_spend_minor")).isEqualTo(400_000);
  }

  @Test
  void refundByLinesReversesOnlyWhatTheEligibleLinesEarned() {
    String till = gw.till(gw.program(new JsonObject().put("excluded_categories", new JsonArray().add("tobacco"))));
    String member = member(till);
    JsonObject body = new JsonObject().put("member", new JsonObject().put("id", member))
        .put("receipt", new JsonObject().put("number", "R-1").put("total_minor", 100_000).put("lines", new JsonArray()
            .add(new JsonObject().put("sku", "milk").put("category", "dairy").put("amount_minor", 60_000))
            .add(new JsonObject().put("sku", "cigs").put("category", "tobacco").put("amount_minor", 40_000))));
    String tx = gw.purchase(till, "p", body).json().getString("transaction_id"); // 30 points on 600 ₽
    JsonObject cigs = new JsonObject().put("transaction_id", tx)
        .put("lines", new JsonArray().add(new JsonObject().put("sku", "cigs").put("amount_minor", 40_000)));
    assertThat(refund(till, "r1", cigs).json().getLong("reversed_accrual_points")).isZero();
    JsonObject halfMilk = new JsonObject().put("transaction_id", tx)
        .put("lines", new JsonArray().add(new JsonObject().put("sku", "milk").put("amount_minor", 30_000)));
    assertThat(refund(till, "r2", halfMilk).json().getLong("reversed_accrual_points")).isEqualTo(15);
    JsonObject tooMuchMilk = halfMilk.copy();
    tooMuchMilk.getJsonArray("lines").getJsonObject(0).put("amount_minor", 30_001);
    assertThat(refund(till, "r3", tooMuchMilk).json().getString("code")).isEqualTo("refund_exceeds_purchase");
    JsonObject unknown = new JsonObject().put("transaction_id", tx)
        .put("lines", new JsonArray().add(new JsonObject().put("sku", "bread").put("amount_minor", 1)));
    assertThat(refund(till, "r4", unknown).json().getString("code")).isEqualTo("invalid_field");
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(15, 0, 0));
  }

  @Test
  void accrualAlreadySpentIsAShortfallUnlessTheProgramAllowsNegativeBalances() {
    for (boolean allowNegative : new boolean[] {false, true}) {
      String till = gw.till(gw.program(new JsonObject().put("allow_negative_balance", allowNegative)));
      String member = member(till);
      String tx = gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 100_000, null)).json()
          .getString("transaction_id"); // 50 points
      // spend them: 50 points on a 200 ₽ receipt (cap 60), accruing 5% of the 150 ₽ paid = 7
      gw.purchase(till, "spend", TestGateway.purchase(member, "R-2", 20_000, 50));
      JsonObject refunded = refund(till, "r", byAmount(tx, 100_000)).json();
      if (allowNegative) {
        assertThat(refunded.getLong("reversed_accrual_points")).isEqualTo(50);
        assertThat(refunded.getLong("clawback_shortfall_points")).isZero();
        assertThat(refunded.getJsonObject("balance")).isEqualTo(balance(7 - 50, 0, 0));
        // the next accrual pays the debt first
        JsonObject next = gw.purchase(till, "next", TestGateway.purchase(member, "R-3", 100_000, null)).json();
        assertThat(next.getJsonObject("balance")).isEqualTo(balance(7 - 50 + 50, 0, 0));
        assertThat(gw.purchase(till, "spend-2", TestGateway.purchase(member, "R-4", 100_000, 8)).json()
            .getString("code")).isEqualTo("insufficient_points");
        assertThat(gw.purchase(till, "spend-3", TestGateway.purchase(member, "R-5", 100_000, 7)).status())
            .isEqualTo(201);
      } else {
        assertThat(refunded.getLong("reversed_accrual_points")).isEqualTo(7);
        assertThat(refunded.getLong("clawback_shortfall_points")).isEqualTo(43);
        assertThat(refunded.getJsonObject("balance")).isEqualTo(balance(0, 0, 0));
        gw.awaitDrained();
        List<String> kinds = gw.call("GET", "/v1/members/" + member + "/ledger", till, null, null).json()
            .getJsonArray("entries").stream().map(e -> ((JsonObject) e).getString("kind")).toList();
        assertThat(kinds).startsWith("clawback_shortfall", "refund_reverse");
      }
    }
  }

  @Test
  void pointsRestoredFromALotThatExpiredMeanwhileGetTheGracePeriod() {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 30).put("restore_grace_days", 30)
        .put("max_redeem_share_bp", 10_000)));
    String member = member(till);
    gw.purchase(till, "grant", TestGateway.purchase(member, "R-0", 200_000, null)); // 100 points, expire day 30
    gw.clock.advance(Duration.ofDays(1));
    // a 100 ₽ receipt paid wholly by 100 points: nothing accrues
    String tx = gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 10_000, 100)).json().getString("transaction_id");
    gw.clock.advance(Duration.ofDays(39)); // day 40: the lot they came from has expired
    JsonObject refunded = refund(till, "r", byAmount(tx, 10_000)).json();
    assertThat(refunded.getLong("restored_points")).as(refunded.encode()).isEqualTo(100);
    JsonObject view = gw.memberView(till, member);
    assertThat(view.getJsonObject("balance")).isEqualTo(balance(100, 0, 0));
    assertThat(view.getJsonObject("next_expiry")).isEqualTo(new JsonObject().put("points", 100)
        .put("at", gw.clock.instant().plus(Duration.ofDays(30)).toString()));
  }

  @Test
  void onlyCapturedTransactionsCanBeRefunded() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = member(till);
    gw.purchase(till, "grant", TestGateway.purchase(member, "R-0", 200_000, null)); // 100 points
    String auth = gw.call("POST", "/v1/authorizations", till, "a", TestGateway.purchase(member, "A-1", 100_000, 50)
        .encode()).json().getString("authorization_id");
    Response early = refund(till, "r1", byAmount(auth, 10_000));
    assertThat(early.status()).isEqualTo(409);
    assertThat(early.json().getString("code")).isEqualTo("invalid_state");
    assertThat(early.json().getString("current_status")).isEqualTo("authorized");
    gw.call("POST", "/v1/authorizations/" + auth + "/capture", till, "c", null);
    Response refunded = refund(till, "r2", byAmount(auth, 100_000));
    assertThat(refunded.status()).isEqualTo(201);
    assertThat(refunded.json().getLong("restored_points")).isEqualTo(50);
    assertThat(refunded.json().getLong("reversed_accrual_points")).isEqualTo(47);
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(100, 0, 0));
    String otherTill = gw.till(gw.program(new JsonObject()));
    assertThat(refund(otherTill, "r3", byAmount(auth, 1)).json().getString("code")).isEqualTo("transaction_not_found");
  }
}
