package io.loyalty.gateway.store;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.MemberState;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * A Java migration that fills something from the member states already in PostgreSQL, which only Java can decode:
 * it visits every member's state in chunks by member, so a large table is never held in memory.
 */
public abstract class StateBackfill implements JavaMigration {
  private static final int CHUNK = 10_000;
  private static final String SELECT_STATES = """
      SELECT member_id::text, program_id, state FROM member_balances
       WHERE state IS NOT NULL AND member_id > ?::uuid ORDER BY member_id LIMIT ?""";

  private final String version;
  private final String description;

  protected StateBackfill(String version, String description) {
    this.version = version;
    this.description = description;
  }

  /** One member's state. */
  protected abstract void visit(Connection sql, String memberId, String programId, MemberState state)
      throws SQLException;

  /** After each chunk of states. */
  protected void chunkDone(Connection sql) throws SQLException {
  }

  /** After the last state. */
  protected void done(Connection sql) throws SQLException {
  }

  @Override
  public final void migrate(Context context) throws Exception {
    Connection sql = context.getConnection();
    String after = "00000000-0000-0000-0000-000000000000";
    for (int rows = CHUNK; rows == CHUNK; ) {
      rows = 0;
      try (PreparedStatement st = sql.prepareStatement(SELECT_STATES)) {
        st.setString(1, after);
        st.setInt(2, CHUNK);
        try (ResultSet r = st.executeQuery()) {
          while (r.next()) {
            rows++;
            after = r.getString(1);
            visit(sql, after, r.getString(2), StateCodec.decode(r.getBytes(3)));
          }
        }
      }
      chunkDone(sql);
    }
    done(sql);
  }

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion(version);
  }

  @Override
  public String getDescription() {
    return description;
  }

  @Override
  public Integer getChecksum() {
    return Integer.parseInt(version.replace(".", ""));
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }
}
