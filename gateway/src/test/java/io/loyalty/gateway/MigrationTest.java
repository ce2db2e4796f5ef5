package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.support.TestStores;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** Migration V4 (one encoded state per member) on databases earlier versions wrote. */
class MigrationTest {

  @Test
  void aDatabaseHoldingPointsInTheOldTablesIsRefusedRatherThanLoadedWithoutThem() throws Exception {
    String url = databaseAtV3();
    try (Connection sql = connect(url)) {
      UUID member = UUID.randomUUID();
      sql.createStatement().execute("INSERT INTO programs (id, config) VALUES ('old', '{}')");
      sql.createStatement().execute("INSERT INTO members (id, program_id, phone, consent_personal_data, "
          + "consent_marketing) VALUES ('" + member + "', 'old', '+79990000000', true, false)");
      sql.createStatement().execute("INSERT INTO lots (member_id, lot_id, points, remaining, state, activate_at, seq) "
          + "VALUES ('" + member + "', 1, 50, 50, 'available', now(), 1)");
    }
    assertThatThrownBy(() -> Database.migrate(url)).hasMessageContaining("older than migration V4");
  }

  @Test
  void aDatabaseWithoutPointsIsMigrated() throws Exception {
    String url = databaseAtV3();
    Database.migrate(url);
    try (Connection sql = connect(url); var rs = sql.createStatement().executeQuery(
        "SELECT count(*) FROM transactions")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong(1)).isZero();
    }
  }

  /** A new database on the test PostgreSQL, migrated as far as the version before V4. */
  static String databaseAtV3() throws Exception {
    String base = TestStores.get().databaseUrl();
    String name = "v3_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection sql = connect(base)) {
      sql.createStatement().execute("CREATE DATABASE " + name);
    }
    String url = base.substring(0, base.lastIndexOf('/') + 1) + name;
    PgConnectOptions pg = PgConnectOptions.fromUri(url);
    Flyway.configure().dataSource(jdbc(pg), pg.getUser(), pg.getPassword()).target("3").load().migrate();
    return url;
  }

  static Connection connect(String url) throws Exception {
    PgConnectOptions pg = PgConnectOptions.fromUri(url);
    return DriverManager.getConnection(jdbc(pg), pg.getUser(), pg.getPassword());
  }

  static String jdbc(PgConnectOptions pg) {
    return "jdbc:postgresql://" + pg.getHost() + ":" + pg.getPort() + "/" + pg.getDatabase();
  }
}
