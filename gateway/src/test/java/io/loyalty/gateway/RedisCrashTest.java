package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * Redis with appendonly yes and appendfsync always, killed with SIGKILL under load and started again from its
 * append-only file: nothing the gateway acknowledged is lost, nothing is applied twice.
 */
class RedisCrashTest {
  static Path dir;
  static int port;
  static RedisServer redis;
  static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    dir = Files.createTempDirectory("redis-aof");
    port = EmbeddedStores.freePort();
    redis = startRedis();
    gw = TestGateway.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port, "REDIS_TIMEOUT_MS", "500"));
  }

  static RedisServer startRedis() throws IOException {
    RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
        .setting("dir " + dir.toAbsolutePath()).setting("appendonly yes").setting("appendfsync always")
        .setting("save \"\"").build();
    server.start();
    return server;
  }

  /** SIGKILL, not a shutdown: Redis gets no chance to write anything more. */
  static void killRedis() {
    long pid = Long.parseLong(gw.redis().info("server").lines().filter(l -> l.startsWith("process_id:"))
        .findFirst().orElseThrow().substring("process_id:".length()).trim());
    ProcessHandle process = ProcessHandle.of(pid).orElseThrow();
    assertThat(process.destroyForcibly()).isTrue();
    process.onExit().join();
  }

  @AfterAll
  static void stop() throws IOException {
    gw.close();
    redis.stop();
  }

  @Test
  void acknowledgedPurchasesSurviveARedisKillWithAppendfsyncAlways() throws IOException {
    String till = gw.till(gw.program(new JsonObject()));
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      members.add(gw.member(till));
    }
    Map<String, String> bodies = new ConcurrentHashMap<>();
    Map<String, String> acknowledged = new ConcurrentHashMap<>();
    List<CompletableFuture<?>> inFlight = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      String key = "aof-" + i;
      String body = TestGateway.purchase(members.get(i % 5), "R-" + i, 10_000, i % 3 == 0 ? "max" : null).encode();
      bodies.put(key, body);
      inFlight.add(gw.send("POST", "/v1/purchases", till, key, body).thenAccept(r -> {
        if (r.status() == 201) {
          acknowledged.put(key, r.json().getString("transaction_id"));
        }
      }));
      if (i == 200) {
        killRedis(); // with requests in flight
      }
      if (inFlight.size() == 16) {
        inFlight.forEach(CompletableFuture::join);
        inFlight.clear();
      }
    }
    inFlight.forEach(CompletableFuture::join);
    int answeredBeforeRestart = acknowledged.size();
    assertThat(answeredBeforeRestart).as("some purchases were refused while Redis was down").isLessThan(400);

    redis.stop();
    redis = startRedis();
    for (String key : bodies.keySet()) {
      Response answer = null;
      for (int attempt = 0; attempt < 100 && (answer == null || answer.status() == 503); attempt++) {
        answer = gw.purchase(till, key, new JsonObject(bodies.get(key)));
        if (answer.status() == 503) {
          TestGateway.sleep(100);
        }
      }
      assertThat(answer.status()).as(answer.raw().body()).isEqualTo(201);
      String before = acknowledged.putIfAbsent(key, answer.json().getString("transaction_id"));
      if (before != null) {
        // acknowledged before the kill: the retry must be the same transaction, replayed from the AOF
        assertThat(answer.json().getString("transaction_id")).isEqualTo(before);
        assertThat(answer.header("idempotent-replayed")).isEqualTo("true");
      }
    }
    assertThat(acknowledged).hasSize(400);
    gw.awaitDrained();
    try (var sql = gw.sql(); var st = sql.prepareStatement(
        "SELECT count(*) FROM transactions WHERE program_id = (SELECT program_id FROM members WHERE id = ?::uuid)")) {
      st.setString(1, members.get(0));
      var rs = st.executeQuery();
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(400);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    Map<String, String> tillByMember = new ConcurrentHashMap<>();
    members.forEach(m -> tillByMember.put(m, till));
    gw.assertPostgresExplainsEveryBalance(tillByMember);
    System.out.printf("redis killed once: %d purchases acknowledged before the restart, %d after%n",
        answeredBeforeRestart, 400 - answeredBeforeRestart);
  }
}
