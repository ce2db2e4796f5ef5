package io.loyalty.gateway.support;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.loyalty.gateway.Config;
import io.loyalty.gateway.EmbeddedStores;
import io.loyalty.gateway.Gateway;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.store.Keys;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgConnectOptions;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A real gateway on a free port over the shared test stores, with its clock under test control, plus a client
 * that speaks the API and direct access to Redis and PostgreSQL for checking what was stored.
 */
public final class TestGateway implements AutoCloseable {
  public static final String ADMIN_TOKEN = "test-admin-token-0123456789";
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  public final MutableClock clock;
  private final Config config;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(TIMEOUT).build();
  private final RedisClient redisClient;
  private final StatefulRedisConnection<String, String> redisConnection;
  private final StatefulRedisConnection<String, byte[]> binaryConnection;
  private Gateway gateway;

  private TestGateway(Config config, MutableClock clock) {
    this.config = config;
    this.clock = clock;
    this.redisClient = RedisClient.create(config.redisUrl());
    this.redisConnection = redisClient.connect();
    this.binaryConnection = redisClient.connect(io.loyalty.gateway.store.Redis.CODEC);
  }

  public static TestGateway start() {
    return start(Map.of());
  }

  public static TestGateway start(Map<String, String> extraEnv) {
    return start(extraEnv, new MutableClock());
  }

  /** A gateway on this clock (several gateways of one test may share one). */
  public static TestGateway start(Map<String, String> extraEnv, MutableClock clock) {
    EmbeddedStores stores = TestStores.get();
    Map<String, String> env = new HashMap<>();
    env.put("GATEWAY_PORT", Integer.toString(EmbeddedStores.freePort()));
    env.put("REDIS_URL", stores.redisUrl());
    env.put("DATABASE_URL", stores.databaseUrl());
    env.put("GATEWAY_ADMIN_TOKEN", ADMIN_TOKEN);
    env.put("GATEWAY_EVENT_LOOPS", "2");
    env.put("WRITE_BEHIND_POLL_MS", "5");
    env.put("WRITE_BEHIND_CLAIM_IDLE_MS", "500");
    env.put("CONFIG_REFRESH_MS", "200");
    env.put("TILL_RATE_LIMIT_PER_SECOND", "1000000"); // tests that are not about it send bursts from one till
    env.put("TILL_RATE_LIMIT_BURST", "1000000");
    env.put("SCHEDULER_INTERVAL_MS", "86400000"); // background jobs only in the tests about them
    env.putAll(extraEnv);
    TestGateway test = new TestGateway(Config.fromEnv(env), clock);
    test.startGateway();
    return test;
  }

  private void startGateway() {
    gateway = await(Gateway.start(config, clock).toCompletionStage().toCompletableFuture());
  }

  /** Stops this gateway, runs {@code whileStopped}, and starts a new one on the same port, stores and clock. */
  public void restart(Runnable whileStopped) {
    await(gateway.stop());
    whileStopped.run();
    startGateway();
  }

  public Gateway gateway() {
    return gateway;
  }

  public Config config() {
    return config;
  }

  // ---- the API -------------------------------------------------------------------------------------------

  public record Response(int status, JsonObject json, HttpResponse<String> raw) {
    public String header(String name) {
      return raw.headers().firstValue(name).orElse(null);
    }
  }

  public Response call(String method, String path, String bearer, String idempotencyKey, String body) {
    return await(send(method, path, bearer, idempotencyKey, body));
  }

  public CompletableFuture<Response> send(String method, String path, String bearer, String idempotencyKey,
      String body) {
    return send(method, path, bearer, idempotencyKey, body, "application/json");
  }

  public CompletableFuture<Response> send(String method, String path, String bearer, String idempotencyKey,
      String body, String contentType) {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + config.httpPort() + path))
        .timeout(TIMEOUT)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && contentType != null) {
      request.header("Content-Type", contentType);
    }
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    if (idempotencyKey != null) {
      request.header("Idempotency-Key", idempotencyKey);
    }
    return http.sendAsync(request.build(), HttpResponse.BodyHandlers.ofString()).thenApply(r -> {
      String text = r.body();
      JsonObject json = text != null && text.startsWith("{") ? new JsonObject(text) : null;
      return new Response(r.statusCode(), json, r);
    });
  }

  /** An answer read off a raw socket. */
  public record RawResponse(int status, Map<String, String> headers, String body) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  /**
   * Sends {@code head} (request line and headers, without the blank line) as written, byte for byte, with
   * {@code Connection: close}; for what {@link java.net.http.HttpClient} refuses to send (a malformed URI, an
   * oversized line).
   */
  public RawResponse raw(String head, String body) {
    try (java.net.Socket socket = new java.net.Socket("127.0.0.1", config.httpPort())) {
      socket.setSoTimeout((int) TIMEOUT.toMillis());
      byte[] bytes = body == null ? new byte[0] : body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      String request = head + "\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
          + (body == null ? "" : "Content-Length: " + bytes.length + "\r\n") + "\r\n";
      socket.getOutputStream().write(request.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
      socket.getOutputStream().write(bytes);
      socket.getOutputStream().flush();
      String text = new String(socket.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      int split = text.indexOf("\r\n\r\n");
      String[] lines = text.substring(0, split).split("\r\n");
      Map<String, String> headers = new HashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(java.util.Locale.ROOT), lines[i].substring(colon + 1).trim());
      }
      return new RawResponse(Integer.parseInt(lines[0].split(" ")[1]), headers, text.substring(split + 4));
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** The value of one exported sample, e.g. {@code loyalty_http_requests_active}, or a labelled series; 0 if absent. */
  public double metric(String series) {
    return call("GET", "/metrics", null, null, null).raw().body().lines()
        .filter(l -> l.startsWith(series + " ")).mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst().orElse(0);
  }

  /** Creates a program with a unique id (defaults plus {@code config}) and returns its id. */
  public String program(JsonObject config) {
    String id = "p-" + UUID.randomUUID().toString().substring(0, 8);
    JsonObject body = new JsonObject().put("currency", "RUB").mergeIn(config);
    Response response = call("PUT", "/v1/admin/programs/" + id, ADMIN_TOKEN, null, body.encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
    return id;
  }

  /** Issues a till key in the program. */
  public String till(String programId) {
    Response response = call("POST", "/v1/admin/programs/" + programId + "/tills", ADMIN_TOKEN, null,
        new JsonObject().put("store_id", "store-1").put("till_id", "till-" + UUID.randomUUID().toString().substring(0, 4)).encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
    return response.json().getString("api_key");
  }

  /** Enrols a member with a fresh random phone and returns its id. */
  public String member(String tillKey) {
    return enrol(tillKey, randomPhone()).getString("member_id");
  }

  public JsonObject enrol(String tillKey, String phone) {
    Response response = call("POST", "/v1/members", tillKey, null, new JsonObject().put("phone", phone)
        .put("consents", new JsonObject().put("personal_data", true).put("marketing", false)).encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
    return response.json();
  }

  public static String randomPhone() {
    return "+7912" + String.format("%07d", (long) (Math.random() * 10_000_000));
  }

  /** A purchase body for one line of {@code amountMinor} in category "food". */
  public static JsonObject purchase(String memberId, String receipt, long amountMinor, Object redeemPoints) {
    JsonObject body = new JsonObject()
        .put("member", new JsonObject().put("id", memberId))
        .put("receipt", new JsonObject().put("number", receipt).put("total_minor", amountMinor)
            .put("lines", new io.vertx.core.json.JsonArray().add(new JsonObject()
                .put("sku", "sku-1").put("category", "food").put("amount_minor", amountMinor))));
    if (redeemPoints != null) {
      body.put("redeem_points", redeemPoints);
    }
    return body;
  }

  public Response purchase(String tillKey, String idempotencyKey, JsonObject body) {
    return call("POST", "/v1/purchases", tillKey, idempotencyKey, body.encode());
  }

  public JsonObject memberView(String tillKey, String memberId) {
    Response response = call("GET", "/v1/members/" + memberId, tillKey, null, null);
    assertThat(response.status()).as(response.raw().body()).isEqualTo(200);
    return response.json();
  }

  // ---- the stores ----------------------------------------------------------------------------------------

  public RedisCommands<String, String> redis() {
    return redisConnection.sync();
  }

  /** Redis with binary values: member states and write-behind events. */
  public RedisCommands<String, byte[]> binaryRedis() {
    return binaryConnection.sync();
  }

  /** The member's state as Redis holds it, or null. */
  public MemberState state(String member) {
    byte[] bytes = binaryRedis().get(Keys.member(UUID.fromString(member)));
    return bytes == null ? null : StateCodec.decode(bytes);
  }

  /** Overwrites the member's state in Redis, behind the gateway's back (to fake drift). */
  public void putState(MemberState state) {
    binaryRedis().set(Keys.member(state.id()), StateCodec.encode(state));
  }

  public Connection sql() throws SQLException {
    PgConnectOptions options = PgConnectOptions.fromUri(config.databaseUrl());
    return DriverManager.getConnection("jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/"
        + options.getDatabase(), options.getUser(), options.getPassword());
  }

  /**
   * The durability check every scenario ends with: once written behind, each member's PostgreSQL ledger sums to
   * the balance the API reports (available, pending and held), and a wiped-and-reloaded Redis shows the same.
   *
   * @param tillByMember a till of each member's program
   */
  public void assertPostgresExplainsEveryBalance(Map<String, String> tillByMember) {
    awaitDrained();
    Map<String, JsonObject> views = new HashMap<>();
    try (Connection sql = sql()) {
      for (Map.Entry<String, String> member : tillByMember.entrySet()) {
        JsonObject view = memberView(member.getValue(), member.getKey());
        views.put(member.getKey(), view);
        try (var st = sql.prepareStatement("SELECT coalesce(sum(available_delta), 0), coalesce(sum(pending_delta), 0), "
            + "coalesce(sum(held_delta), 0) FROM ledger WHERE member_id = ?::uuid")) {
          st.setString(1, member.getKey());
          var rs = st.executeQuery();
          rs.next();
          JsonObject balance = view.getJsonObject("balance");
          assertThat(new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)}).as("ledger of " + member.getKey())
              .containsExactly(balance.getLong("available"), balance.getLong("pending"), balance.getLong("held"));
        }
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
    awaitDrained(); // reading the views may have matured lots
    restart(() -> redis().flushall());
    tillByMember.forEach((member, till) -> assertThat(memberView(till, member)).as("reloaded " + member)
        .isEqualTo(views.get(member)));
  }

  /**
   * Exactly once: PostgreSQL holds one transaction of the program per idempotency key sent, and each
   * acknowledged answer (one per key) names a different one of them.
   */
  public static void assertOneTransactionPerKey(Connection sql, String program, Map<String, JsonObject> acknowledged)
      throws SQLException {
    java.util.Set<String> stored = new java.util.HashSet<>();
    try (var st = sql.prepareStatement("SELECT id::text FROM transactions WHERE program_id = ?")) {
      st.setString(1, program);
      var rs = st.executeQuery();
      while (rs.next()) {
        stored.add(rs.getString(1));
      }
    }
    assertThat(stored).as("transactions in PostgreSQL").hasSize(acknowledged.size());
    assertThat(acknowledged.values().stream().map(a -> a.getString("transaction_id")).collect(
        java.util.stream.Collectors.toSet())).as("transactions acknowledged").isEqualTo(stored);
  }

  /** Waits until every shard stream is empty: everything acknowledged so far is in PostgreSQL. */
  public void awaitDrained() {
    long deadline = System.nanoTime() + TIMEOUT.toNanos();
    while (System.nanoTime() < deadline) {
      if (streamEntries() == 0) {
        return;
      }
      sleep(20);
    }
    throw new AssertionError("write-behind did not drain within " + TIMEOUT);
  }

  /** Total entries waiting in the write-behind streams. */
  public long streamEntries() {
    String[] streams = new String[Keys.SHARDS];
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      streams[shard] = Keys.stream(shard);
    }
    // one call, summed in Redis (the test Redis is a single node, so a script may touch every stream)
    return redis().eval("local n = 0 for _, k in ipairs(KEYS) do n = n + redis.call('XLEN', k) end return n",
        io.lettuce.core.ScriptOutputType.INTEGER, streams);
  }

  public static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static <T> T await(CompletableFuture<T> future) {
    try {
      return future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    await(gateway.stop());
    redisConnection.close();
    binaryConnection.close();
    redisClient.shutdown();
  }
}
