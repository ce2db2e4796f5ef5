package io.loyalty.benchmarks;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.purchase.PurchaseRequest;
import io.loyalty.gateway.purchase.Purchases;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The JSON work of one purchase: decoding and validating a 10-line request body, encoding the answer, and the
 * idempotency fingerprint of the body.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
  private Program program;
  private Buffer requestBytes;
  private JsonObject requestJson;
  private String outcome;

  @Setup
  public void setUp() {
    program = Program.parse("bench", new JsonObject().put("currency", "RUB")
        .put("excluded_categories", new JsonArray().add("tobacco")));
    requestJson = Receipts.purchase(new SplittableRandom(3), UUID.randomUUID().toString(), 10, "max");
    requestBytes = requestJson.toBuffer();
    outcome = UUID.randomUUID() + "|" + UUID.randomUUID() + "|47|available|60|100000|94000|6000|1047|0|0|2500000|Gold|Platinum|7500000";
  }

  @Benchmark
  public PurchaseRequest decodeAndValidateRequest() {
    return PurchaseRequest.parse(new JsonObject(requestBytes), program);
  }

  @Benchmark
  public Buffer encodeResponse() {
    return Purchases.render(outcome).toBuffer();
  }

  @Benchmark
  public String fingerprintBody() {
    return Purchases.fingerprint("POST /v1/purchases", requestJson);
  }
}
