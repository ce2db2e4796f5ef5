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
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Balance digests ({@code balance.digest}): once a month or a quarter (a program's {@code digest}), when the period
 * is over, one digest per member of the period just ended, to members who take service notices and had a positive
 * balance at its end or ledger activity in it. Each program's period is scanned once, in chunks by member id; the
 * cursor remembers which programs' periods are done, and each digest's key (member and period) is unique anyway.
 */
public final class DigestJob implements Scheduler.Job {
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DigestJob.class);
  static final String SELECT_MEMBERS = """
      SELECT b.member_id, b.available, b.lifetime_spend_minor, b.state, m.phone, m.consent_personal_data
        FROM member_balances b JOIN members m ON m.id = b.member_id
       WHERE b.program_id = $1 AND b.member_id > $2 AND m.consent_service_notices
         AND (b.available > 0 OR b.last_purchase_at >= $3)
       ORDER BY b.member_id
       LIMIT $4""";
  /** What each member did in the period, and how its available balance moved since the period ended. */
  static final String SELECT_ACTIVITY = """
      SELECT member_id,
             coalesce(sum(points) FILTER (WHERE kind = 'accrue' AND occurred_at < $3), 0) AS accrued,
             coalesce(-sum(points) FILTER (WHERE kind IN ('redeem', 'capture') AND occurred_at < $3), 0) AS redeemed,
             count(*) FILTER (WHERE occurred_at < $3) AS entries,
             coalesce(sum(available_delta) FILTER (WHERE occurred_at >= $3), 0) AS since_end
        FROM ledger
       WHERE member_id = ANY ($1) AND occurred_at >= $2
       GROUP BY member_id""";
  static final int CHUNK = 500;
  /** The digest counts the points expiring within this many days. */
  static final int EXPIRING_DAYS = 30;
  private static final UUID FIRST = new UUID(0, 0);

  private final Pool pool;
  private final ProgramRegistry programs;

  public DigestJob(Pool pool, ProgramRegistry programs) {
    this.pool = pool;
    this.programs = programs;
  }

  @Override
  public String name() {
    return "digest";
  }

  /** A period: its name in events and its bounds (epoch ms, end excluded). */
  record Period(String name, long startMillis, long endMillis) {
    /** The last whole period of this kind before {@code now}. */
    static Period before(Program.Digest digest, long now) {
      YearMonth month = YearMonth.from(Instant.ofEpochMilli(now).atOffset(ZoneOffset.UTC));
      if (digest == Program.Digest.MONTHLY) {
        YearMonth last = month.minusMonths(1);
        return new Period(last.toString(), start(last), start(month));
      }
      YearMonth quarter = month.withMonth((month.getMonthValue() - 1) / 3 * 3 + 1);
      YearMonth last = quarter.minusMonths(3);
      return new Period(last.getYear() + "-Q" + ((last.getMonthValue() - 1) / 3 + 1), start(last), start(quarter));
    }

    private static long start(YearMonth month) {
      return month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli();
    }
  }

  /** The cursor: {@code done} maps each program to its last period digested; {@code at} is the scan under way. */
  @Override
  public Future<Scheduler.Step> step(String cursor, long now) {
    JsonObject c = cursor == null ? new JsonObject() : new JsonObject(cursor);
    JsonObject done = c.getJsonObject("done", new JsonObject());
    JsonObject at = c.getJsonObject("at", new JsonObject());
    for (Program p : programs.all()) {
      if (p.digest() == Program.Digest.OFF) {
        continue;
      }
      Period period = Period.before(p.digest(), now);
      if (period.name().equals(done.getString(p.id()))) {
        continue;
      }
      boolean resumed = p.id().equals(at.getString("program")) && period.name().equals(at.getString("period"));
      UUID after = resumed ? UUID.fromString(at.getString("member")) : FIRST;
      return chunk(p, period, after, now).map(last -> {
        if (last.member() == null) {
          done.put(p.id(), period.name());
          c.remove("at");
        } else {
          c.put("at", new JsonObject().put("program", p.id()).put("period", period.name())
              .put("member", last.member().toString()));
        }
        c.put("done", done);
        return new Scheduler.Step(c.encode(), last.items(), last.failures(), true);
      });
    }
    return Future.succeededFuture(new Scheduler.Step(cursor, 0, 0, false));
  }

  /** Where a chunk stopped (its last member, or null when the program's period is done), and its digests. */
  private record Stop(UUID member, int items, int failures) {
  }

  /** Digests one chunk of a program's members. */
  private Future<Stop> chunk(Program p, Period period, UUID after, long now) {
    return pool.preparedQuery(SELECT_MEMBERS)
        .execute(Tuple.of(p.id(), after, Times.utc(period.startMillis()), CHUNK))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(new Stop(null, 0, 0));
          }
          List<Row> members = new ArrayList<>();
          rows.forEach(members::add);
          UUID[] ids = members.stream().map(r -> r.getUUID("member_id")).toArray(UUID[]::new);
          return pool.preparedQuery(SELECT_ACTIVITY)
              .execute(Tuple.of(ids, Times.utc(period.startMillis()), Times.utc(period.endMillis())))
              .compose(activity -> {
                Map<UUID, Row> byMember = new HashMap<>();
                activity.forEach(r -> byMember.put(r.getUUID("member_id"), r));
                List<Outbox.Fact> facts = new ArrayList<>();
                int[] failures = {0};
                for (Row m : members) {
                  Row a = byMember.get(m.getUUID("member_id"));
                  long balanceAtEnd = m.getLong("available") - (a == null ? 0 : a.getLong("since_end"));
                  if (balanceAtEnd > 0 || a != null && a.getLong("entries") > 0) {
                    try {
                      facts.add(digest(p, period, m, a, now));
                    } catch (RuntimeException e) { // one member's state that does not decode stops no one else's
                      failures[0]++;
                      LOG.warn("no digest for member {}: {}", m.getUUID("member_id"), e.toString());
                    }
                  }
                }
                Stop stop = new Stop(rows.size() < CHUNK ? null : ids[ids.length - 1], facts.size(), failures[0]);
                return Outbox.write(pool, facts, now).map(v -> stop);
              });
        });
  }

  private static Outbox.Fact digest(Program p, Period period, Row member, Row activity, long now) {
    MemberState state = StateCodec.decode(member.getBuffer("state").getBytes());
    long expiring = 0;
    for (Lot lot : state.availableLots()) {
      if (lot.expireAt() > now + EXPIRING_DAYS * Rules.DAY_MILLIS) {
        break;
      }
      expiring += lot.expireAt() > now ? lot.remaining() : 0;
    }
    long redeemed = activity == null ? 0 : activity.getLong("redeemed");
    int tier = p.tierIndex(member.getLong("lifetime_spend_minor"));
    UUID id = member.getUUID("member_id");
    return new Outbox.Fact("digest:" + id + ":" + period.name(), Outbox.DIGEST, p.id(), id,
        member.getBoolean("consent_personal_data") ? member.getString("phone") : null, now, new JsonObject()
            .put("period", period.name())
            .put("balance", member.getLong("available"))
            .put("expiring_30d_points", expiring)
            .put("saved_minor", Math.multiplyExact(redeemed, p.pointValueMinor()))
            .put("accrued_points", activity == null ? 0 : activity.getLong("accrued"))
            .put("redeemed_points", redeemed)
            .put("tier", tier < 0 ? null : p.tiers().get(tier).name()));
  }
}
