package io.loyalty.gateway.report;

import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.Visit;
import io.loyalty.gateway.store.Columns;
import io.loyalty.gateway.writebehind.Event;
import io.vertx.core.Future;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * Keeps the managers' figures (V6: program balances, points by expiry day, figures per period, transactions per
 * till and month) up to date from the write-behind's events, in the transaction that writes their ledger rows. It
 * is given only the events whose ledger rows that transaction inserted, so a replayed batch counts nothing twice.
 */
public final class Figures {
  /** Rows per program in program_balances; a member always adds to the same one. */
  static final int SLOTS = 8;

  static final String ADD_BALANCES = """
      INSERT INTO program_balances AS b (program_id, slot, available, pending, held, positive_points,
                                         members_with_points)
      SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[],
                           $7::bigint[])
      ON CONFLICT (program_id, slot) DO UPDATE
         SET available = b.available + excluded.available, pending = b.pending + excluded.pending,
             held = b.held + excluded.held, positive_points = b.positive_points + excluded.positive_points,
             members_with_points = b.members_with_points + excluded.members_with_points""";
  static final String ADD_EXPIRY = """
      INSERT INTO program_expiry AS x (program_id, expire_on, points)
      SELECT p, date 'epoch' + d::int, pt FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS u(p, d, pt)
      ON CONFLICT (program_id, expire_on) DO UPDATE SET points = x.points + excluded.points""";
  static final String ADD_TILL_MONTHS = """
      INSERT INTO till_months AS t (program_id, month, till_ref, transactions)
      SELECT p, date 'epoch' + d::int, tr, n FROM unnest($1::text[], $2::bigint[], $3::uuid[], $4::bigint[])
             AS u(p, d, tr, n)
      ON CONFLICT (program_id, month, till_ref) DO UPDATE SET transactions = t.transactions + excluded.transactions""";
  /**
   * Rows per (program, period, start, till or none): the till becomes its store (none: the whole program). The
   * member counts come decided: a receipt's event says whether it made its member active, repeat or redeeming in
   * each of its periods (see Visit), so every figure here is a sum.
   */
  static final String ADD_PERIODS = """
      INSERT INTO period_figures AS f (program_id, period, period_start, store_id, receipts, revenue_minor,
                                      receipts_with_points, revenue_with_points_minor, points_accrued,
                                      points_redeemed, points_expired, refunds_minor, members_active,
                                      members_redeeming, repeat_members)
      SELECT u.p, u.per, date 'epoch' + u.d::int, coalesce(t.store_id, ''), sum(rc), sum(rv), sum(rcp), sum(rvp),
             sum(acc), sum(red), sum(ex), sum(rf), sum(ma), sum(mr), sum(rm)
        FROM unnest($1::text[], $2::text[], $3::bigint[], $4::uuid[], $5::bigint[], $6::bigint[], $7::bigint[],
                    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
                    $14::bigint[], $15::bigint[])
             AS u(p, per, d, till, rc, rv, rcp, rvp, acc, red, ex, rf, ma, mr, rm)
        LEFT JOIN tills t ON t.id = u.till
       GROUP BY 1, 2, 3, 4
       ORDER BY 1, 2, 3, 4
      ON CONFLICT (program_id, period, period_start, store_id) DO UPDATE
         SET receipts = f.receipts + excluded.receipts, revenue_minor = f.revenue_minor + excluded.revenue_minor,
             receipts_with_points = f.receipts_with_points + excluded.receipts_with_points,
             revenue_with_points_minor = f.revenue_with_points_minor + excluded.revenue_with_points_minor,
             points_accrued = f.points_accrued + excluded.points_accrued,
             points_redeemed = f.points_redeemed + excluded.points_redeemed,
             points_expired = f.points_expired + excluded.points_expired,
             refunds_minor = f.refunds_minor + excluded.refunds_minor,
             members_active = f.members_active + excluded.members_active,
             members_redeeming = f.members_redeeming + excluded.members_redeeming,
             repeat_members = f.repeat_members + excluded.repeat_members""";

  private Figures() {
  }

  /** Adds what {@code fresh} (events whose ledger rows were just inserted) changed to the figures. */
  public static Future<Void> add(SqlConnection conn, List<Event> fresh) {
    // hashed while adding up; the rows of each statement are put in key order only when sent (see columns)
    Map<List<Object>, long[]> balances = new HashMap<>();
    Map<List<Object>, long[]> expiry = new HashMap<>();
    Map<List<Object>, long[]> tills = new HashMap<>();
    Map<List<Object>, long[]> periods = new HashMap<>();
    for (Event e : fresh) {
      long[] b = balances.computeIfAbsent(List.of(e.programId(), slot(e.member())), k -> new long[5]);
      Event.Sale sale = e.sale();
      // a change's entries are usually dated and attributed as its receipt: its rows are looked up once
      long[][] saleRows = sale == null ? null : periodRows(periods, e.programId(), sale.at(), sale.till());
      long availableBefore = e.available();
      for (Entry entry : e.entries()) {
        availableBefore -= entry.availableDelta();
        b[0] += entry.availableDelta();
        b[1] += entry.pendingDelta();
        b[2] += entry.heldDelta();
        int figure = switch (entry.kind()) {
          case "accrue" -> ACCRUED;
          case "expire" -> EXPIRED;
          case "redeem", "capture" -> REDEEMED; // points paid (a capture of nothing held moves none)
          default -> -1;
        };
        if (figure >= 0 && entry.points() != 0) {
          long[][] rows = sale != null && sale.at() == entry.at() && Objects.equals(sale.till(), entry.till())
              ? saleRows : periodRows(periods, e.programId(), entry.at(), entry.till());
          add(rows, figure, Math.abs(entry.points()));
        }
      }
      b[3] += Math.max(e.available(), 0) - Math.max(availableBefore, 0);
      b[4] += (e.available() > 0 ? 1 : 0) - (availableBefore > 0 ? 1 : 0);
      for (Event.ExpiryDelta x : e.expiry()) {
        expiry.computeIfAbsent(List.of(e.programId(), x.epochDay()), k -> new long[1])[0] += x.points();
      }
      if (sale != null) {
        if (sale.receipt()) {
          add(saleRows, RECEIPTS, 1);
          add(saleRows, REVENUE, sale.totalMinor());
          if (sale.redeemedPoints() > 0) {
            add(saleRows, RECEIPTS_WITH_POINTS, 1);
            add(saleRows, REVENUE_WITH_POINTS, sale.totalMinor());
          }
          for (int p = 0; p < saleRows.length; p++) {
            for (int m = 0; m < MEMBER_FIGURES.length; m++) {
              if (saleRows[p] != null && (sale.counted() & Visit.bit(p, MEMBER_FIGURES[m])) != 0) {
                saleRows[p][MEMBERS_ACTIVE + m]++;
              }
            }
          }
        } else {
          add(saleRows, REFUNDS, sale.refundMinor());
        }
      }
      UUID till = e.idempotencyTill() != null ? e.idempotencyTill() : sale == null ? null : sale.till();
      if (till != null) {
        long at = sale != null ? sale.at() : e.entries().get(e.entries().size() - 1).at();
        long month = Visit.monthStart(at);
        tills.computeIfAbsent(List.of(e.programId(), month, till), k -> new long[1])[0]++;
      }
    }
    List<Future<?>> writes = new ArrayList<>();
    if (!balances.isEmpty()) {
      writes.add(conn.preparedQuery(ADD_BALANCES).execute(columns(sorted(balances), String.class, Integer.class)));
    }
    if (!expiry.isEmpty()) {
      writes.add(conn.preparedQuery(ADD_EXPIRY).execute(columns(sorted(expiry), String.class, Long.class)));
    }
    if (!tills.isEmpty()) {
      writes.add(conn.preparedQuery(ADD_TILL_MONTHS)
          .execute(columns(sorted(tills), String.class, Long.class, UUID.class)));
    }
    if (!periods.isEmpty()) {
      writes.add(conn.preparedQuery(ADD_PERIODS).execute( // which sorts its rows itself
          columns(periods.entrySet(), String.class, String.class, Long.class, UUID.class)));
    }
    return Future.all(writes).mapEmpty();
  }

  // the figures of a period row, in ADD_PERIODS' order
  private static final int RECEIPTS = 0;
  private static final int REVENUE = 1;
  private static final int RECEIPTS_WITH_POINTS = 2;
  private static final int REVENUE_WITH_POINTS = 3;
  private static final int ACCRUED = 4;
  private static final int REDEEMED = 5;
  private static final int EXPIRED = 6;
  private static final int REFUNDS = 7;
  private static final int MEMBERS_ACTIVE = 8; // then members redeeming, repeat members
  private static final int PERIOD_FIGURES = 11;
  /** The member figures, in ADD_PERIODS' order from MEMBERS_ACTIVE. */
  private static final int[] MEMBER_FIGURES = {Visit.ACTIVE, Visit.REDEEMING, Visit.REPEAT};

  /** The period names of the rows, by index in {@link Visit#PERIODS}: a store's month is a month. */
  private static final String[] PERIOD_NAMES = {"d", "w", "m", "m"};

  /**
   * The rows something dated {@code at} at {@code till} adds to, by index in {@link Visit#PERIODS}: the program's
   * day, week and month, and the month at the till's store (null without a till).
   */
  private static long[][] periodRows(Map<List<Object>, long[]> periods, String program, long at, UUID till) {
    long[] starts = Visit.starts(at);
    long[][] rows = new long[starts.length][];
    for (int p = 0; p < rows.length; p++) {
      boolean store = Visit.PERIODS.charAt(p) == 's';
      if (!store || till != null) {
        rows[p] = periods.computeIfAbsent(List.of(program, PERIOD_NAMES[p], starts[p], store ? till : NO_TILL),
            k -> new long[PERIOD_FIGURES]);
      }
    }
    return rows;
  }

  private static void add(long[][] rows, int figure, long amount) {
    for (long[] row : rows) {
      if (row != null) {
        row[figure] += amount;
      }
    }
  }

  /** Stands for "no till" in a key (List.of takes no null); sent as null (this very instance). */
  private static final UUID NO_TILL = new UUID(0, 0);

  static int slot(UUID member) {
    return (int) Math.floorMod(member.getLeastSignificantBits(), (long) SLOTS);
  }

  /**
   * The rows in key order, for the statements that do not sort them: gateways writing at once then take the rows'
   * locks in the same order, and cannot deadlock.
   */
  private static List<Map.Entry<List<Object>, long[]>> sorted(Map<List<Object>, long[]> rows) {
    List<Map.Entry<List<Object>, long[]>> sorted = new ArrayList<>(rows.entrySet());
    sorted.sort((a, b) -> compareKeys(a.getKey(), b.getKey()));
    return sorted;
  }

  /** One array parameter per key part (typed as given) and per figure, rows in the order given. */
  private static Tuple columns(Collection<Map.Entry<List<Object>, long[]>> rows, Class<?>... keyTypes) {
    int figures = rows.iterator().next().getValue().length;
    Class<?>[] types = Arrays.copyOf(keyTypes, keyTypes.length + figures);
    Arrays.fill(types, keyTypes.length, types.length, Long.class);
    Columns columns = new Columns(types);
    for (Map.Entry<List<Object>, long[]> r : rows) {
      Object[] row = new Object[types.length];
      for (int k = 0; k < keyTypes.length; k++) {
        Object value = r.getKey().get(k);
        row[k] = value == NO_TILL ? null : value;
      }
      for (int f = 0; f < figures; f++) {
        row[keyTypes.length + f] = r.getValue()[f];
      }
      columns.add(row);
    }
    return columns.tuple();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static int compareKeys(List<Object> a, List<Object> b) {
    for (int i = 0; i < a.size(); i++) {
      int c = ((Comparable) a.get(i)).compareTo(b.get(i));
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }
}
