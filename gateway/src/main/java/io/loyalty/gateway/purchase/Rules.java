package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonObject;
import java.util.List;

/**
 * The program's arithmetic for one receipt, as pure functions. {@link #plan} needs only the receipt and the
 * program; {@link #settle} adds the member's balance and spend. The purchase script (purchase.lua) performs
 * exactly {@code settle} inside Redis, so the balance it reads is the balance it changes.
 */
public final class Rules {
  /** {@code redeem_points: "max"}. */
  public static final long REDEEM_MAX = -1;
  private static final long BASIS_POINTS = 10_000;

  private Rules() {
  }

  public record Line(String sku, String category, long amountMinor) {
  }

  public record Receipt(String number, long totalMinor, List<Line> lines) {
  }

  /**
   * @param capPoints most points this receipt may be paid with, before looking at the balance
   * @param redeemRequest points asked for; 0 for none, {@link #REDEEM_MAX} for as many as allowed
   */
  public record Plan(long totalMinor, long eligibleMinor, long capPoints, long redeemRequest) {
  }

  public record Outcome(long redeemedPoints, long savedMinor, long accruedPoints, long amountDueMinor) {
  }

  /** Eligible amount and redemption cap; 422 {@code lines_total_mismatch} when lines do not add up. */
  public static Plan plan(Program program, Receipt receipt, long redeemRequest) {
    long linesMinor = 0;
    long eligibleMinor = 0;
    for (Line line : receipt.lines()) {
      linesMinor += line.amountMinor();
      if (!Program.isExcluded(program.excludedCategories(), line.category())) {
        eligibleMinor += line.amountMinor();
      }
    }
    if (linesMinor != receipt.totalMinor()) {
      throw new ApiException(ErrorCode.LINES_TOTAL_MISMATCH,
          "Lines add up to " + linesMinor + " but total_minor is " + receipt.totalMinor(),
          new JsonObject().put("lines_sum_minor", linesMinor).put("total_minor", receipt.totalMinor()));
    }
    return new Plan(receipt.totalMinor(), eligibleMinor, capPoints(program, eligibleMinor), redeemRequest);
  }

  /** Most points this eligible amount may be paid with. */
  public static long capPoints(Program program, long eligibleMinor) {
    return eligibleMinor * program.maxRedeemShareBp() / (BASIS_POINTS * program.pointValueMinor());
  }

  /** floor(value × part / whole) without overflow, for 0 <= part <= whole and whole > 0. */
  public static long proportion(long value, long part, long whole) {
    return java.math.BigInteger.valueOf(value).multiply(java.math.BigInteger.valueOf(part))
        .divide(java.math.BigInteger.valueOf(whole)).longValueExact();
  }

  /** The receipt's lines by SKU: {@code {sku: [amount_minor, eligible_minor]}}, what a refund by line needs. */
  public static JsonObject linesBySku(Program program, Receipt receipt) {
    java.util.Map<String, long[]> bySku = new java.util.LinkedHashMap<>();
    for (Line line : receipt.lines()) {
      long[] sums = bySku.computeIfAbsent(line.sku(), sku -> new long[2]);
      sums[0] += line.amountMinor();
      if (!Program.isExcluded(program.excludedCategories(), line.category())) {
        sums[1] += line.amountMinor();
      }
    }
    JsonObject json = new JsonObject();
    bySku.forEach((sku, sums) -> json.put(sku, new io.vertx.core.json.JsonArray().add(sums[0]).add(sums[1])));
    return json;
  }

  /** Redemption and accrual against the member's balance; 422 when the redemption is not allowed. */
  public static Outcome settle(Program program, Plan plan, long availablePoints, long lifetimeSpendMinor) {
    long spendable = Math.max(0, availablePoints); // a negative balance (after a refund) redeems nothing
    long maxRedeemable = Math.min(plan.capPoints(), spendable);
    long redeemed = plan.redeemRequest();
    if (redeemed == REDEEM_MAX) {
      redeemed = maxRedeemable;
    } else if (redeemed > plan.capPoints()) {
      throw capExceeded(maxRedeemable);
    } else if (redeemed > spendable) {
      throw insufficient(maxRedeemable);
    }
    long savedMinor = redeemed * program.pointValueMinor();
    int tier = program.tierIndex(lifetimeSpendMinor);
    long rateBp = tier < 0 ? program.accrualRateBp() : program.tiers().get(tier).accrualRateBp();
    long baseMinor = program.accrueOn() == Program.AccrueOn.PAID ? plan.eligibleMinor() - savedMinor : plan.eligibleMinor();
    long accrued = baseMinor * rateBp / (BASIS_POINTS * program.pointValueMinor());
    return new Outcome(redeemed, savedMinor, accrued, plan.totalMinor() - savedMinor);
  }

  static ApiException capExceeded(long maxRedeemable) {
    return new ApiException(ErrorCode.REDEEM_CAP_EXCEEDED,
        "At most " + maxRedeemable + " points can be redeemed on this receipt",
        new JsonObject().put("max_redeemable_points", maxRedeemable));
  }

  static ApiException insufficient(long maxRedeemable) {
    return new ApiException(ErrorCode.INSUFFICIENT_POINTS,
        "The member cannot redeem that many points; at most " + maxRedeemable + " on this receipt",
        new JsonObject().put("max_redeemable_points", maxRedeemable));
  }
}
