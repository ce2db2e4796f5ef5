package io.loyalty.gateway.purchase;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * purchase.lua performs {@link Rules#settle} inside Redis. Random programs and purchases through the real gateway
 * must get exactly what the pure Java rules say, errors included.
 */
class ScriptParityTest extends GatewayTest {
  static final String[] CATEGORIES = {"food", "drinks", "tobacco", "household"};

  @Test
  void theScriptAgreesWithTheJavaRulesOnRandomPurchases() {
    Random random = new Random(2026);
    int compared = 0;
    for (int p = 0; p < 6; p++) {
      JsonObject config = new JsonObject()
          .put("point_value_minor", new long[] {1, 10, 100, 250}[random.nextInt(4)])
          .put("accrual_rate_bp", random.nextInt(2001))
          .put("max_redeem_share_bp", random.nextInt(10_001))
          .put("accrue_on", random.nextBoolean() ? "paid" : "total")
          .put("excluded_categories", new JsonArray().add("tobacco"))
          .put("tiers", new JsonArray()
              .add(new JsonObject().put("name", "T1").put("min_spend_minor", 200_000).put("accrual_rate_bp", random.nextInt(3001)))
              .add(new JsonObject().put("name", "T2").put("min_spend_minor", 1_000_000).put("accrual_rate_bp", random.nextInt(5001))));
      String programId = gw.program(config);
      Program program = Program.parse(programId, new JsonObject().put("currency", "RUB").mergeIn(config));
      String till = gw.till(programId);
      String member = gw.member(till);
      long available = 0;
      long spend = 0;
      for (int i = 0; i < 40; i++) {
        List<Rules.Line> lines = new ArrayList<>();
        JsonArray jsonLines = new JsonArray();
        long total = 0;
        for (int l = 0; l < 1 + random.nextInt(5); l++) {
          long amount = 1 + random.nextInt(150_000);
          String category = CATEGORIES[random.nextInt(CATEGORIES.length)];
          lines.add(new Rules.Line("s" + l, category, amount));
          jsonLines.add(new JsonObject().put("sku", "s" + l).put("category", category).put("amount_minor", amount));
          total += amount;
        }
        int choice = random.nextInt(4);
        long request = choice == 0 ? 0 : choice == 1 ? Rules.REDEEM_MAX : random.nextInt((int) Math.max(1, available * 2));
        JsonObject body = new JsonObject().put("member", new JsonObject().put("id", member))
            .put("receipt", new JsonObject().put("number", "R-" + i).put("total_minor", total).put("lines", jsonLines));
        if (request != 0) {
          body.put("redeem_points", request == Rules.REDEEM_MAX ? (Object) "max" : (Object) request);
        }
        Rules.Plan plan = Rules.plan(program, new Rules.Receipt("R-" + i, total, lines), request);
        Rules.Outcome expected = null;
        String expectedCode = null;
        try {
          expected = Rules.settle(program, plan, available, spend);
        } catch (ApiException e) {
          expectedCode = e.code().code();
        }
        Response response = gw.purchase(till, "parity-" + p + "-" + i, body);
        if (expectedCode != null) {
          assertThat(response.json().getString("code")).as(body.encode()).isEqualTo(expectedCode);
          assertThat(response.json().getLong("max_redeemable_points")).isEqualTo(Math.min(plan.capPoints(), available));
        } else {
          JsonObject r = response.json();
          assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
          assertThat(new long[] {r.getLong("redeemed_points"), r.getLong("saved_minor"), r.getLong("accrued_points"),
              r.getLong("amount_due_minor")}).as(body.encode()).containsExactly(expected.redeemedPoints(),
              expected.savedMinor(), expected.accruedPoints(), expected.amountDueMinor());
          available = r.getJsonObject("balance").getLong("available");
          spend += total;
          assertThat(r.getLong("lifetime_spend_minor")).isEqualTo(spend);
          assertThat(r.getJsonObject("tier")).isEqualTo(program.tierJson(spend));
        }
        compared++;
      }
    }
    assertThat(compared).isEqualTo(240);
  }
}
