package io.loyalty.benchmarks;

import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XTrimArgs;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

/**
 * The floor of the gateway's design on this machine, for {@code load-tests/run-comparison.sh}: what any gateway
 * built on the same parts (Vert.x HTTP, Lettuce, a Redis that fsyncs every write) must spend per purchase before it
 * decides anything. Each request's body is read and stored in Redis under its idempotency key with one SET (the
 * gateway's commit is one script that also checks the key and appends the write-behind event), then a fixed answer,
 * written by the gateway's own answer writer, is sent. No rules, no state, no write-behind, no PostgreSQL: so its
 * CPU per request is a lower bound on the gateway's, and its rate an upper bound, measured on the same box in the
 * same run.
 *
 * <p>With FLOOR_DATABASE_URL set it is the durable floor: one script per request answers a replay from its
 * idempotency record, or stores a record (a fixed 64 bytes, the size of the gateway's, kept 48 hours as the
 * gateway's default) and appends the body to one Redis stream; one drain writes what the stream holds to PostgreSQL,
 * one row per request keyed by its idempotency key (table {@value #TABLE}, batches of up to {@value #BATCH} rows in
 * one {@code INSERT … unnest} each), then trims the stream. That is the least any idempotent design that writes its
 * purchases behind to PostgreSQL must do: the gateway also reads and writes the member's state, writes a ledger row
 * per movement, a member row per member per batch and its figures.
 *
 * <p>Environment: GATEWAY_PORT (18089), REDIS_URL (redis://127.0.0.1:6379), GATEWAY_EVENT_LOOPS (cores),
 * FLOOR_DATABASE_URL (unset).
 */
public final class Floor {
  /** A purchase's answer, written by the gateway's own writer (a member with a tier to reach, as in the benchmark). */
  private static final Buffer ANSWER = io.loyalty.gateway.http.Answers.json(new Answer.Purchase(UUID.randomUUID(),
      UUID.randomUUID(), 1_234, false, 0, 123_456, 123_456, 0, new Answer.Balance(123_456, 0, 0), 12_345_678,
      new Answer.Tier("base", "silver", 7_654_322), false, 0));
  static final String STREAM = "floor:wb";
  static final String TABLE = "floor_ledger";
  static final int BATCH = 2_000;
  private static final String SOURCE = """
      -- KEYS: 1 idempotency record, 2 the stream. ARGV: 1 the record, 2 its time to live, 3 the key, 4 the body
      local stored = redis.call('GET', KEYS[1])
      if stored then return { stored } end
      redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
      redis.call('XADD', KEYS[2], '*', 'k', ARGV[3], 'b', ARGV[4])
      return {}
      """;
  private static final Script COMMIT = new Script("floor", SOURCE, sha1(SOURCE));
  private static final byte[] RECORD = new byte[64];
  private static final byte[] TTL = String.valueOf(48 * 3600).getBytes(StandardCharsets.UTF_8);
  /** Pause of the drain once it has caught up, as the gateway's write-behind's default poll. */
  private static final long POLL_MS = 20;

  private Floor() {
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("GATEWAY_PORT", "18089"));
    int loops = Integer.parseInt(System.getenv().getOrDefault("GATEWAY_EVENT_LOOPS",
        String.valueOf(Runtime.getRuntime().availableProcessors())));
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true)).build();
    Redis redis = Redis.connect(vertx, System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379"), false,
        Duration.ofSeconds(5));
    String databaseUrl = System.getenv("FLOOR_DATABASE_URL");
    boolean durable = databaseUrl != null;
    if (durable) {
      Pool pool = Database.pool(vertx, databaseUrl, 1);
      pool.query("CREATE TABLE IF NOT EXISTS " + TABLE + " (key text PRIMARY KEY, body bytea NOT NULL)").execute()
          .toCompletionStage().toCompletableFuture().join();
      drain(vertx, redis, pool);
    }
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1").setTcpNoDelay(true))
            .requestHandler(request -> request.body()
                .compose(body -> store(redis, durable, request.getHeader("idempotency-key"), body.getBytes()))
                .onComplete(stored -> request.response().setStatusCode(stored.succeeded() ? 201 : 503)
                    .putHeader("content-type", "application/json").end(ANSWER)))
            .listen();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().join();
    System.out.println((durable ? "durable floor" : "floor") + " listening on " + port);
  }

  /** The floor's one SET, or the durable floor's script. */
  private static Future<Void> store(Redis redis, boolean durable, String key, byte[] body) {
    return durable
        ? redis.run(COMMIT, new String[] {"floor:i:" + key, STREAM}, RECORD, TTL, key.getBytes(StandardCharsets.UTF_8),
            body).mapEmpty()
        : redis.call(c -> c.set("floor:" + key, body)).mapEmpty();
  }

  private static String sha1(String source) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1")
          .digest(source.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Writes what the stream holds to PostgreSQL and trims it, batch after batch, for as long as the process runs. */
  private static void drain(Vertx vertx, Redis redis, Pool pool) {
    redis.call(c -> c.xrange(STREAM, Range.create("-", "+"), Limit.create(0, BATCH)))
        .compose(entries -> entries.isEmpty() ? Future.succeededFuture(0) : write(redis, pool, entries))
        .onComplete(written -> {
          if (written.failed()) {
            written.cause().printStackTrace();
          }
          long pause = written.succeeded() && written.result() == BATCH ? 0 : POLL_MS;
          vertx.setTimer(Math.max(1, pause), t -> drain(vertx, redis, pool));
        });
  }

  private static Future<Integer> write(Redis redis, Pool pool, List<StreamMessage<String, byte[]>> entries) {
    String[] keys = new String[entries.size()];
    Buffer[] bodies = new Buffer[entries.size()];
    for (int i = 0; i < keys.length; i++) {
      keys[i] = new String(entries.get(i).getBody().get("k"), StandardCharsets.UTF_8);
      bodies[i] = Buffer.buffer(entries.get(i).getBody().get("b"));
    }
    String last = entries.get(entries.size() - 1).getId();
    int dash = last.indexOf('-');
    String after = last.substring(0, dash + 1) + (Long.parseLong(last.substring(dash + 1)) + 1);
    return pool.preparedQuery("INSERT INTO " + TABLE + " (key, body) SELECT * FROM unnest($1::text[], $2::bytea[])")
        .execute(Tuple.tuple().addValue(keys).addValue(bodies))
        .compose(r -> redis.call(c -> c.xtrim(STREAM, XTrimArgs.Builder.minId(after))))
        .map(trimmed -> keys.length);
  }
}
