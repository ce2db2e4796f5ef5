package io.loyalty.benchmarks;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.purchase.Rules;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Rule evaluation for a realistic receipt: plan (eligible amount, redemption cap) then settle (redemption,
 * tier rate, accrual) for pre-generated 10-line receipts with a tobacco line in some, against a four-tier program.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RulesBenchmark {
  private static final int RECEIPTS = 1024;

  @Param({"10"})
  int lines;

  private Program program;
  private Rules.Receipt[] receipts;
  private long[] balances;
  private long[] spends;
  private int next;

  @Setup
  public void setUp() {
    program = Program.parse("bench", new JsonObject().put("currency", "RUB")
        .put("excluded_categories", new JsonArray().add("tobacco").add("alcohol").add("gift-cards"))
        .put("tiers", new JsonArray()
            .add(tier("Base", 0, 300)).add(tier("Silver", 500_000, 500))
            .add(tier("Gold", 2_000_000, 700)).add(tier("Platinum", 10_000_000, 1000))));
    String[] categories = {"dairy", "bakery", "produce", "meat", "household", "tobacco", "drinks", "snacks"};
    SplittableRandom random = new SplittableRandom(7);
    receipts = new Rules.Receipt[RECEIPTS];
    balances = new long[RECEIPTS];
    spends = new long[RECEIPTS];
    for (int r = 0; r < RECEIPTS; r++) {
      List<Rules.Line> receiptLines = new ArrayList<>();
      long total = 0;
      for (int i = 0; i < lines; i++) {
        long amount = 5_000 + random.nextLong(150_000);
        receiptLines.add(new Rules.Line("sku-" + random.nextInt(50_000), categories[random.nextInt(categories.length)],
            amount));
        total += amount;
      }
      receipts[r] = new Rules.Receipt("R-" + r, total, List.copyOf(receiptLines));
      balances[r] = random.nextLong(5_000);
      spends[r] = random.nextLong(15_000_000);
    }
  }

  private static JsonObject tier(String name, long minSpend, long rateBp) {
    return new JsonObject().put("name", name).put("min_spend_minor", minSpend).put("accrual_rate_bp", rateBp);
  }

  @Benchmark
  public Rules.Outcome planAndSettle() {
    int i = next++ & (RECEIPTS - 1);
    Rules.Plan plan = Rules.plan(program, receipts[i], Rules.REDEEM_MAX);
    return Rules.settle(program, plan, balances[i], spends[i]);
  }
}
