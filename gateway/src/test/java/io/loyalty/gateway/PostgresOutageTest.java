package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * PostgreSQL down: tills keep being served from Redis, the lag shows, past the backlog limit new work gets 503 +
 * Retry-After (retries of finished work are still answered), and everything drains by itself once it is back.
 */
class PostgresOutageTest {
  static Path data;
  static int port;
  static EmbeddedPostgres postgres;
  static TestGateway gw;

  @BeforeAll
  static void start() throws IOException {
    data = Files.createTempDirectory("pg-outage");
    port = EmbeddedStores.freePort();
    postgres = startPostgres();
    // 62 entries per shard stream (of 256): one member's shard fills after 62 purchases
    gw = TestGateway.start(Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + port + "/postgres",
        "WRITE_BEHIND_MAX_BACKLOG", Long.toString(62L * io.loyalty.gateway.store.Keys.SHARDS)));
  }

  static EmbeddedPostgres startPostgres() throws IOException {
    return EmbeddedPostgres.builder().setPort(port).setDataDirectory(data).setCleanDataDirectory(false).start();
  }

  @AfterAll
  static void stop() throws IOException {
    gw.close();
    postgres.close();
  }

  @Test
  void tillsAreServedWhilePostgresIsDownAndNothingIsLostWhenItReturns() throws IOException {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    gw.awaitDrained();

    postgres.close();
    int accepted = 0;
    Response refused = null;
    String firstKey = null;
    JsonObject firstAnswer = null;
    for (int i = 0; i < 200 && refused == null; i++) {
      String key = "down-" + i;
      Response response = gw.purchase(till, key, TestGateway.purchase(member, "R-" + i, 10_000, null));
      if (response.status() == 201) {
        accepted++;
        if (firstKey == null) {
          firstKey = key;
          firstAnswer = response.json();
        }
      } else {
        refused = response;
      }
    }
    assertThat(accepted).isEqualTo(62);
    assertThat(refused.status()).isEqualTo(503);
    assertThat(refused.json().getString("code")).isEqualTo("backlog_full");
    assertThat(refused.header("retry-after")).isEqualTo("1");
    Response retry = gw.purchase(till, firstKey, TestGateway.purchase(member, "R-0", 10_000, null));
    assertThat(retry.status()).isEqualTo(201);
    assertThat(retry.json()).isEqualTo(firstAnswer);
    assertThat(gw.call("GET", "/health/live", null, null, null).status()).isEqualTo(200);
    assertThat(gw.call("GET", "/health/ready", null, null, null).status()).isEqualTo(503);
    TestGateway.sleep(1_500); // the lag gauges are sampled every second
    String metrics = gw.call("GET", "/metrics", null, null, null).raw().body();
    assertThat(metrics).contains("loyalty_writebehind_lag_entries 62.0");

    postgres = startPostgres();
    gw.awaitDrained();
    assertThat(gw.purchase(till, "after", TestGateway.purchase(member, "R-after", 10_000, null)).status())
        .isEqualTo(201);
    gw.assertPostgresExplainsEveryBalance(Map.of(member, till));
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(63 * 5);
  }
}
