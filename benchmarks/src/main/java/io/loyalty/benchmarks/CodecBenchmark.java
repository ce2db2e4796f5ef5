package io.loyalty.benchmarks;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.purchase.PurchaseBody;
import io.loyalty.gateway.purchase.PurchaseRequest;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.writebehind.Event;
import io.vertx.core.buffer.Buffer;
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
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The encoding work around one purchase: decoding and validating a 10-line request body with its fingerprint (the
 * tree path and the streaming one), the
 * answer's JSON, and the member state and write-behind event of the change, encoded and decoded, for a member
 * holding {@code lots} lots.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CodecBenchmark {
  @Param({"50"})
  int lots;

  private Program program;
  private Buffer requestBytes;
  private byte[] requestArray;
  private JsonObject requestJson;
  private Decision decision;
  private byte[] state;
  private byte[] event;

  private MemberState member;

  @Setup
  public void setUp() {
    program = RulesBenchmark.program();
    SplittableRandom random = new SplittableRandom(3);
    requestJson = Receipts.purchase(random, UUID.randomUUID().toString(), 10, "max");
    requestBytes = requestJson.toBuffer();
    requestArray = requestBytes.getBytes();
    member = RulesBenchmark.member(random, lots);
    var planned = RulesBenchmark.receipt(random, 10).plan(program);
    decision = Rules.decide(member, new Command.Buy(UUID.randomUUID(), UUID.randomUUID(), "store-1", "R-1",
        planned.totalMinor(), planned.eligibleMinor(), planned.lines(), Command.REDEEM_MAX, RulesBenchmark.NOW, false),
        program, RulesBenchmark.NOW);
    state = StateCodec.encode(decision.state());
    event = encodeEvent();
  }

  /** The tree path: what every body took before, and what unusual bodies still take (with the fingerprint). */
  @Benchmark
  public byte[] decodeAndValidateRequest() {
    JsonObject body = new JsonObject(requestBytes);
    PurchaseRequest.parse(body, program);
    return Purchases.fingerprint("POST /v1/purchases", body);
  }

  /** The streaming path everyday bodies take: request and fingerprint in one pass. */
  @Benchmark
  public PurchaseBody.Parsed streamRequest() {
    return PurchaseBody.read(requestArray, "POST /v1/purchases");
  }

  @Benchmark
  public Buffer encodeAnswer() {
    return Answers.json(decision.answer());
  }

  @Benchmark
  public byte[] encodeState() {
    return StateCodec.encode(decision.state());
  }

  @Benchmark
  public MemberState decodeState() {
    return StateCodec.decode(state);
  }

  @Benchmark
  public byte[] encodeEvent() {
    return Event.encode(member, decision, state, null, null, null);
  }

  @Benchmark
  public Event decodeEvent() {
    return Event.decode(event);
  }
}
