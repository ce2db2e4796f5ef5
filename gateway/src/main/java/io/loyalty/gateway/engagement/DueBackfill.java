package io.loyalty.gateway.engagement;

import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.store.StateBackfill;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;

/**
 * Migration 7.1: fills member_balances.due_at and next_expiry_at (V7) from the member states already in
 * PostgreSQL, so background expiry and reminders find the members written before V7.
 */
public final class DueBackfill extends StateBackfill {
  private static final String UPDATE = "UPDATE member_balances SET due_at = ?, next_expiry_at = ? WHERE member_id = ?::uuid";
  private PreparedStatement update;

  public DueBackfill() {
    super("7.1", "due times from member states");
  }

  @Override
  protected void visit(Connection sql, String memberId, String programId, MemberState state) throws SQLException {
    if (update == null) {
      update = sql.prepareStatement(UPDATE);
    }
    Lot next = state.nextExpiring();
    set(update, 1, ExpiryJob.dueColumn(state.dueAt()));
    set(update, 2, ExpiryJob.dueColumn(next == null ? null : next.expireAt()));
    update.setString(3, memberId);
    update.addBatch();
  }

  @Override
  protected void chunkDone(Connection sql) throws SQLException {
    if (update != null) {
      update.executeBatch();
    }
  }

  @Override
  protected void done(Connection sql) throws SQLException {
    if (update != null) {
      update.close();
      update = null;
    }
  }

  private static void set(PreparedStatement st, int index, Long millis) throws SQLException {
    if (millis == null) {
      st.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      st.setTimestamp(index, new Timestamp(millis));
    }
  }
}
