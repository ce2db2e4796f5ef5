package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestStores;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The gateway as a real process, killed with SIGKILL in the middle of a load, three times; and stopped with SIGTERM
 * under load. Every acknowledged purchase must end up in PostgreSQL exactly once, every retried one at most once,
 * and every balance must be explained by its ledger.
 */
class GatewayCrashTest {
  static final int KILLS = 3;
  static final int MEMBERS = 10;
  static final int IN_FLIGHT = 16;

  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  final int port = EmbeddedStores.freePort();
  final Path log = Files.createTempFile("gateway-crash", ".log");
  Process gateway;

  GatewayCrashTest() throws Exception {
  }

  @AfterEach
  void stop() {
    if (gateway != null) {
      gateway.destroyForcibly();
    }
  }

  /** A program with a till and its members, made through the API of the running gateway. */
  record Setup(String program, String till, List<String> members) {
  }

  Setup setUp() throws Exception {
    String program = "crash-" + Long.toHexString(System.nanoTime());
    call("PUT", "/v1/admin/programs/" + program, TestGateway.ADMIN_TOKEN, null, "{\"currency\":\"RUB\",\"max_redeem_share_bp\":10000}");
    String till = new JsonObject(call("POST", "/v1/admin/programs/" + program + "/tills", TestGateway.ADMIN_TOKEN,
        null, "{\"store_id\":\"s\",\"till_id\":\"t\"}").body()).getString("api_key");
    List<String> members = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      members.add(new JsonObject(call("POST", "/v1/members", till, null, new JsonObject().put("phone", TestGateway.randomPhone())
          .put("consents", new JsonObject().put("personal_data", true).put("marketing", false)).encode()).body())
          .getString("member_id"));
    }
    return new Setup(program, till, members);
  }

  /**
   * SIGTERM with requests in flight: the gateway stops taking requests, answers those it has, writes its batch,
   * closes its connections and exits, logging nothing alarming (no WARN, no ERROR, no stack trace). Whatever it
   * acknowledged reaches PostgreSQL; what it did not answer is retried with its key against the next gateway, and
   * each purchase happens exactly once.
   */
  @Test
  void aSigtermUnderLoadLosesNothingAndLogsNothingAlarming() throws Exception {
    startGateway();
    Setup s = setUp();
    Map<String, String> bodies = new ConcurrentHashMap<>();
    Map<String, JsonObject> acknowledged = new ConcurrentHashMap<>();
    List<Integer> otherStatuses = new java.util.concurrent.CopyOnWriteArrayList<>();
    List<CompletableFuture<?>> sent = new ArrayList<>();
    long terminateAt = System.currentTimeMillis() + 1500;
    boolean terminated = false;
    for (int n = 0; gateway.isAlive() && n < 200_000; n++) {
      String key = "t-" + n;
      String body = TestGateway.purchase(s.members().get(n % MEMBERS), "R-" + key, 10_000, n % 4 == 0 ? "max" : null)
          .encode();
      bodies.put(key, body);
      sent.add(send(s.till(), key, body).thenAccept(r -> {
        if (r.statusCode() == 201) {
          acknowledged.put(key, new JsonObject(r.body()));
        } else {
          otherStatuses.add(r.statusCode());
        }
      }).exceptionally(e -> null)); // refused once it stopped listening: retried below
      if (sent.size() % IN_FLIGHT == 0) {
        if (!terminated && System.currentTimeMillis() > terminateAt) {
          gateway.destroy(); // SIGTERM, with IN_FLIGHT requests under way
          terminated = true;
        }
        CompletableFuture.allOf(sent.subList(sent.size() - IN_FLIGHT, sent.size()).toArray(CompletableFuture[]::new)).join();
      }
    }
    assertThat(gateway.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).as("exited").isTrue();
    assertThat(gateway.exitValue()).as("exit code after SIGTERM").isIn(0, 143);
    CompletableFuture.allOf(sent.toArray(CompletableFuture[]::new)).join();
    String output = Files.readString(log);
    assertThat(output.lines().filter(l -> l.contains(" WARN ") || l.contains(" ERROR ") || l.contains("Exception")
        || l.startsWith("\tat ")).toList()).as("alarming lines in the gateway's output").isEmpty();
    assertThat(otherStatuses).as("answers other than 201 while stopping").isEmpty();
    assertThat(acknowledged).as("purchases answered before the SIGTERM").isNotEmpty();

    startGateway();
    int retried = 0;
    for (String key : bodies.keySet()) {
      if (!acknowledged.containsKey(key)) {
        retried++;
        HttpResponse<String> retry = send(s.till(), key, bodies.get(key)).join();
        assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
        acknowledged.put(key, new JsonObject(retry.body()));
      }
    }
    System.out.printf("SIGTERM under load: %d purchases, %d answered by the stopping gateway, %d retried%n",
        bodies.size(), bodies.size() - retried, retried);
    awaitDrained(s.program(), TestStores.get().databaseUrl());
    try (Connection sql = jdbc(TestStores.get().databaseUrl())) {
      TestGateway.assertOneTransactionPerKey(sql, s.program(), acknowledged);
    }
  }

  @Test
  void acknowledgedPurchasesSurviveRepeatedKillsExactlyOnce() throws Exception {
    startGateway();
    Setup setup = setUp();
    String program = setup.program();
    String till = setup.till();
    List<String> members = setup.members();

    Map<String, String> bodies = new ConcurrentHashMap<>();
    Map<String, JsonObject> acknowledged = new ConcurrentHashMap<>();
    int sent = 0;
    int retried = 0;
    for (int round = 0; round <= KILLS; round++) {
      long until = System.currentTimeMillis() + 1500;
      List<CompletableFuture<?>> inFlight = new ArrayList<>();
      while (System.currentTimeMillis() < until) {
        for (int i = 0; i < IN_FLIGHT; i++) {
          String key = "k-" + sent++;
          String body = TestGateway.purchase(members.get(sent % MEMBERS), "R-" + key, 10_000,
              sent % 4 == 0 ? "max" : null).encode();
          bodies.put(key, body);
          inFlight.add(send(till, key, body).thenAccept(r -> {
            if (r.statusCode() == 201) {
              acknowledged.put(key, new JsonObject(r.body()));
            }
          }).exceptionally(e -> null));
        }
        if (round < KILLS && System.currentTimeMillis() > until - 500) {
          gateway.destroyForcibly().waitFor(); // SIGKILL with requests in flight
          break;
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
        inFlight.clear();
      }
      CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
      if (!gateway.isAlive()) {
        startGateway();
      }
      // every request without an answer is retried with its key until it has one
      for (String key : bodies.keySet()) {
        if (!acknowledged.containsKey(key)) {
          retried++;
          HttpResponse<String> retry = send(till, key, bodies.get(key)).join();
          assertThat(retry.statusCode()).as(retry.body()).isEqualTo(201);
          acknowledged.put(key, new JsonObject(retry.body()));
        }
      }
    }
    assertThat(acknowledged).hasSize(bodies.size());
    assertThat(retried).as("requests left unanswered by the kills").isPositive();
    System.out.printf("gateway killed %d times; %d purchases, %d answered before a kill, %d retried after one%n",
        KILLS, bodies.size(), bodies.size() - retried, retried);

    String database = TestStores.get().databaseUrl();
    awaitDrained(program, database);
    try (Connection sql = jdbc(database)) {
      // exactly one transaction per key: each acknowledged answer names one of them, none twice, none extra
      TestGateway.assertOneTransactionPerKey(sql, program, acknowledged);
      for (String member : members) {
        JsonObject balance = new JsonObject(call("GET", "/v1/members/" + member, till, null, null).body())
            .getJsonObject("balance");
        try (PreparedStatement st = sql.prepareStatement(
            "SELECT coalesce(sum(available_delta), 0) FROM ledger WHERE member_id = ?::uuid")) {
          st.setString(1, member);
          ResultSet rs = st.executeQuery();
          rs.next();
          assertThat(rs.getLong(1)).as("ledger of " + member).isEqualTo(balance.getLong("available"));
        }
      }
    }
  }

  void startGateway() throws Exception {
    var stores = TestStores.get();
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName())
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    builder.environment().putAll(Map.of("REDIS_URL", stores.redisUrl(), "DATABASE_URL", stores.databaseUrl(),
        "GATEWAY_ADMIN_TOKEN", TestGateway.ADMIN_TOKEN, "GATEWAY_PORT", Integer.toString(port),
        "GATEWAY_EVENT_LOOPS", "2", "WRITE_BEHIND_CLAIM_IDLE_MS", "500", "WRITE_BEHIND_POLL_MS", "5",
        "TILL_RATE_LIMIT_PER_SECOND", "1000000"));
    gateway = builder.start();
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try {
        if (call("GET", "/health/ready", null, null, null).statusCode() == 200) {
          return;
        }
      } catch (Exception notYet) {
        // still starting
      }
      Thread.sleep(100);
    }
    throw new AssertionError("gateway did not start; see " + log + ":\n" + Files.readString(log));
  }

  /** Waits until PostgreSQL has as many idempotency records for the program's till as there were keys. */
  void awaitDrained(String program, String database) throws Exception {
    long deadline = System.currentTimeMillis() + 60_000;
    while (System.currentTimeMillis() < deadline) {
      try (Connection sql = jdbc(database); PreparedStatement st = sql.prepareStatement(
          "SELECT count(*) FROM idempotency_records i JOIN tills t ON t.id = i.till_ref WHERE t.program_id = ?")) {
        st.setString(1, program);
        ResultSet rs = st.executeQuery();
        rs.next();
        if (rs.getLong(1) > 0 && streamsEmpty()) {
          return;
        }
      }
      Thread.sleep(100);
    }
    throw new AssertionError("write-behind did not drain");
  }

  boolean streamsEmpty() {
    try (var client = io.lettuce.core.RedisClient.create(TestStores.get().redisUrl()).connect()) {
      for (int shard = 0; shard < io.loyalty.gateway.store.Keys.SHARDS; shard++) {
        if (client.sync().xlen(io.loyalty.gateway.store.Keys.stream(shard)) > 0) {
          return false;
        }
      }
      return true;
    }
  }

  CompletableFuture<HttpResponse<String>> send(String till, String key, String body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/purchases"))
        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer " + till).header("Idempotency-Key", key)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
    return http.sendAsync(request, HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> call(String method, String path, String bearer, String key, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (bearer != null) {
      request.header("Authorization", "Bearer " + bearer);
    }
    if (body != null) {
      request.header("Content-Type", "application/json");
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  static Connection jdbc(String databaseUrl) throws Exception {
    var options = io.vertx.pgclient.PgConnectOptions.fromUri(databaseUrl);
    return DriverManager.getConnection("jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/"
        + options.getDatabase(), options.getUser(), options.getPassword());
  }

}
