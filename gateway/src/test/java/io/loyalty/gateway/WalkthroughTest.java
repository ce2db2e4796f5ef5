package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's walk-through, end to end: program, till, enrolment, a purchase that accrues, one that redeems. */
class WalkthroughTest extends GatewayTest {

  @Test
  void accrueThenRedeemMatchesTheProgramArithmetic() {
    String program = gw.program(new JsonObject()
        .put("point_value_minor", 100).put("accrual_rate_bp", 500).put("max_redeem_share_bp", 3000)
        .put("excluded_categories", new JsonArray().add("tobacco"))
        .put("tiers", new JsonArray()
            .add(new JsonObject().put("name", "Silver").put("min_spend_minor", 0).put("accrual_rate_bp", 500))
            .add(new JsonObject().put("name", "Gold").put("min_spend_minor", 300_000).put("accrual_rate_bp", 1000))));
    String till = gw.till(program);
    JsonObject member = gw.enrol(till, "+7 912 000-11-22");
    assertThat(member.getString("phone")).isEqualTo("+79120001122");
    String id = member.getString("member_id");

    // 1 500 ₽ receipt, 300 ₽ of it tobacco: 1 200 ₽ eligible at 5% = 60 ₽ = 60 points
    JsonObject first = new JsonObject()
        .put("member", new JsonObject().put("phone", "+79120001122"))
        .put("receipt", new JsonObject().put("number", "R-1").put("total_minor", 150_000).put("lines", new JsonArray()
            .add(new JsonObject().put("sku", "latte").put("category", "coffee").put("amount_minor", 120_000))
            .add(new JsonObject().put("sku", "cigarettes").put("category", "tobacco").put("amount_minor", 30_000))));
    Response accrued = gw.purchase(till, "k-1", first);
    assertThat(accrued.status()).isEqualTo(201);
    assertThat(accrued.json().getLong("accrued_points")).isEqualTo(60);
    assertThat(accrued.json().getString("accrued_status")).isEqualTo("available");
    assertThat(accrued.json().getLong("redeemed_points")).isZero();
    assertThat(accrued.json().getLong("amount_due_minor")).isEqualTo(150_000);
    assertThat(accrued.json().getJsonObject("tier"))
        .isEqualTo(new JsonObject().put("name", "Silver").put("next", "Gold").put("spend_to_next_minor", 150_000));

    // 1 000 ₽ receipt paying max with points: cap 30% = 300 points, balance 60 -> 60 redeemed, 6 000 saved;
    // accrual on the 940 ₽ paid at 5% = 47 points
    Response redeemed = gw.purchase(till, "k-2", TestGateway.purchase(id, "R-2", 100_000, "max"));
    assertThat(redeemed.status()).isEqualTo(201);
    JsonObject r = redeemed.json();
    assertThat(r.getLong("redeemed_points")).isEqualTo(60);
    assertThat(r.getLong("saved_minor")).isEqualTo(6_000);
    assertThat(r.getLong("amount_due_minor")).isEqualTo(94_000);
    assertThat(r.getLong("total_minor")).isEqualTo(100_000);
    assertThat(r.getLong("accrued_points")).isEqualTo(47);
    assertThat(r.getJsonObject("balance")).isEqualTo(new JsonObject().put("available", 47).put("pending", 0).put("held", 0));
    // lifetime spend 2 500 ₽ < 3 000 ₽ for Gold
    assertThat(r.getJsonObject("tier").getLong("spend_to_next_minor")).isEqualTo(50_000);

    // A third purchase crosses into Gold; Gold's rate applies from the next purchase on
    Response third = gw.purchase(till, "k-3", TestGateway.purchase(id, "R-3", 100_000, null));
    assertThat(third.json().getLong("accrued_points")).isEqualTo(50);
    assertThat(third.json().getJsonObject("tier").getString("name")).isEqualTo("Gold");
    Response fourth = gw.purchase(till, "k-4", TestGateway.purchase(id, "R-4", 100_000, null));
    assertThat(fourth.json().getLong("accrued_points")).isEqualTo(100);

    JsonObject view = gw.memberView(till, id);
    assertThat(view.getJsonObject("balance").getLong("available")).isEqualTo(47 + 50 + 100);
    assertThat(view.getLong("lifetime_spend_minor")).isEqualTo(450_000);
    assertThat(view.getJsonObject("tier").getString("name")).isEqualTo("Gold");

    gw.awaitDrained();
    Response ledger = gw.call("GET", "/v1/members/" + id + "/ledger?limit=10", till, null, null);
    assertThat(ledger.status()).isEqualTo(200);
    JsonArray entries = ledger.json().getJsonArray("entries");
    assertThat(entries.stream().map(e -> ((JsonObject) e).getString("kind")))
        .containsExactly("accrue", "accrue", "accrue", "redeem", "accrue");
    assertThat(entries.stream().mapToLong(e -> ((JsonObject) e).getLong("points")).sum()).isEqualTo(197);
    JsonObject redeemEntry = entries.getJsonObject(3);
    assertThat(redeemEntry.getString("receipt_number")).isEqualTo("R-2");
    assertThat(redeemEntry.getString("transaction_id")).isEqualTo(r.getString("transaction_id"));
    assertThat(redeemEntry.getJsonObject("till").getString("store_id")).isEqualTo("store-1");
    assertThat(redeemEntry.getString("reason")).contains("R-2");
  }

  @Test
  void theLedgerPagesNewestFirstWithACursor() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    for (int i = 1; i <= 5; i++) {
      gw.purchase(till, "page-" + i, TestGateway.purchase(member, "R-" + i, 100_000, null));
    }
    gw.awaitDrained();
    List<String> receipts = new java.util.ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Response page = gw.call("GET", "/v1/members/" + member + "/ledger?limit=2" + (cursor == null ? "" : "&cursor=" + cursor),
          till, null, null);
      page.json().getJsonArray("entries").forEach(e -> receipts.add(((JsonObject) e).getString("receipt_number")));
      cursor = page.json().getString("next_cursor");
      pages++;
    } while (cursor != null);
    assertThat(receipts).containsExactly("R-5", "R-4", "R-3", "R-2", "R-1");
    assertThat(pages).isEqualTo(3);
  }

  @Test
  void membersAreFoundByPhoneAndByCard() {
    String till = gw.till(gw.program(new JsonObject()));
    Response enrolled = gw.call("POST", "/v1/members", till, null, new JsonObject()
        .put("phone", "+79120003344").put("card", "CARD-0001")
        .put("consents", new JsonObject().put("personal_data", true).put("marketing", true)).encode());
    String id = enrolled.json().getString("member_id");

    Response byPhone = gw.call("GET", "/v1/members/lookup?phone=%2B79120003344", till, null, null);
    Response byCard = gw.call("GET", "/v1/members/lookup?card=CARD-0001", till, null, null);
    assertThat(byPhone.json().getString("member_id")).isEqualTo(id);
    assertThat(byCard.json().getString("member_id")).isEqualTo(id);
    assertThat(byCard.json().getJsonObject("consents").getBoolean("marketing")).isTrue();
    assertThat(gw.call("GET", "/v1/members/lookup?card=CARD-9999", till, null, null).json().getString("code"))
        .isEqualTo("member_not_found");
  }

  @Test
  void enrollingAnEnrolledPhoneNamesTheExistingMember() {
    String till = gw.till(gw.program(new JsonObject()));
    String phone = TestGateway.randomPhone();
    String id = gw.enrol(till, phone).getString("member_id");
    Response again = gw.call("POST", "/v1/members", till, null, new JsonObject().put("phone", phone)
        .put("consents", new JsonObject().put("personal_data", true).put("marketing", false)).encode());
    assertThat(again.status()).isEqualTo(409);
    assertThat(again.json().getString("code")).isEqualTo("member_exists");
    assertThat(again.json().getString("member_id")).isEqualTo(id);
  }

  @Test
  void purchaseCanEnrolAnUnknownPhone() {
    String till = gw.till(gw.program(new JsonObject()));
    JsonObject body = TestGateway.purchase("unused", "R-1", 10_000, null)
        .put("member", new JsonObject().put("phone", "+79125550001")).put("enroll_if_missing", true);
    Response response = gw.purchase(till, "enrol-1", body);
    assertThat(response.status()).isEqualTo(201);
    assertThat(response.json().getLong("accrued_points")).isEqualTo(5);
    Response lookup = gw.call("GET", "/v1/members/lookup?phone=%2B79125550001", till, null, null);
    assertThat(lookup.json().getString("member_id")).isEqualTo(response.json().getString("member_id"));
  }

  @Test
  void aRevokedTillKeyStopsWorkingOnEveryGatewayWithinASecond() {
    try (TestGateway other = TestGateway.start()) {
      String program = gw.program(new JsonObject());
      Response issued = gw.call("POST", "/v1/admin/programs/" + program + "/tills", TestGateway.ADMIN_TOKEN, null,
          new JsonObject().put("store_id", "store-9").put("till_id", "stolen").encode());
      String key = issued.json().getString("api_key");
      String member = gw.member(key);
      long deadline = System.currentTimeMillis() + 5_000;
      while (other.call("GET", "/v1/members/" + member, key, null, null).status() != 200) {
        assertThat(System.currentTimeMillis()).as("the other gateway learns the new key").isLessThan(deadline);
        TestGateway.sleep(50);
      }

      Response revoked = gw.call("DELETE", "/v1/admin/programs/" + program + "/tills/store-9/stolen",
          TestGateway.ADMIN_TOKEN, null, null);
      assertThat(revoked.json().getInteger("revoked_keys")).isEqualTo(1);
      long revokedAt = System.currentTimeMillis();
      assertThat(gw.call("GET", "/v1/members/" + member, key, null, null).status()).isEqualTo(401);
      while (other.call("GET", "/v1/members/" + member, key, null, null).status() != 401) {
        assertThat(System.currentTimeMillis() - revokedAt).as("ms until the other gateway refuses it").isLessThan(1_000);
        TestGateway.sleep(20);
      }
      assertThat(gw.call("DELETE", "/v1/admin/programs/" + program + "/tills/store-9/stolen",
          TestGateway.ADMIN_TOKEN, null, null).status()).isEqualTo(404);
    }
  }

  @Test
  void operationalEndpointsAnswer() {
    String till = gw.till(gw.program(new JsonObject()));
    gw.purchase(till, "x", new JsonObject()); // a 4xx to show in metrics
    gw.purchase(till, "y", TestGateway.purchase(gw.member(till), "R", 10_000, null));
    assertThat(gw.call("GET", "/health/live", null, null, null).status()).isEqualTo(200);
    Response ready = gw.call("GET", "/health/ready", null, null, null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.json().getString("status")).isEqualTo("UP");
    String metrics = gw.call("GET", "/metrics", null, null, null).raw().body();
    assertThat(metrics).contains("loyalty_http_request_duration_seconds_bucket{code=\"invalid_field\",method=\"POST\"")
        .contains("loyalty_writebehind_lag_entries").contains("loyalty_writebehind_lag_seconds")
        .contains("loyalty_ledger_points_total{kind=\"accrue\",program=");
    assertThat(gw.call("GET", "/openapi.yaml", null, null, null).raw().body()).startsWith("openapi: 3.1");
  }
}
