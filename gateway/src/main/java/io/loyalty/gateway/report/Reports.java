package io.loyalty.gateway.report;

import io.loyalty.gateway.program.Program;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The managers' figures, read from PostgreSQL: each through the V6 rollups (a few rows by primary key) or an index
 * range, never a scan of every member or of the ledger.
 */
public final class Reports {
  static final String SELECT_BALANCES = """
      SELECT coalesce(sum(available), 0), coalesce(sum(pending), 0), coalesce(sum(held), 0),
             coalesce(sum(positive_points), 0), coalesce(sum(members_with_points), 0),
             (SELECT coalesce(max(members), 0) FROM program_members WHERE program_id = $1)
        FROM program_balances WHERE program_id = $1""";
  static final String SELECT_EXPIRING = """
      SELECT coalesce(sum(points) FILTER (WHERE expire_on < $2::date + 7), 0),
             coalesce(sum(points) FILTER (WHERE expire_on < $2::date + 30), 0),
             coalesce(sum(points), 0)
        FROM program_expiry WHERE program_id = $1 AND expire_on >= $2::date AND expire_on < $2::date + 90""";
  /**
   * Members with points who redeemed since the cutoff (index member_balances_redeemed: the recent few); the others
   * with points are the inactive ones.
   */
  static final String SELECT_REDEEMED_SINCE = """
      SELECT coalesce(sum(available), 0), count(*) FROM member_balances
       WHERE program_id = $1 AND available > 0 AND last_redeem_on >= $2""";
  /** Members whose last purchase was on or after the cutoff day; the rest are dormant. */
  static final String SELECT_RECENT_BUYERS =
      "SELECT coalesce(sum(members), 0) FROM program_purchase_days WHERE program_id = $1 AND day >= $2";
  static final String SELECT_PERIODS = """
      SELECT period_start, store_id, receipts, revenue_minor, receipts_with_points, revenue_with_points_minor,
             points_accrued, points_redeemed, points_expired, refunds_minor, members_active, members_redeeming,
             repeat_members
        FROM period_figures
       WHERE program_id = $1 AND period = $2 AND period_start >= $3 AND period_start <= $4
         AND (store_id = '') = $5
       ORDER BY period_start, store_id""";
  static final String SELECT_USAGE = """
      SELECT (SELECT count(*) FROM tills
               WHERE program_id = $1 AND created_at < $3 AND (revoked_at IS NULL OR revoked_at >= $2)),
             (SELECT count(*) FROM till_months WHERE program_id = $1 AND month = $4),
             (SELECT count(DISTINCT t.store_id) FROM till_months m JOIN tills t ON t.id = m.till_ref
               WHERE m.program_id = $1 AND m.month = $4),
             (SELECT coalesce(sum(transactions), 0) FROM till_months WHERE program_id = $1 AND month = $4),
             (SELECT coalesce(max(members_active), 0) FROM period_figures
               WHERE program_id = $1 AND period = 'm' AND period_start = $4 AND store_id = '')""";

  /** How analytics groups: by UTC day, ISO week (from Monday), month, or store and month. */
  public enum GroupBy {
    DAY("d", ChronoUnit.DAYS), WEEK("w", ChronoUnit.WEEKS), MONTH("m", ChronoUnit.MONTHS), STORE("m", ChronoUnit.MONTHS);

    final String period;
    final ChronoUnit unit;

    GroupBy(String period, ChronoUnit unit) {
      this.period = period;
      this.unit = unit;
    }

    /** The start of the period holding {@code day}. */
    public LocalDate start(LocalDate day) {
      return switch (this) {
        case DAY -> day;
        case WEEK -> day.minusDays(day.getDayOfWeek().getValue() - 1);
        case MONTH, STORE -> day.withDayOfMonth(1);
      };
    }

    public LocalDate end(LocalDate start) {
      return start.plus(1, unit).minusDays(1);
    }
  }

  private final Pool pool;

  public Reports(Pool pool) {
    this.pool = pool;
  }

  /** The liability figures as of {@code today}; see the OpenAPI file for each one's meaning. */
  public Future<JsonObject> liability(Program program, LocalDate today, int inactiveAfterDays) {
    Tuple byProgram = Tuple.of(program.id());
    LocalDate cutoff = today.minusDays(inactiveAfterDays);
    Future<Row> balances = one(SELECT_BALANCES, byProgram);
    Future<Row> expiring = one(SELECT_EXPIRING, Tuple.of(program.id(), today));
    Future<Row> redeemed = one(SELECT_REDEEMED_SINCE, Tuple.of(program.id(), cutoff));
    Future<Row> recent = one(SELECT_RECENT_BUYERS, Tuple.of(program.id(), cutoff));
    return Future.all(balances, expiring, redeemed, recent).map(done -> {
      Row b = balances.result();
      long available = b.getLong(0);
      long total = b.getLong(5);
      return new JsonObject()
          .put("program_id", program.id())
          .put("as_of", today.toString())
          .put("currency", program.currency())
          .put("available_points", available)
          .put("pending_points", b.getLong(1))
          .put("held_points", b.getLong(2))
          .put("value_minor", Math.multiplyExact(available, program.pointValueMinor()))
          .put("expiring", new JsonObject()
              .put("d7", expiring.result().getLong(0))
              .put("d30", expiring.result().getLong(1))
              .put("d90", expiring.result().getLong(2)))
          .put("inactive_after_days", inactiveAfterDays)
          .put("inactive", new JsonObject()
              .put("points", b.getLong(3) - redeemed.result().getLong(0))
              .put("members", b.getLong(4) - redeemed.result().getLong(1)))
          .put("dormant_members", total - recent.result().getLong(0))
          .put("members_total", total);
    });
  }

  /**
   * Figures per group over whole periods from the one holding {@code from} to the one holding {@code to}; every
   * period of the range has a group (zeros where nothing happened), and with {@link GroupBy#STORE} every store
   * with activity in a month has one for that month.
   */
  public Future<JsonObject> analytics(Program program, LocalDate from, LocalDate to, GroupBy groupBy) {
    LocalDate first = groupBy.start(from);
    LocalDate last = groupBy.start(to);
    boolean byStore = groupBy == GroupBy.STORE;
    return pool.preparedQuery(SELECT_PERIODS)
        .execute(Tuple.of(program.id(), groupBy.period, first, last, !byStore))
        .map(rows -> {
          Map<LocalDate, List<Row>> byStart = new HashMap<>();
          rows.forEach(row -> byStart.computeIfAbsent(row.getLocalDate(0), d -> new ArrayList<>()).add(row));
          JsonArray groups = new JsonArray();
          for (LocalDate start = first; !start.isAfter(last); start = start.plus(1, groupBy.unit)) {
            List<Row> found = byStart.getOrDefault(start, List.of());
            if (found.isEmpty() && !byStore) {
              groups.add(group(start, groupBy.end(start), null, null));
            }
            for (Row row : found) {
              groups.add(group(start, groupBy.end(start), byStore ? row.getString(1) : null, row));
            }
          }
          return new JsonObject()
              .put("program_id", program.id())
              .put("currency", program.currency())
              .put("group_by", groupBy.name().toLowerCase(java.util.Locale.ROOT))
              .put("from", first.toString())
              .put("to", groupBy.end(last).toString())
              .put("groups", groups);
        });
  }

  /** One group: every figure of {@code row} (or zeros), with the averages and share derived in whole numbers. */
  private static JsonObject group(LocalDate start, LocalDate end, String storeId, Row row) {
    long[] f = new long[11];
    for (int i = 0; row != null && i < f.length; i++) {
      f[i] = row.getLong(i + 2);
    }
    long receipts = f[0];
    long revenue = f[1];
    long withPoints = f[2];
    long revenueWithPoints = f[3];
    JsonObject group = new JsonObject().put("from", start.toString()).put("to", end.toString());
    if (storeId != null) {
      group.put("store_id", storeId);
    }
    return group
        .put("receipts", receipts)
        .put("revenue_minor", revenue)
        .put("average_receipt_minor", ratio(revenue, receipts))
        .put("average_receipt_with_points_minor", ratio(revenueWithPoints, withPoints))
        .put("average_receipt_without_points_minor", ratio(revenue - revenueWithPoints, receipts - withPoints))
        .put("members_active", f[8])
        .put("members_redeeming", f[9])
        .put("share_redeeming_bp", ratio(f[9] * 10_000, f[8]))
        .put("repeat_members", f[10])
        .put("points_accrued", f[4])
        .put("points_redeemed", f[5])
        .put("points_expired", f[6])
        .put("refunds_minor", f[7]);
  }

  /** a / b rounded half up (a, b >= 0); 0 when b is 0. */
  static long ratio(long a, long b) {
    return b <= 0 ? 0 : (2 * a + b) / (2 * b);
  }

  /** What a per-till invoice for {@code month} needs. */
  public Future<JsonObject> usage(Program program, YearMonth month) {
    var start = month.atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC);
    var end = month.plusMonths(1).atDay(1).atStartOfDay().atOffset(ZoneOffset.UTC);
    return one(SELECT_USAGE, Tuple.of(program.id(), start, end, month.atDay(1))).map(r -> new JsonObject()
        .put("program_id", program.id())
        .put("month", month.toString())
        .put("tills_issued", r.getLong(0))
        .put("tills_active", r.getLong(1))
        .put("stores_active", r.getLong(2))
        .put("members_active", r.getLong(4))
        .put("transactions", r.getLong(3)));
  }

  private Future<Row> one(String sql, Tuple args) {
    return pool.preparedQuery(sql).execute(args).map(RowSet::iterator).map(rows -> rows.next());
  }
}
