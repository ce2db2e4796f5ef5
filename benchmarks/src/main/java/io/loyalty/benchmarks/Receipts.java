package io.loyalty.benchmarks;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.SplittableRandom;

/** Realistic purchase bodies: 10 lines over common grocery categories, one in eight with a tobacco line. */
final class Receipts {
  private static final String[] CATEGORIES = {"dairy", "bakery", "produce", "meat", "household", "drinks", "snacks"};

  private Receipts() {
  }

  static JsonObject purchase(SplittableRandom random, String memberId, int lines, Object redeem) {
    JsonArray items = new JsonArray();
    long total = 0;
    for (int i = 0; i < lines; i++) {
      long amount = 5_000 + random.nextLong(150_000);
      String category = i == 0 && random.nextInt(8) == 0 ? "tobacco" : CATEGORIES[random.nextInt(CATEGORIES.length)];
      items.add(new JsonObject().put("sku", "sku-" + random.nextInt(50_000)).put("category", category)
          .put("amount_minor", amount));
      total += amount;
    }
    JsonObject body = new JsonObject()
        .put("member", new JsonObject().put("id", memberId))
        .put("receipt", new JsonObject().put("number", "R-" + random.nextInt(1_000_000)).put("total_minor", total)
            .put("lines", items));
    if (redeem != null) {
      body.put("redeem_points", redeem);
    }
    return body;
  }

  /** Zipf-like member choice: a few regulars shop often, most members rarely (s = 1 over n members). */
  static int[] zipf(SplittableRandom random, int members, int samples) {
    double[] cumulative = new double[members];
    double sum = 0;
    for (int i = 0; i < members; i++) {
      sum += 1.0 / (i + 1);
      cumulative[i] = sum;
    }
    int[] picks = new int[samples];
    for (int s = 0; s < samples; s++) {
      double u = random.nextDouble() * sum;
      int lo = 0;
      int hi = members - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cumulative[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      picks[s] = lo;
    }
    return picks;
  }
}
