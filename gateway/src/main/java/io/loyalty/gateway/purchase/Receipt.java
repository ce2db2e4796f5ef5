package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.SkuLine;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A receipt as a till sends it: its number, total and lines. */
public record Receipt(String number, long totalMinor, List<Line> lines) {

  public record Line(String sku, String category, long amountMinor) {
  }

  /** What the rules need of a receipt: its total, the part eligible for points, and its lines by SKU. */
  public record Planned(long totalMinor, long eligibleMinor, List<SkuLine> lines) {
  }

  /** Adds the receipt up under the program's excluded categories; 422 {@code lines_total_mismatch} if it does not. */
  public Planned plan(Program program) {
    long linesMinor = 0;
    long eligibleMinor = 0;
    Map<String, long[]> bySku = new LinkedHashMap<>();
    for (Line line : lines) {
      boolean eligible = !Program.isExcluded(program.excludedCategories(), line.category());
      linesMinor += line.amountMinor();
      eligibleMinor += eligible ? line.amountMinor() : 0;
      long[] sums = bySku.computeIfAbsent(line.sku(), sku -> new long[2]);
      sums[0] += line.amountMinor();
      sums[1] += eligible ? line.amountMinor() : 0;
    }
    if (linesMinor != totalMinor) {
      throw new ApiException(ErrorCode.LINES_TOTAL_MISMATCH,
          "Lines add up to " + linesMinor + " but total_minor is " + totalMinor,
          new JsonObject().put("lines_sum_minor", linesMinor).put("total_minor", totalMinor));
    }
    List<SkuLine> skuLines = new ArrayList<>(bySku.size());
    bySku.forEach((sku, sums) -> skuLines.add(new SkuLine(sku, sums[0], sums[1])));
    return new Planned(totalMinor, eligibleMinor, List.copyOf(skuLines));
  }
}
