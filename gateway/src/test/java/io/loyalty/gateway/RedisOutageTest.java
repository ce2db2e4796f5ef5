package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/** Redis down: a fast 503 to retry, not-ready, and recovery by itself once Redis is back (even empty). */
class RedisOutageTest {
  static RedisServer redis;
  static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    int port = io.loyalty.gateway.EmbeddedStores.freePort();
    redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("appendonly no").setting("save \"\"").build();
    redis.start();
    gw = TestGateway.start(Map.of("REDIS_URL", "redis://127.0.0.1:" + port, "REDIS_TIMEOUT_MS", "500"));
  }

  @AfterAll
  static void stop() throws IOException {
    gw.close();
    redis.stop();
  }

  @Test
  void redisDownIsARetryableAnswerAndRecoveryNeedsNoOne() throws IOException {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    assertThat(gw.purchase(till, "before", TestGateway.purchase(member, "R-1", 100_000, null)).status()).isEqualTo(201);
    gw.awaitDrained();

    redis.stop();
    long started = System.nanoTime();
    Response down = gw.purchase(till, "during", TestGateway.purchase(member, "R-2", 100_000, null));
    assertThat((System.nanoTime() - started) / 1_000_000).as("answer time in ms").isLessThan(5_000);
    assertThat(down.status()).isEqualTo(503);
    assertThat(down.json().getString("code")).isEqualTo("store_unavailable");
    assertThat(down.header("retry-after")).isEqualTo("1");
    assertThat(gw.call("GET", "/health/ready", null, null, null).status()).isEqualTo(503);

    redis.start(); // empty: this Redis keeps nothing on disk
    Response retried = null;
    for (int attempt = 0; attempt < 100; attempt++) {
      retried = gw.purchase(till, "during", TestGateway.purchase(member, "R-2", 100_000, null));
      if (retried.status() != 503) {
        break;
      }
      TestGateway.sleep(200);
    }
    assertThat(retried.status()).as(retried.raw().body()).isEqualTo(201);
    // reloaded from PostgreSQL, so the first purchase is still there
    assertThat(retried.json().getJsonObject("balance").getLong("available")).isEqualTo(100);
    assertThat(gw.call("GET", "/health/ready", null, null, null).status()).isEqualTo(200);
    gw.awaitDrained(); // the write-behind group was recreated and the new entry reached PostgreSQL
    try (var sql = gw.sql(); var st = sql.prepareStatement(
        "SELECT sum(available_delta) FROM ledger WHERE member_id = ?::uuid")) {
      st.setString(1, member);
      var rs = st.executeQuery();
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(100);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
