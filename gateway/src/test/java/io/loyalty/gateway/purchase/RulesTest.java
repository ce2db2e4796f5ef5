package io.loyalty.gateway.purchase;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The program arithmetic, without any store. */
class RulesTest {
  static Program program(JsonObject config) {
    return Program.parse("p", new JsonObject().put("currency", "RUB").mergeIn(config));
  }

  static Rules.Receipt receipt(long... amounts) {
    List<Rules.Line> lines = new java.util.ArrayList<>();
    long total = 0;
    for (int i = 0; i < amounts.length; i++) {
      lines.add(new Rules.Line("sku-" + i, i == 0 && amounts.length > 1 ? "tobacco" : "food", amounts[i]));
      total += amounts[i];
    }
    return new Rules.Receipt("R", total, lines);
  }

  @Test
  void excludedCategoriesNeitherAccrueNorMayBePaidWithPoints() {
    Program p = program(new JsonObject().put("excluded_categories", new JsonArray().add("Tobacco")));
    Rules.Plan plan = Rules.plan(p, receipt(50_000, 100_000), Rules.REDEEM_MAX);
    assertThat(plan.eligibleMinor()).isEqualTo(100_000);
    assertThat(plan.capPoints()).isEqualTo(300); // 30% of 1 000 ₽ in 1 ₽ points
    Rules.Outcome outcome = Rules.settle(p, plan, 1_000, 0);
    assertThat(outcome.redeemedPoints()).isEqualTo(300);
    assertThat(outcome.amountDueMinor()).isEqualTo(150_000 - 30_000);
    assertThat(outcome.accruedPoints()).isEqualTo(35); // 5% of the 700 ₽ paid
  }

  @Test
  void linesMustAddUpToTheTotal() {
    Rules.Receipt wrong = new Rules.Receipt("R", 1000, List.of(new Rules.Line("a", null, 999)));
    assertThatThrownBy(() -> Rules.plan(program(new JsonObject()), wrong, 0))
        .isInstanceOfSatisfying(ApiException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.LINES_TOTAL_MISMATCH);
          assertThat(e.extensions().getLong("lines_sum_minor")).isEqualTo(999);
        });
  }

  @Test
  void maxTakesTheSmallerOfCapAndBalance() {
    Program p = program(new JsonObject());
    Rules.Plan plan = Rules.plan(p, receipt(100_000), Rules.REDEEM_MAX);
    assertThat(Rules.settle(p, plan, 50, 0).redeemedPoints()).isEqualTo(50);
    assertThat(Rules.settle(p, plan, 5_000, 0).redeemedPoints()).isEqualTo(300);
    assertThat(Rules.settle(p, plan, 0, 0).redeemedPoints()).isZero();
  }

  @Test
  void anExplicitRequestAboveTheCapIsRejectedWithTheAllowedMaximum() {
    Program p = program(new JsonObject());
    Rules.Plan plan = Rules.plan(p, receipt(100_000), 301);
    assertThatThrownBy(() -> Rules.settle(p, plan, 1_000, 0)).isInstanceOfSatisfying(ApiException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.REDEEM_CAP_EXCEEDED);
      assertThat(e.extensions().getLong("max_redeemable_points")).isEqualTo(300);
    });
  }

  @Test
  void anExplicitRequestAboveTheBalanceIsInsufficientPoints() {
    Program p = program(new JsonObject());
    Rules.Plan plan = Rules.plan(p, receipt(100_000), 100);
    assertThatThrownBy(() -> Rules.settle(p, plan, 99, 0)).isInstanceOfSatisfying(ApiException.class, e -> {
      assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_POINTS);
      assertThat(e.extensions().getLong("max_redeemable_points")).isEqualTo(99);
    });
  }

  @Test
  void aNegativeBalanceRedeemsNothingButStillAccrues() {
    Program p = program(new JsonObject());
    Rules.Outcome outcome = Rules.settle(p, Rules.plan(p, receipt(100_000), Rules.REDEEM_MAX), -40, 0);
    assertThat(outcome.redeemedPoints()).isZero();
    assertThat(outcome.accruedPoints()).isEqualTo(50);
    assertThatThrownBy(() -> Rules.settle(p, Rules.plan(p, receipt(100_000), 1), -40, 0))
        .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_POINTS));
  }

  @Test
  void accrueOnTotalIgnoresWhatPointsPaid() {
    Program p = program(new JsonObject().put("accrue_on", "total"));
    Rules.Outcome outcome = Rules.settle(p, Rules.plan(p, receipt(100_000), 300), 300, 0);
    assertThat(outcome.accruedPoints()).isEqualTo(50);
  }

  @Test
  void accrualRoundsDownToWholePoints() {
    Program p = program(new JsonObject());
    assertThat(Rules.settle(p, Rules.plan(p, receipt(1_999), 0), 0, 0).accruedPoints()).isZero(); // 0.99995 pt
    assertThat(Rules.settle(p, Rules.plan(p, receipt(2_000), 0), 0, 0).accruedPoints()).isEqualTo(1);
    assertThat(Rules.settle(p, Rules.plan(p, receipt(3_999), 0), 0, 0).accruedPoints()).isEqualTo(1);
  }

  @Test
  void theTierReachedByLifetimeSpendSetsTheRate() {
    Program p = program(new JsonObject().put("tiers", new JsonArray()
        .add(new JsonObject().put("name", "Gold").put("min_spend_minor", 1_000_000).put("accrual_rate_bp", 1000))
        .add(new JsonObject().put("name", "Silver").put("min_spend_minor", 100_000).put("accrual_rate_bp", 700))));
    Rules.Plan plan = Rules.plan(p, receipt(100_000), 0);
    assertThat(Rules.settle(p, plan, 0, 99_999).accruedPoints()).isEqualTo(50); // no tier: program rate
    assertThat(Rules.settle(p, plan, 100_000, 100_000).accruedPoints()).isEqualTo(70);
    assertThat(Rules.settle(p, plan, 0, 5_000_000).accruedPoints()).isEqualTo(100);
    assertThat(p.tierJson(100_000)).isEqualTo(new JsonObject().put("name", "Silver").put("next", "Gold")
        .put("spend_to_next_minor", 900_000));
  }

  /** Every combination of a grid of programs, receipts and balances keeps the invariants. */
  @Test
  void invariantsHoldAcrossTheParameterGrid() {
    long[] pointValues = {1, 7, 100, 250};
    long[] rates = {0, 1, 333, 500, 10_000};
    long[] shares = {0, 1, 3000, 10_000};
    long[] amounts = {1, 99, 100, 12_345, 1_000_000, 99_999_999_999L};
    long[] balances = {0, 1, 50, 1_000_000_000};
    int checked = 0;
    for (long pv : pointValues) {
      for (long rate : rates) {
        for (long share : shares) {
          for (String on : new String[] {"paid", "total"}) {
            Program p = program(new JsonObject().put("point_value_minor", pv).put("accrual_rate_bp", rate)
                .put("max_redeem_share_bp", share).put("accrue_on", on));
            for (long amount : amounts) {
              Rules.Plan plan = Rules.plan(p, receipt(amount), Rules.REDEEM_MAX);
              for (long balance : balances) {
                Rules.Outcome o = Rules.settle(p, plan, balance, 0);
                assertThat(o.redeemedPoints()).isBetween(0L, Math.min(balance, plan.capPoints()));
                assertThat(o.savedMinor()).isEqualTo(o.redeemedPoints() * pv)
                    .isLessThanOrEqualTo(amount * share / 10_000);
                assertThat(o.amountDueMinor()).isEqualTo(amount - o.savedMinor()).isNotNegative();
                long base = on.equals("paid") ? amount - o.savedMinor() : amount;
                // exact in arbitrary precision, so an overflow in the long arithmetic would show
                long exact = java.math.BigInteger.valueOf(base).multiply(java.math.BigInteger.valueOf(rate))
                    .divide(java.math.BigInteger.valueOf(10_000 * pv)).longValueExact();
                assertThat(o.accruedPoints()).isEqualTo(exact);
                checked++;
              }
            }
          }
        }
      }
    }
    assertThat(checked).isEqualTo(4 * 5 * 4 * 2 * 6 * 4);
  }
}
