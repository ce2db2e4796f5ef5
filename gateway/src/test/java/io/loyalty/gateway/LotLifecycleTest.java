package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Points as lots in time: pending through the return window, then available until they expire. */
class LotLifecycleTest extends GatewayTest {

  @Test
  void pendingPointsBecomeAvailableWhenTheReturnWindowEnds() {
    String till = gw.till(gw.program(new JsonObject().put("pending_days", 14)));
    String member = gw.member(till);
    Response purchase = gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 100_000, null));
    assertThat(purchase.json().getString("accrued_status")).isEqualTo("pending");
    assertThat(purchase.json().getJsonObject("balance")).isEqualTo(balance(0, 50));

    gw.clock.advance(Duration.ofDays(14).minusMillis(1));
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(0, 50));
    Response tooEarly = gw.purchase(till, "early", TestGateway.purchase(member, "R-2", 100_000, 1));
    assertThat(tooEarly.json().getString("code")).isEqualTo("insufficient_points");

    gw.clock.advance(Duration.ofMillis(1));
    // the purchase that touches the member activates the lot first, so it can redeem from it at once
    Response redeem = gw.purchase(till, "now", TestGateway.purchase(member, "R-3", 100_000, 50));
    assertThat(redeem.status()).isEqualTo(201);
    assertThat(redeem.json().getLong("redeemed_points")).isEqualTo(50);
    assertThat(redeem.json().getJsonObject("balance")).isEqualTo(balance(0, 47));
    assertThat(kinds(till, member)).containsExactly("accrue", "redeem", "activate", "accrue");
  }

  @Test
  void aRefusedPurchaseStillKeepsTheMaturingItTriggered() {
    String till = gw.till(gw.program(new JsonObject().put("pending_days", 14)));
    String member = gw.member(till);
    gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 100_000, null));
    gw.clock.advance(Duration.ofDays(14));
    Response refused = gw.purchase(till, "too-much", TestGateway.purchase(member, "R-2", 100_000, 51));
    assertThat(refused.json().getString("code")).isEqualTo("insufficient_points");
    assertThat(refused.json().getLong("max_redeemable_points")).isEqualTo(50);
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(50, 0));
    assertThat(kinds(till, member)).containsExactly("activate", "accrue");
  }

  @Test
  void lotsExpireAndRedemptionTakesTheEarliestExpiringFirst() {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 30).put("max_redeem_share_bp", 10_000)));
    String member = gw.member(till);
    Instant start = gw.clock.instant();
    gw.purchase(till, "a", TestGateway.purchase(member, "R-A", 100_000, null)); // lot A: 50, expires day 30
    gw.clock.advance(Duration.ofDays(10));
    gw.purchase(till, "b", TestGateway.purchase(member, "R-B", 100_000, null)); // lot B: 50, expires day 40

    JsonObject next = gw.memberView(till, member).getJsonObject("next_expiry");
    assertThat(next).isEqualTo(new JsonObject().put("points", 50).put("at", start.plus(Duration.ofDays(30)).toString()));

    // 60 points paid for a 60 ₽ receipt: all of A (earliest expiry), 10 of B; nothing accrues on it
    Response redeem = gw.purchase(till, "r", TestGateway.purchase(member, "R-C", 6_000, 60));
    assertThat(redeem.json().getLong("redeemed_points")).isEqualTo(60);
    assertThat(redeem.json().getLong("accrued_points")).isZero();
    next = gw.memberView(till, member).getJsonObject("next_expiry");
    assertThat(next).isEqualTo(new JsonObject().put("points", 40).put("at", start.plus(Duration.ofDays(40)).toString()));

    gw.clock.advance(Duration.ofDays(20)); // day 30: A is spent, nothing expires
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(40, 0));
    gw.clock.advance(Duration.ofDays(10)); // day 40: B's remaining 40 expire
    JsonObject view = gw.memberView(till, member);
    assertThat(view.getJsonObject("balance")).isEqualTo(balance(0, 0));
    assertThat(view.getValue("next_expiry")).isNull();

    List<JsonObject> ledger = ledger(till, member);
    assertThat(ledger.stream().map(e -> e.getString("kind")))
        .containsExactly("expire", "redeem", "redeem", "accrue", "accrue");
    assertThat(ledger.get(0).getLong("points")).isEqualTo(-40);
    assertThat(ledger.get(0).getString("at")).isEqualTo(start.plus(Duration.ofDays(40)).toString());
    assertThat(ledger.get(1).getLong("points")).isEqualTo(-10);
    assertThat(ledger.get(2).getLong("points")).isEqualTo(-50);
    assertThat(ledger.get(2).getLong("lot_id")).isEqualTo(ledger.get(4).getLong("lot_id"));
  }

  @Test
  void pendingLotsStillExpireCountedFromActivation() {
    String till = gw.till(gw.program(new JsonObject().put("pending_days", 7).put("expiry_days", 10)));
    String member = gw.member(till);
    gw.purchase(till, "p", TestGateway.purchase(member, "R-1", 100_000, null));
    gw.clock.advance(Duration.ofDays(17)); // activated on day 7, expired on day 17, both in one touch
    assertThat(gw.memberView(till, member).getJsonObject("balance")).isEqualTo(balance(0, 0));
    assertThat(kinds(till, member)).containsExactly("expire", "activate", "accrue");
  }

  static JsonObject balance(long available, long pending) {
    return new JsonObject().put("available", available).put("pending", pending).put("held", 0);
  }

  static List<JsonObject> ledger(String till, String member) {
    gw.awaitDrained();
    JsonArray entries = gw.call("GET", "/v1/members/" + member + "/ledger", till, null, null).json()
        .getJsonArray("entries");
    gw.awaitDrained(); // the read itself may have matured lots; read again once they are written
    entries = gw.call("GET", "/v1/members/" + member + "/ledger", till, null, null).json().getJsonArray("entries");
    return entries.stream().map(e -> (JsonObject) e).toList();
  }

  static List<String> kinds(String till, String member) {
    return ledger(till, member).stream().map(e -> e.getString("kind")).toList();
  }
}
