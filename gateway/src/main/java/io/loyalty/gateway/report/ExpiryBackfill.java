package io.loyalty.gateway.report;

import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.store.StateBackfill;
import io.loyalty.gateway.writebehind.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;

/** Migration 6.1: fills program_expiry (V6) from the lots of the member states already in PostgreSQL. */
public final class ExpiryBackfill extends StateBackfill {
  private static final String INSERT = "INSERT INTO program_expiry (program_id, expire_on, points) "
      + "VALUES (?, date 'epoch' + ?, ?)";
  private final Map<String, Map<Long, Long>> byProgram = new TreeMap<>();

  public ExpiryBackfill() {
    super("6.1", "expiry by day from member states");
  }

  @Override
  protected void visit(Connection sql, String memberId, String programId, MemberState state) {
    // what the write-behind would have added had it seen the member's lots arrive
    MemberState none = MemberState.enrolled(state.id(), state.programId(), state.profile());
    Map<Long, Long> days = byProgram.computeIfAbsent(programId, p -> new TreeMap<>());
    Event.expiryDeltas(none, state).forEach(d -> days.merge(d.epochDay(), d.points(), Long::sum));
  }

  @Override
  protected void done(Connection sql) throws SQLException {
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
    byProgram.clear();
  }
}
