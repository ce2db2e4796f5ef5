package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.engagement.ExpiryJob;
import io.loyalty.gateway.report.Figures;
import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Columns;
import io.loyalty.gateway.webhook.Outbox;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.SqlConnection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;

/**
 * Writes a batch of events in one transaction (arrays + unnest): one ledger row per movement, the transaction
 * record and idempotency record riding on rows of the change they belong to, one member row per member, which only
 * moves forward in seq, and the managers' {@link Figures} of the changes whose ledger rows were new. Replaying any
 * batch, in any order, is harmless. The ledger rows are first inserted as new, the common case, without
 * {@code ON CONFLICT}: its check of every row before the insert cost PostgreSQL ~2 µs (8%) per purchase
 * (BENCHMARKS.md). A batch holding a row already written then fails on the ledger's key, and is written again with
 * the check ({@code newOnly}). Every other statement is idempotent. The two statements of every batch take their
 * columns' arrays apart with {@code unnest} in a select list, which yields the rows in step; {@code unnest} in
 * {@code FROM} first copied each array's elements into a tuple store of its own (a third more time for a
 * thousand-row insert: BENCHMARKS.md).
 */
final class Batch {
  static final String INSERT_LEDGER = """
      INSERT INTO ledger (member_id, seq, program_id, kind, points, available_delta, pending_delta, held_delta,
                          lot_id, reason, transaction_id, receipt_number, till_ref, occurred_at, tx_kind, tx_status,
                          total_minor, eligible_minor, redeemed_points, accrued_points, refunded_minor, record,
                          idempotency_till, idempotency_key, idempotency_record)
      SELECT m, s, p, k, pt, da, dpe, dh, lot, r, tx, rn, till, timestamptz 'epoch' + at * interval '1 millisecond',
             tk, ts, tot, el, red, acc, rf, rec, it, ik, ir
        FROM (SELECT unnest($1::uuid[]) AS m, unnest($2::bigint[]) AS s, unnest($3::text[]) AS p,
                     unnest($4::text[]) AS k, unnest($5::bigint[]) AS pt, unnest($6::bigint[]) AS da,
                     unnest($7::bigint[]) AS dpe, unnest($8::bigint[]) AS dh, unnest($9::bigint[]) AS lot,
                     unnest($10::text[]) AS r, unnest($11::uuid[]) AS tx, unnest($12::text[]) AS rn,
                     unnest($13::uuid[]) AS till, unnest($14::bigint[]) AS at, unnest($15::text[]) AS tk,
                     unnest($16::text[]) AS ts, unnest($17::bigint[]) AS tot, unnest($18::bigint[]) AS el,
                     unnest($19::bigint[]) AS red, unnest($20::bigint[]) AS acc, unnest($21::bigint[]) AS rf,
                     unnest($22::bytea[]) AS rec, unnest($23::uuid[]) AS it, unnest($24::text[]) AS ik,
                     unnest($25::bytea[]) AS ir) u""";
  /**
   * For a batch some of whose rows may be in the ledger already: a plain insert of such a batch fails on the
   * ledger's key ({@link #alreadyWritten}), and the batch is written again with this.
   */
  static final String INSERT_LEDGER_NEW_ONLY = INSERT_LEDGER + """

      ON CONFLICT (member_id, seq) DO NOTHING
      RETURNING member_id, seq""";
  /**
   * One row per member, forward only; and the count of members per UTC day of their last purchase (dormant members),
   * moved by the members whose last purchase moved to another day: the UPDATE keeps the day it replaced in
   * previous_purchase_at, so the move is exact whatever else writes the row.
   */
  static final String UPSERT_MEMBERS = """
      WITH up AS (
        INSERT INTO member_balances AS b (member_id, seq, available, pending, held, lifetime_spend_minor, debt, state,
                                          updated_at, program_id, last_purchase_at, last_redeem_on, due_at,
                                          next_expiry_at)
        SELECT m, s, a, pe, h, sp, d, st, now(), p, timestamptz 'epoch' + lp * interval '1 millisecond',
               date 'epoch' + lr::int, timestamptz 'epoch' + du * interval '1 millisecond',
               timestamptz 'epoch' + nx * interval '1 millisecond'
          FROM (SELECT unnest($1::uuid[]) AS m, unnest($2::bigint[]) AS s, unnest($3::bigint[]) AS a,
                       unnest($4::bigint[]) AS pe, unnest($5::bigint[]) AS h, unnest($6::bigint[]) AS sp,
                       unnest($7::bigint[]) AS d, unnest($8::bytea[]) AS st, unnest($9::text[]) AS p,
                       unnest($10::bigint[]) AS lp, unnest($11::bigint[]) AS lr, unnest($12::bigint[]) AS du,
                       unnest($13::bigint[]) AS nx) u
        ON CONFLICT (member_id) DO UPDATE
           SET seq = excluded.seq, available = excluded.available, pending = excluded.pending, held = excluded.held,
               lifetime_spend_minor = excluded.lifetime_spend_minor, debt = excluded.debt, state = excluded.state,
               updated_at = excluded.updated_at, due_at = excluded.due_at, next_expiry_at = excluded.next_expiry_at,
               previous_purchase_at = b.last_purchase_at,
               last_purchase_at = greatest(b.last_purchase_at, excluded.last_purchase_at),
               last_redeem_on = greatest(b.last_redeem_on, excluded.last_redeem_on)
         WHERE b.seq < excluded.seq
        RETURNING b.program_id, (b.previous_purchase_at AT TIME ZONE 'UTC')::date AS left_day,
                  (b.last_purchase_at AT TIME ZONE 'UTC')::date AS last_day),
      moved AS (
        SELECT program_id, left_day AS day, -1 AS n FROM up
         WHERE left_day IS NOT NULL AND left_day IS DISTINCT FROM last_day
        UNION ALL
        SELECT program_id, last_day, 1 FROM up WHERE last_day IS NOT NULL AND left_day IS DISTINCT FROM last_day)
      INSERT INTO program_purchase_days AS x (program_id, day, members)
      SELECT program_id, day, sum(n) FROM moved GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2
      ON CONFLICT (program_id, day) DO UPDATE SET members = x.members + excluded.members""";

  /**
   * Consent changes: their history, and the member row's consents (what the scheduler's scans filter on) as the
   * latest change left them.
   */
  static final String INSERT_CONSENTS = """
      WITH c AS (
        INSERT INTO member_consents (member_id, seq, changed_at, personal_data, marketing, service_notices, source,
                                     till_ref)
        SELECT m, s, timestamptz 'epoch' + at * interval '1 millisecond', pd, mk, sn,
               CASE WHEN t IS NULL THEN 'admin' ELSE 'till' END, t
          FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bool[], $5::bool[], $6::bool[], $7::uuid[])
               AS u(m, s, at, pd, mk, sn, t)
        ON CONFLICT DO NOTHING
        RETURNING member_id, seq, personal_data, marketing, service_notices)
      UPDATE members m
         SET consent_personal_data = c.personal_data, consent_marketing = c.marketing,
             consent_service_notices = c.service_notices
        FROM (SELECT DISTINCT ON (member_id) * FROM c ORDER BY member_id, seq DESC) c
       WHERE m.id = c.member_id
         AND NOT EXISTS (SELECT 1 FROM member_consents x WHERE x.member_id = c.member_id AND x.seq > c.seq)""";

  /** A ledger row's key. */
  private record RowKey(UUID member, long seq) {
  }

  private static final Class<?> U = UUID.class;
  private static final Class<?> L = Long.class;
  private static final Class<?> S = String.class;
  private static final Class<?> B = Buffer.class;

  private Batch() {
  }

  /** True when a batch failed because some of its ledger rows were written already: write it again newOnly. */
  static boolean alreadyWritten(Throwable error) {
    return error instanceof PgException pg && "23505".equals(pg.getSqlState())
        && "ledger_pkey".equals(pg.getConstraint());
  }

  static Future<Void> write(SqlConnection conn, List<Event> events, long nowMillis, boolean newOnly) {
    Columns ledger = new Columns(U, L, S, S, L, L, L, L, L, S, U, S, U, L, S, S, L, L, L, L, L, B, U, S, B);
    Map<UUID, Event> latest = new TreeMap<>(); // by member, so concurrent batches lock rows in one order
    Map<UUID, long[]> lastSale = new HashMap<>(); // by member: its latest receipt, and latest with points redeemed
    for (Event event : events) {
      Map<UUID, Event.Tx> records = new HashMap<>();
      Map<UUID, Integer> lastOfTx = new HashMap<>();
      for (Event.Tx t : event.transactions()) {
        records.put(t.id(), t);
      }
      List<Entry> entries = event.entries();
      for (int i = 0; i < entries.size(); i++) {
        if (entries.get(i).transaction() != null) {
          lastOfTx.put(entries.get(i).transaction(), i);
        }
      }
      for (int i = 0; i < entries.size(); i++) {
        Entry e = entries.get(i);
        Event.Tx t = e.transaction() != null && lastOfTx.get(e.transaction()) == i ? records.get(e.transaction()) : null;
        boolean idempotency = i == entries.size() - 1 && event.idempotencyKey() != null;
        ledger.add(event.member(), e.seq(), event.programId(), e.kind(), e.points(), e.availableDelta(),
            e.pendingDelta(), e.heldDelta(), e.lotId() < 0 ? null : e.lotId(), e.reason(), e.transaction(),
            e.receipt(), e.till(), e.at(),
            t == null ? null : t.kind(), t == null ? null : t.status(), t == null ? null : t.totalMinor(),
            t == null ? null : t.eligibleMinor(), t == null ? null : t.redeemedPoints(),
            t == null ? null : t.accruedPoints(), t == null ? null : t.refundedMinor(),
            t == null ? null : Buffer.buffer(t.record()),
            idempotency ? event.idempotencyTill() : null, idempotency ? event.idempotencyKey() : null,
            idempotency ? Buffer.buffer(event.idempotencyRecord()) : null);
      }
      latest.merge(event.member(), event, (a, b) -> a.seq() >= b.seq() ? a : b);
      Event.Sale sale = event.sale();
      if (sale != null && sale.receipt()) {
        long[] last = lastSale.computeIfAbsent(event.member(), m -> new long[] {Long.MIN_VALUE, Long.MIN_VALUE});
        last[0] = Math.max(last[0], sale.at());
        last[1] = sale.redeemedPoints() > 0 ? Math.max(last[1], sale.at()) : last[1];
      }
    }
    Columns members = new Columns(U, L, L, L, L, L, L, B, S, L, L, L, L);
    latest.values().forEach(e -> {
      long[] last = lastSale.get(e.member());
      members.add(e.member(), e.seq(), e.available(), e.pending(), e.held(), e.spendMinor(), e.debt(),
          Buffer.buffer(e.state()), e.programId(), last == null ? null : last[0],
          last == null || last[1] == Long.MIN_VALUE ? null : Math.floorDiv(last[1], Rules.DAY_MILLIS),
          ExpiryJob.dueColumn(e.dueAt()), ExpiryJob.dueColumn(e.nextExpiryAt()));
    });
    return conn.preparedQuery(newOnly ? INSERT_LEDGER_NEW_ONLY : INSERT_LEDGER).execute(ledger.tuple())
        .compose(inserted -> {
          Set<RowKey> rows = new HashSet<>();
          for (io.vertx.sqlclient.Row row : inserted) {
            rows.add(new RowKey(row.getUUID(0), row.getLong(1)));
          }
          // the rows of one change are inserted all or none: they are new together, and counted for the first of
          // the batch's copies of that change
          List<Event> added = new ArrayList<>();
          for (Event e : events) {
            if (!e.entries().isEmpty() && (!newOnly || rows.remove(new RowKey(e.member(), e.entries().get(0).seq())))) {
              added.add(e);
            }
          }
          return Future.all(conn.preparedQuery(UPSERT_MEMBERS).execute(members.tuple()), Figures.add(conn, added),
              Outbox.write(conn, Facts.of(added), nowMillis), consents(conn, added));
        })
        .mapEmpty();
  }

  private static Future<?> consents(SqlConnection conn, List<Event> added) {
    Columns rows = new Columns(U, L, L, Boolean.class, Boolean.class, Boolean.class, U);
    int n = 0;
    for (Event e : added) {
      for (Entry entry : e.entries()) {
        if (entry.kind().equals(Facts.CONSENT)) {
          Profile p = e.profile();
          rows.add(e.member(), entry.seq(), entry.at(), p.personalData(), p.marketing(), p.serviceNotices(),
              entry.till());
          n++;
        }
      }
    }
    return n == 0 ? Future.succeededFuture() : conn.preparedQuery(INSERT_CONSENTS).execute(rows.tuple());
  }
}
