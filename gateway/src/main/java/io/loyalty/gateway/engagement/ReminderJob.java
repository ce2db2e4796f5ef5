package io.loyalty.gateway.engagement;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.schedule.Scheduler;
import io.loyalty.gateway.webhook.Outbox;
import io.loyalty.gateway.webhook.Times;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Expiry reminders: for every lot that expires within a program's largest reminder day, the reminder of the
 * smallest day whose time has come ({@code points.expiring}), once per member, lot and reminder day. With reminders
 * at 7 and 1 days, a lot found 6 days before it expires gets the 7-day reminder at once and the 1-day one a day
 * before. Members are those whose next lot expires within that horizon and who take service notices, read from
 * their PostgreSQL rows (no Redis read, evicted members stay evicted), by program and then (next expiry, member).
 */
public final class ReminderJob implements Scheduler.Job {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(ReminderJob.class);
  static final String SELECT_EXPIRING = """
      SELECT b.member_id, b.state, m.phone, m.consent_personal_data,
             (extract(epoch FROM b.next_expiry_at) * 1000)::bigint AS expiry_ms
        FROM member_balances b JOIN members m ON m.id = b.member_id
       WHERE b.program_id = $1 AND b.next_expiry_at <= $2 AND (b.next_expiry_at, b.member_id) > ($3, $4)
         AND m.consent_service_notices
       ORDER BY b.next_expiry_at, b.member_id
       LIMIT $5""";
  static final int CHUNK = 500;
  private static final UUID FIRST = new UUID(0, 0);

  private final Pool pool;
  private final ProgramRegistry programs;

  public ReminderJob(Pool pool, ProgramRegistry programs) {
    this.pool = pool;
    this.programs = programs;
  }

  @Override
  public String name() {
    return "reminders";
  }

  /** The cursor: a program and its last member's next expiry and id, or only a program that is done. */
  @Override
  public Future<Scheduler.Step> step(String cursor, long now) {
    List<Program> reminding = programs.all().stream().filter(p -> !p.expiryReminderDays().isEmpty()).toList();
    String[] at = cursor == null ? null : cursor.split("/");
    Program program = null;
    for (Program p : reminding) {
      int order = at == null ? 1 : p.id().compareTo(at[0]);
      if (order > 0 || order == 0 && at.length > 1) {
        program = p;
        break;
      }
    }
    if (program == null) {
      return Future.succeededFuture(new Scheduler.Step(null, 0, 0, false));
    }
    boolean resumed = at != null && at[0].equals(program.id());
    long afterExpiry = resumed ? Long.parseLong(at[1]) : 0;
    UUID afterMember = resumed ? UUID.fromString(at[2]) : FIRST;
    Program p = program;
    long horizon = now + p.expiryReminderDays().get(0) * Rules.DAY_MILLIS + ExpiryJob.DUE_ROUNDING_MILLIS - 1;
    return pool.preparedQuery(SELECT_EXPIRING)
        .execute(Tuple.of(p.id(), Times.utc(horizon), Times.utc(afterExpiry), afterMember, CHUNK))
        .compose(rows -> {
          List<Outbox.Fact> facts = new ArrayList<>();
          String next = null;
          int failures = 0;
          for (Row row : rows) {
            next = p.id() + "/" + row.getLong("expiry_ms") + "/" + row.getUUID("member_id");
            try {
              MemberState state = StateCodec.decode(row.getBuffer("state").getBytes());
              String phone = row.getBoolean("consent_personal_data") ? row.getString("phone") : null;
              facts.addAll(reminders(p, state, phone, now));
            } catch (RuntimeException e) { // one member's state that does not decode stops no one else's reminders
              failures++;
              LOG.warn("no reminders for member {}: {}", row.getUUID("member_id"), e.toString());
            }
          }
          int failed = failures;
          boolean programDone = rows.size() < CHUNK;
          String cursorAfter = programDone ? p.id() : next;
          return Outbox.write(pool, facts, now)
              .map(v -> new Scheduler.Step(cursorAfter, rows.size() - failed, failed, true));
        });
  }

  /** The reminders of a member's lots that are due now (written once: their keys are unique). */
  static List<Outbox.Fact> reminders(Program program, MemberState state, String phone, long now) {
    List<Outbox.Fact> facts = new ArrayList<>();
    List<Integer> days = program.expiryReminderDays(); // largest first
    for (Lot lot : state.availableLots()) {
      if (lot.expireAt() == Lot.NEVER || lot.expireAt() > now + days.get(0) * Rules.DAY_MILLIS) {
        break; // in expiry order: the rest are further away
      }
      if (lot.expireAt() <= now) {
        continue; // expiring now: the expiry job's
      }
      Integer due = null;
      for (int day : days) {
        if (lot.expireAt() - day * Rules.DAY_MILLIS <= now) {
          due = day; // the smallest day whose time has come
        }
      }
      if (due != null) {
        facts.add(new Outbox.Fact("expiring:" + state.id() + ":" + lot.id() + ":" + due, Outbox.EXPIRING,
            program.id(), state.id(), phone, now, new JsonObject().put("points", lot.remaining())
                .put("expires_at", Instant.ofEpochMilli(lot.expireAt()).toString()).put("balance", state.available())
                .put("reminder_days", due)));
      }
    }
    return facts;
  }
}
