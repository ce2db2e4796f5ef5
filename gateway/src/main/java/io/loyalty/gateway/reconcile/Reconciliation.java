package io.loyalty.gateway.reconcile;

import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Compares every member's hot copy in Redis with PostgreSQL, the system of record: the balance snapshot, and the
 * ledger that must explain it. Members whose latest writes are still in the stream (Redis ahead) are skipped as
 * in flight. With repair, a drifting hot copy is dropped (only if it did not change meanwhile), so the member's
 * next touch reloads it from PostgreSQL.
 */
public final class Reconciliation {
  static final String SELECT_MEMBER = """
      SELECT b.seq, b.available, b.pending, b.held, b.lifetime_spend_minor, b.debt,
             (SELECT coalesce(sum(available_delta), 0) FROM ledger l WHERE l.member_id = b.member_id) AS ledger_available,
             (SELECT coalesce(sum(pending_delta), 0) FROM ledger l WHERE l.member_id = b.member_id) AS ledger_pending,
             (SELECT coalesce(sum(held_delta), 0) FROM ledger l WHERE l.member_id = b.member_id) AS ledger_held
        FROM member_balances b WHERE b.member_id = ?::uuid""";
  private static final int SCAN_COUNT = 1000;

  /** What is wrong with one member: {@code kind} is postgres_ledger_mismatch, redis_differs or redis_behind. */
  public record Drift(String memberId, String kind, String detail) {
  }

  public record Report(int checked, int inFlight, List<Drift> drifts, int repaired) {
  }

  private Reconciliation() {
  }

  public static Report run(String redisUrl, String databaseUrl, boolean repair, PrintStream out) throws SQLException {
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, byte[]> connection = client.connect(Redis.CODEC);
         Connection sql = Database.connect(databaseUrl);
         PreparedStatement select = sql.prepareStatement(SELECT_MEMBER)) {
      RedisCommands<String, byte[]> redis = connection.sync();
      int checked = 0;
      int inFlight = 0;
      int repaired = 0;
      List<Drift> drifts = new ArrayList<>();
      ScanCursor cursor = ScanCursor.INITIAL;
      do {
        KeyScanCursor<String> page = redis.scan(cursor, ScanArgs.Builder.matches(Keys.MEMBER_SCAN).limit(SCAN_COUNT));
        for (String key : page.getKeys()) {
          if (!Keys.isMemberState(key)) {
            continue;
          }
          byte[] bytes = redis.get(key);
          if (bytes == null) {
            continue;
          }
          checked++;
          MemberState state = StateCodec.decode(bytes);
          String member = state.id().toString();
          long redisSeq = state.seq();
          long[] redisState = {state.available(), state.pending(), state.held(), state.spendMinor(), state.debt()};
          select.setString(1, member);
          try (ResultSet row = select.executeQuery()) {
            boolean stored = row.next(); // no row: nothing written behind yet for this member
            long pgSeq = stored ? row.getLong("seq") : 0;
            long[] pgState = !stored ? new long[5] : new long[] {row.getLong("available"), row.getLong("pending"),
                row.getLong("held"), row.getLong("lifetime_spend_minor"), row.getLong("debt")};
            if (stored && (row.getLong("ledger_available") != pgState[0]
                || row.getLong("ledger_pending") != pgState[1] || row.getLong("ledger_held") != pgState[2])) {
              drifts.add(report(out, new Drift(member, "postgres_ledger_mismatch", String.format(
                  "snapshot available/pending/held %d/%d/%d, ledger sums %d/%d/%d", pgState[0], pgState[1], pgState[2],
                  row.getLong("ledger_available"), row.getLong("ledger_pending"), row.getLong("ledger_held")))));
            }
            if (redisSeq > pgSeq) {
              inFlight++;
              continue;
            }
            Drift drift = null;
            if (redisSeq < pgSeq) {
              drift = new Drift(member, "redis_behind", "Redis at seq " + redisSeq + ", PostgreSQL at " + pgSeq);
            } else if (!java.util.Arrays.equals(redisState, pgState)) {
              drift = new Drift(member, "redis_differs", String.format(
                  "at seq %d available/pending/held/spend/debt: Redis %s, PostgreSQL %s", redisSeq,
                  java.util.Arrays.toString(redisState), java.util.Arrays.toString(pgState)));
            }
            if (drift != null) {
              drifts.add(report(out, drift));
              if (repair && evict(redis, member, redisSeq)) {
                repaired++;
                out.println("  repaired: hot copy dropped; the next touch reloads it from PostgreSQL");
              }
            }
          }
        }
        cursor = page;
      } while (!cursor.isFinished());
      out.printf("checked %d members: %d drifting, %d with writes still in flight (skipped), %d repaired%n",
          checked, drifts.size(), inFlight, repaired);
      return new Report(checked, inFlight, drifts, repaired);
    } finally {
      client.shutdown();
    }
  }

  private static boolean evict(RedisCommands<String, byte[]> redis, String member, long seq) {
    List<Object> reply = redis.eval(Script.EVICT.source(), ScriptOutputType.MULTI,
        new String[] {Keys.member(UUID.fromString(member))}, StateCodec.version(seq));
    return Long.valueOf(1).equals(reply.get(0));
  }

  private static Drift report(PrintStream out, Drift drift) {
    out.printf("%s %s: %s%n", drift.kind(), drift.memberId(), drift.detail());
    return drift;
  }

}
