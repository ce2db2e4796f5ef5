package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** A stop is bounded: a PostgreSQL that stops answering in the middle of a write-behind batch cannot hold it. */
class StopTest {

  @Test
  void aStopWhoseBatchWaitsOnPostgresqlEndsAtItsBoundAndTheNextGatewayWritesTheBatch() throws Exception {
    // its own gateway: the lock below would hold any other gateway's write-behind too
    try (TestGateway gw = TestGateway.start(Map.of("STOP_TIMEOUT_MS", "500"))) {
      String till = gw.till(gw.program(new JsonObject()));
      String member = gw.member(till);
      gw.awaitDrained();
      try (Connection lock = gw.sql(); Connection watch = gw.sql()) {
        lock.setAutoCommit(false);
        try (Statement st = lock.createStatement()) {
          st.execute("LOCK TABLE ledger IN EXCLUSIVE MODE"); // reads go on; the write-behind's insert waits
        }
        for (int i = 0; i < 3; i++) {
          gw.purchase(till, "held-" + i, TestGateway.purchase(member, "R-held-" + i, 100_000, null));
        }
        awaitWaitingOnALock(watch);
        // the batch never ends while the lock is held: without a bound this stop did not end either (restart
        // gives it 30 s); the lock goes once the gateway has stopped
        gw.restart(() -> {
          try {
            lock.commit();
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        });
      }
      // the batch cut short is written by the next gateway, once
      gw.awaitDrained();
      try (Connection sql = gw.sql()) {
        assertThat(WriteBehindTest.ledgerSums(sql, member)).containsExactly(150, 0, 0);
      }
    }
  }

  /** Until a statement of this database waits on a lock (the write-behind's batch, behind the test's). */
  private static void awaitWaitingOnALock(Connection watch) throws SQLException {
    for (int i = 0; i < 500; i++) {
      try (Statement st = watch.createStatement();
          ResultSet rs = st.executeQuery("SELECT count(*) FROM pg_stat_activity "
              + "WHERE datname = current_database() AND wait_event_type = 'Lock'")) {
        rs.next();
        if (rs.getLong(1) > 0) {
          return;
        }
      }
      TestGateway.sleep(20);
    }
    throw new AssertionError("the write-behind's batch never waited on the lock");
  }
}
