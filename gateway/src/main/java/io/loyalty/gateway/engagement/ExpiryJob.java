package io.loyalty.gateway.engagement;

import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.schedule.Scheduler;
import io.loyalty.gateway.webhook.Times;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Background expiry: members nobody touches whose lots are due (a pending lot to activate, an available lot to
 * expire) are matured through the rules and the commit path, exactly as a purchase would mature them, so each gets
 * its ledger entries and write-behind (and, when it expired points, its event). Evicted members are loaded first.
 * Found by the due time the write-behind keeps on each member row, in chunks by (due time, member).
 */
public final class ExpiryJob implements Scheduler.Job {
  static final String SELECT_DUE = """
      SELECT member_id, program_id, (extract(epoch FROM due_at) * 1000)::bigint AS due_ms
        FROM member_balances
       WHERE due_at <= $1 AND (due_at, member_id) > ($2, $3)
       ORDER BY due_at, member_id
       LIMIT $4""";
  /**
   * Due times are stored rounded up to the whole minute, so that a member's purchases within one minute leave its
   * row's indexed columns as they were and PostgreSQL updates the row in place; the job looks that far ahead (a
   * member due within the minute is decided at {@code now}, which changes nothing until it is due). A pass runs
   * once every {@code SCHEDULER_INTERVAL_MS} (a minute by default), so a finer due time would not act sooner. By
   * the second, a member buying more often than once a second had two in five of its row's updates add an entry
   * to every index (BENCHMARKS.md).
   */
  static final long DUE_ROUNDING_MILLIS = 60_000;
  /** Members matured at once (more makes a pass shorter and purchases meanwhile slower: BENCHMARKS.md). */
  static final int CHUNK = 50;
  private static final UUID FIRST = new UUID(0, 0);

  private final Pool pool;
  private final MemberStore store;
  private final ProgramRegistry programs;

  public ExpiryJob(Pool pool, MemberStore store, ProgramRegistry programs) {
    this.pool = pool;
    this.store = store;
    this.programs = programs;
  }

  @Override
  public String name() {
    return "expiry";
  }

  /** A due (or expiry) time as member_balances keeps it: rounded up to the whole minute; none for none. */
  public static Long dueColumn(Long millis) {
    return millis == null || millis < 0 ? null : -Math.floorDiv(-millis, DUE_ROUNDING_MILLIS) * DUE_ROUNDING_MILLIS;
  }

  @Override
  public Future<Scheduler.Step> step(String cursor, long now) {
    long afterDue = 0; // before every due time
    UUID afterMember = FIRST;
    if (cursor != null) {
      String[] parts = cursor.split("/");
      afterDue = Long.parseLong(parts[0]);
      afterMember = UUID.fromString(parts[1]);
    }
    return pool.preparedQuery(SELECT_DUE)
        .execute(Tuple.of(Times.utc(now + DUE_ROUNDING_MILLIS - 1), Times.utc(afterDue), afterMember, CHUNK))
        .compose(rows -> {
          List<Future<?>> matured = new ArrayList<>();
          String next = null;
          for (Row row : rows) {
            UUID member = row.getUUID("member_id");
            next = row.getLong("due_ms") + "/" + member;
            Program program = programs.find(row.getString("program_id"));
            if (program != null) {
              matured.add(store.change(member, program.id(), null,
                  s -> Future.succeededFuture(Rules.decide(s, new Command.Mature(), program, now))));
            }
          }
          int found = rows.size();
          String cursorAfter = next;
          return Future.join(matured).transform(done -> {
            int failures = (int) matured.stream().filter(Future::failed).count();
            return Future.succeededFuture(new Scheduler.Step(found == CHUNK ? cursorAfter : null,
                matured.size() - failures, failures, found == CHUNK));
          });
        });
  }
}
