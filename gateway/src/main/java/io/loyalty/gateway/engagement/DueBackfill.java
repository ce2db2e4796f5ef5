package io.loyalty.gateway.engagement;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Timestamp;
import java.sql.Types;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Migration 7.1: fills member_balances.due_at and next_expiry_at (V7) from the member states already in
 * PostgreSQL, so background expiry and reminders find the members written before V7. In chunks by member.
 */
public final class DueBackfill implements JavaMigration {
  private static final int CHUNK = 10_000;
  private static final String SELECT_STATES = """
      SELECT member_id::text, state FROM member_balances
       WHERE state IS NOT NULL AND member_id > ?::uuid ORDER BY member_id LIMIT ?""";
  private static final String UPDATE = "UPDATE member_balances SET due_at = ?, next_expiry_at = ? WHERE member_id = ?::uuid";

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("7.1");
  }

  @Override
  public String getDescription() {
    return "due times from member states";
  }

  @Override
  public Integer getChecksum() {
    return 71;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection sql = context.getConnection();
    String after = "00000000-0000-0000-0000-000000000000";
    for (int rows = CHUNK; rows == CHUNK; ) {
      rows = 0;
      try (PreparedStatement select = sql.prepareStatement(SELECT_STATES);
           PreparedStatement update = sql.prepareStatement(UPDATE)) {
        select.setString(1, after);
        select.setInt(2, CHUNK);
        try (ResultSet r = select.executeQuery()) {
          while (r.next()) {
            rows++;
            after = r.getString(1);
            MemberState state = StateCodec.decode(r.getBytes(2));
            Lot next = state.nextExpiring();
            set(update, 1, state.dueAt());
            set(update, 2, next == null ? null : next.expireAt());
            update.setString(3, after);
            update.addBatch();
          }
        }
        update.executeBatch();
      }
    }
  }

  private static void set(PreparedStatement st, int index, Long millis) throws java.sql.SQLException {
    if (millis == null) {
      st.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      st.setTimestamp(index, new Timestamp(millis));
    }
  }
}
