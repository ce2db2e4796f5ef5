package io.loyalty.gateway.report;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.writebehind.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.TreeMap;
import org.flywaydb.core.api.MigrationVersion;
import org.flywaydb.core.api.migration.Context;
import org.flywaydb.core.api.migration.JavaMigration;

/**
 * Migration 6.1: fills program_expiry (V6) from the lots of the member states already in PostgreSQL, which only
 * Java can decode. Reads the members in chunks, so a large table is not held in memory.
 */
public final class ExpiryBackfill implements JavaMigration {
  private static final int CHUNK = 10_000;
  private static final String SELECT_STATES = """
      SELECT member_id::text, program_id, state FROM member_balances
       WHERE state IS NOT NULL AND member_id > ?::uuid ORDER BY member_id LIMIT ?""";
  private static final String INSERT = "INSERT INTO program_expiry (program_id, expire_on, points) "
      + "VALUES (?, date 'epoch' + ?, ?)";

  @Override
  public MigrationVersion getVersion() {
    return MigrationVersion.fromVersion("6.1");
  }

  @Override
  public String getDescription() {
    return "expiry by day from member states";
  }

  @Override
  public Integer getChecksum() {
    return 61;
  }

  @Override
  public boolean canExecuteInTransaction() {
    return true;
  }

  @Override
  public void migrate(Context context) throws Exception {
    Connection sql = context.getConnection();
    Map<String, Map<Long, Long>> byProgram = new TreeMap<>();
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
            MemberState state = StateCodec.decode(r.getBytes(3));
            // what the write-behind would have added had it seen the member's lots arrive
            MemberState none = MemberState.enrolled(state.id(), state.programId(), state.profile());
            Map<Long, Long> days = byProgram.computeIfAbsent(r.getString(2), p -> new TreeMap<>());
            Event.expiryDeltas(none, state).forEach(d -> days.merge(d.epochDay(), d.points(), Long::sum));
          }
        }
      }
    }
    try (PreparedStatement st = sql.prepareStatement(INSERT)) {
      for (Map.Entry<String, Map<Long, Long>> program : byProgram.entrySet()) {
        for (Map.Entry<Long, Long> day : program.getValue().entrySet()) {
          st.setString(1, program.getKey());
          st.setInt(2, Math.toIntExact(day.getKey()));
          st.setLong(3, day.getValue());
          st.addBatch();
        }
      }
      st.executeBatch();
    }
  }
}
