package io.loyalty.benchmarks;

import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.writebehind.Handoff;
import io.loyalty.gateway.writebehind.WriteBehind;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole purchase path in-process, without HTTP: validation, rules, the commit script in a real Redis, with
 * the write-behind worker draining into a real PostgreSQL meanwhile. Members are picked Zipf-like; a third of the
 * purchases redeem. Stores: BENCH_REDIS_URL (default redis://127.0.0.1:6379) and BENCH_DATABASE_URL (default
 * postgresql://postgres@127.0.0.1:5432/test), migrated on start. Each run uses a new program.
 */
@State(Scope.Benchmark)
@Warmup(iterations = 3, time = 3)
@Measurement(iterations = 5, time = 3)
@Fork(1)
public class PurchasePathBenchmark {
  private static final int BODIES = 4096;

  @Param({"1000"})
  int members;

  private Vertx vertx;
  private Redis redis;
  private WriteBehind writeBehind;
  private Purchases purchases;
  private Till till;
  private JsonObject[] bodies;
  private final AtomicLong next = new AtomicLong();
  private final String run = UUID.randomUUID().toString().substring(0, 8);

  @Setup
  public void setUp() throws Exception {
    String redisUrl = env("BENCH_REDIS_URL", "redis://127.0.0.1:6379");
    String databaseUrl = env("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test");
    vertx = Vertx.vertx();
    Database.migrate(databaseUrl);
    redis = Redis.connect(vertx, redisUrl, false, Duration.ofSeconds(2));
    Pool pool = Database.pool(vertx, databaseUrl, 4);
    Clock clock = Clock.systemUTC();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    ProgramRegistry programs = new ProgramRegistry(pool, clock);
    await(programs.refresh());
    Program program = Program.parse("bench-" + run, new JsonObject().put("currency", "RUB").put("expiry_days", 365)
        .put("excluded_categories", new JsonArray().add("tobacco"))
        .put("tiers", new JsonArray()
            .add(new JsonObject().put("name", "Base").put("min_spend_minor", 0).put("accrual_rate_bp", 300))
            .add(new JsonObject().put("name", "Gold").put("min_spend_minor", 5_000_000).put("accrual_rate_bp", 700))));
    await(programs.put(program));
    till = programs.till(await(programs.issueTillKey(program.id(), "bench", "till-1")));
    Handoff handoff = new Handoff(500, registry);
    MemberStore store = new MemberStore(redis, pool, handoff, clock, 172_800, 10_000_000, registry);
    Members memberStore = new Members(pool, redis, store, clock);
    purchases = new Purchases(programs, memberStore, store, clock, new InFlight());
    SplittableRandom random = new SplittableRandom(11);
    String[] ids = new String[members];
    for (int i = 0; i < members; i++) {
      String phone = "+7999" + String.format("%07d", random.nextInt(10_000_000));
      ids[i] = await(memberStore.enrol(program.id(), new Members.Enrolment(phone, null, null, true, false, true, null))
          .recover(e -> Future.succeededFuture(UUID.randomUUID()))).toString();
    }
    int[] picks = Receipts.zipf(random, members, BODIES);
    bodies = new JsonObject[BODIES];
    for (int i = 0; i < BODIES; i++) {
      bodies[i] = Receipts.purchase(random, ids[picks[i]], 10, i % 3 == 0 ? "max" : null);
    }
    writeBehind = new WriteBehind(redis, pool, handoff, registry, 500, 20, 30_000, 5_000,
        java.time.Clock.systemUTC());
    await(vertx.deployVerticle(writeBehind,
        new io.vertx.core.DeploymentOptions().setThreadingModel(io.vertx.core.ThreadingModel.WORKER)));
  }

  @Benchmark
  @BenchmarkMode(Mode.AverageTime)
  @OutputTimeUnit(TimeUnit.MICROSECONDS)
  @Threads(1)
  public JsonObject oneTill() {
    return purchase();
  }

  @Benchmark
  @BenchmarkMode(Mode.Throughput)
  @OutputTimeUnit(TimeUnit.SECONDS)
  @Threads(16)
  public JsonObject sixteenTills() {
    return purchase();
  }

  private JsonObject purchase() {
    long n = next.incrementAndGet();
    JsonObject body = bodies[(int) (n % BODIES)];
    return purchases.transact(till, run + "-" + n, body, Purchases.Mode.PURCHASE, System.currentTimeMillis())
        .toCompletionStage().toCompletableFuture().join().body();
  }

  @TearDown
  public void tearDown() {
    redis.closeAsync().join();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  private static <T> T await(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  private static String env(String name, String fallback) {
    String value = System.getenv(name);
    return value == null || value.isBlank() ? fallback : value;
  }
}
