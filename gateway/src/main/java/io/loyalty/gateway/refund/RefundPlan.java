package io.loyalty.gateway.refund;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.purchase.Rules;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one refund moves, as a pure function of the transaction's record and the request. Amounts are cumulative
 * (what has been refunded after this one, minus what had been before), so refunds in several parts add up to
 * exactly the whole: never more accrual reversed than was accrued, never more points restored than redeemed.
 *
 * @param refundedMinor money refunded by this refund
 * @param refundedEligibleMinor the part of it that was eligible for points
 * @param reversePoints accrued points to take back
 * @param restorePoints redeemed points to give back
 * @param skuTotals minor refunded per SKU after this refund (for refunds by line)
 * @param refundsSeen how many refunds the record had when planned (the script applies the plan only then)
 */
public record RefundPlan(long refundedMinor, long refundedEligibleMinor, long reversePoints, long restorePoints,
    JsonObject skuTotals, long refundsSeen) {

  /** Plans a refund of {@code lines} ({sku: minor}) or, when null, of {@code amountMinor}. */
  public static RefundPlan of(JsonObject record, Map<String, Long> lines, long amountMinor) {
    long total = record.getLong("tot");
    long eligible = record.getLong("el");
    JsonObject refunds = record.getJsonObject("rf");
    long refundedBefore = refunds.getLong("tot");
    long eligibleBefore = refunds.getLong("el");
    JsonObject skuTotals = refunds.getValue("sku") instanceof JsonObject sku ? sku.copy() : new JsonObject();
    long refunded;
    long eligibleAfter;
    if (lines != null) {
      JsonObject receiptLines = record.getJsonObject("lines");
      refunded = 0;
      long eligibleDelta = 0;
      for (Map.Entry<String, Long> line : lines.entrySet()) {
        if (!(receiptLines.getValue(line.getKey()) instanceof JsonArray skuLine)) {
          Fields f = new Fields();
          f.error("lines", "SKU '" + line.getKey() + "' is not on the receipt");
          f.throwIfInvalid();
          return null;
        }
        long skuAmount = skuLine.getLong(0);
        long skuEligible = skuLine.getLong(1);
        long skuBefore = skuTotals.getLong(line.getKey(), 0L);
        long skuAfter = skuBefore + line.getValue();
        if (skuAfter > skuAmount) {
          throw exceeds("SKU '" + line.getKey() + "' has " + (skuAmount - skuBefore) + " left to refund",
              skuAmount - skuBefore);
        }
        eligibleDelta += Rules.proportion(skuEligible, skuAfter, skuAmount) - Rules.proportion(skuEligible, skuBefore, skuAmount);
        skuTotals.put(line.getKey(), skuAfter);
        refunded += line.getValue();
      }
      eligibleAfter = Math.min(eligible, eligibleBefore + eligibleDelta);
    } else {
      refunded = amountMinor;
      eligibleAfter = Math.min(eligible, Math.max(eligibleBefore,
          Rules.proportion(eligible, Math.min(total, refundedBefore + refunded), total)));
    }
    if (refundedBefore + refunded > total) {
      throw exceeds("The transaction has " + (total - refundedBefore) + " left to refund", total - refundedBefore);
    }
    long reverseAfter = eligible == 0 ? 0 : Rules.proportion(record.getLong("acc", 0L), eligibleAfter, eligible);
    long restoreAfter = eligible == 0 ? 0 : Rules.proportion(record.getLong("red", 0L), eligibleAfter, eligible);
    return new RefundPlan(refunded, eligibleAfter - eligibleBefore,
        Math.max(0, reverseAfter - refunds.getLong("rev")), Math.max(0, restoreAfter - refunds.getLong("rst")),
        skuTotals, refunds.getLong("n"));
  }

  /** Refund lines by SKU, duplicates added together. */
  static Map<String, Long> bySku(JsonArray lines, Fields f) {
    Map<String, Long> bySku = new LinkedHashMap<>();
    f.eachObject(lines, "lines", (path, line) -> {
      f.rejectUnknown(line, path, java.util.Set.of("sku", "amount_minor"));
      String sku = f.text(line, path, "sku", true, 64, null);
      Long amount = f.integer(line, path, "amount_minor", null, 1, Fields.MAX_AMOUNT_MINOR);
      if (sku != null && amount != null) {
        bySku.merge(sku, amount, Long::sum);
      }
    });
    return bySku;
  }

  private static ApiException exceeds(String detail, long leftMinor) {
    return new ApiException(ErrorCode.REFUND_EXCEEDS_PURCHASE, detail,
        new JsonObject().put("refundable_minor", leftMinor));
  }
}
