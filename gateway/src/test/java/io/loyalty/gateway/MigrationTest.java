package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.support.TestStores;
import io.vertx.pgclient.PgConnectOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.List;
import java.util.UUID;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Test;

/** Migrations that convert what earlier versions wrote: V4 (one encoded state per member), V7, 7.1 and V8. */
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

  @Test
  void membersWrittenBeforeV7GetTheirDueTimesConsentConsentHistoryAndRedemptionDay() throws Exception {
    String url = databaseAt("6");
    UUID member = UUID.randomUUID();
    long expireAt = System.currentTimeMillis() + 3 * Rules.DAY_MILLIS;
    Profile profile = new Profile("+79990000000", null, null, true, false, true, 0);
    MemberState state = new MemberState(member, "old", 1, 40, 10, 0, 0, 5_000,
        List.of(new Lot(2, 10, 10, expireAt - Rules.DAY_MILLIS, Lot.NEVER)),
        List.of(new Lot(1, 40, 40, 0, expireAt)), List.of(), profile, List.of(), List.of());
    try (Connection sql = connect(url)) {
      sql.createStatement().execute("INSERT INTO programs (id, config) VALUES ('old', '{}')");
      sql.createStatement().execute("INSERT INTO members (id, program_id, phone, consent_personal_data, "
          + "consent_marketing) VALUES ('" + member + "', 'old', '+79990000000', true, false)");
      try (var st = sql.prepareStatement("INSERT INTO member_balances (member_id, seq, available, pending, held, "
          + "lifetime_spend_minor, debt, state, updated_at, program_id, last_redeem_at) "
          + "VALUES (?::uuid, 1, 40, 10, 0, 5000, 0, ?, now(), 'old', '2026-03-04 23:30:00.123+00')")) {
        st.setString(1, member.toString());
        st.setBytes(2, StateCodec.encode(state));
        st.executeUpdate();
      }
    }
    Database.migrate(url);
    try (Connection sql = connect(url); var rs = sql.createStatement().executeQuery(
        "SELECT b.due_at, b.next_expiry_at, m.consent_service_notices, c.source, b.last_redeem_on::text "
            + "FROM member_balances b "
            + "JOIN members m ON m.id = b.member_id JOIN member_consents c ON c.member_id = b.member_id")) {
      assertThat(rs.next()).isTrue();
      // kept rounded up to the whole minute, so purchases within a minute leave the indexed columns alone
      long activateAt = expireAt - Rules.DAY_MILLIS;
      long unit = 60_000;
      assertThat(rs.getTimestamp(1).getTime()).as("the pending lot activates first")
          .isEqualTo((activateAt + unit - 1) / unit * unit).isBetween(activateAt, activateAt + unit - 1);
      assertThat(rs.getTimestamp(2).getTime()).isEqualTo((expireAt + unit - 1) / unit * unit);
      assertThat(rs.getBoolean(3)).as("service notices as personal data").isTrue();
      assertThat(rs.getString(4)).isEqualTo("till");
      assertThat(rs.getString(5)).as("the UTC day of the last redemption").isEqualTo("2026-03-04");
      assertThat(rs.next()).isFalse();
    }
  }

  /** A new database on the test PostgreSQL, migrated as far as the version before V4. */
  static String databaseAtV3() throws Exception {
    return databaseAt("3");
  }

  /** A new database on the test PostgreSQL, migrated as far as {@code version}. */
  static String databaseAt(String version) throws Exception {
    String base = TestStores.get().databaseUrl();
    String name = "v" + version + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    try (Connection sql = connect(base)) {
      sql.createStatement().execute("CREATE DATABASE " + name);
    }
    String url = base.substring(0, base.lastIndexOf('/') + 1) + name;
    PgConnectOptions pg = PgConnectOptions.fromUri(url);
    Flyway.configure().dataSource(jdbc(pg), pg.getUser(), pg.getPassword()).target(version).load().migrate();
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
