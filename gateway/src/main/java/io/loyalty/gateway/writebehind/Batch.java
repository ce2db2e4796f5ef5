package io.loyalty.gateway.writebehind;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a batch of stream events in one transaction, with one statement per table (arrays + unnest). Every
 * statement is idempotent: ledger, purchase and idempotency rows are keyed and skip duplicates, and snapshots
 * only move forward in member seq. So replaying any batch, in any order, is harmless.
 */
final class Batch {
  static final String INSERT_LEDGER = """
      INSERT INTO ledger (member_id, seq, program_id, kind, points, available_delta, pending_delta, held_delta,
                          lot_id, reason, transaction_id, receipt_number, till_ref, occurred_at)
      SELECT m, s, p, k, pt, da, dpe, dh, lot, r, tx, rn, till, timestamptz 'epoch' + at * interval '1 millisecond'
        FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[], $7::bigint[],
                    $8::bigint[], $9::bigint[], $10::text[], $11::uuid[], $12::text[], $13::uuid[], $14::bigint[])
             AS u(m, s, p, k, pt, da, dpe, dh, lot, r, tx, rn, till, at)
      ON CONFLICT (member_id, seq) DO NOTHING""";
  static final String UPSERT_BALANCES = """
      INSERT INTO member_balances AS b (member_id, seq, available, pending, held, lifetime_spend_minor, debt,
                                        updated_at)
      SELECT m, s, a, pe, h, sp, d, now()
        FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[])
             AS u(m, s, a, pe, h, sp, d)
      ON CONFLICT (member_id) DO UPDATE
         SET seq = excluded.seq, available = excluded.available, pending = excluded.pending, held = excluded.held,
             lifetime_spend_minor = excluded.lifetime_spend_minor, debt = excluded.debt,
             updated_at = excluded.updated_at
       WHERE b.seq < excluded.seq""";
  static final String UPSERT_LOTS = """
      INSERT INTO lots AS l (member_id, lot_id, points, remaining, state, activate_at, expire_at, seq)
      SELECT m, id, pt, r, st, timestamptz 'epoch' + act * interval '1 millisecond',
             CASE WHEN exp < 0 THEN NULL ELSE timestamptz 'epoch' + exp * interval '1 millisecond' END, s
        FROM unnest($1::uuid[], $2::bigint[], $3::bigint[], $4::bigint[], $5::text[], $6::bigint[], $7::bigint[],
                    $8::bigint[]) AS u(m, id, pt, r, st, act, exp, s)
      ON CONFLICT (member_id, lot_id) DO UPDATE
         SET remaining = excluded.remaining, state = excluded.state, seq = excluded.seq
       WHERE l.seq < excluded.seq""";
  static final String UPSERT_TRANSACTIONS = """
      INSERT INTO transactions AS t (id, member_id, program_id, till_ref, kind, status, receipt_number, total_minor,
                                     eligible_minor, redeemed_points, held_points, accrued_points, refunded_minor,
                                     record, seq, occurred_at, updated_at)
      SELECT id, m, p, till, k, st, rn, tot, el, red, held, acc, rf, rec::jsonb, s,
             timestamptz 'epoch' + at * interval '1 millisecond', now()
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[],
                    $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], $12::bigint[], $13::bigint[],
                    $14::text[], $15::bigint[], $16::bigint[])
             AS u(id, m, p, till, k, st, rn, tot, el, red, held, acc, rf, rec, s, at)
      ON CONFLICT (id) DO UPDATE
         SET status = excluded.status, redeemed_points = excluded.redeemed_points,
             held_points = excluded.held_points, accrued_points = excluded.accrued_points,
             refunded_minor = excluded.refunded_minor, record = excluded.record, seq = excluded.seq,
             updated_at = excluded.updated_at
       WHERE t.seq < excluded.seq""";
  static final String INSERT_IDEMPOTENCY = """
      INSERT INTO idempotency_records (till_ref, idempotency_key, member_id, fingerprint, outcome, created_at)
      SELECT till, k, m, fp, o, timestamptz 'epoch' + at * interval '1 millisecond'
        FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::text[], $6::bigint[])
             AS u(till, k, m, fp, o, at)
      ON CONFLICT (till_ref, idempotency_key) DO NOTHING""";

  private static final Class<?> U = UUID.class;
  private static final Class<?> L = Long.class;
  private static final Class<?> S = String.class;

  private Batch() {
  }

  static Future<Void> write(SqlConnection conn, List<JsonObject> events) {
    Columns ledger = new Columns(U, L, S, S, L, L, L, L, L, S, U, S, U, L);
    Map<UUID, Object[]> latestTransactions = new LinkedHashMap<>();
    Columns idempotency = new Columns(U, S, U, S, S, L);
    Map<UUID, JsonObject> latestBalance = new LinkedHashMap<>();
    Map<String, Object[]> latestLots = new LinkedHashMap<>();
    for (JsonObject event : events) {
      UUID member = UUID.fromString(event.getString("m"));
      String program = event.getString("p");
      long at = event.getLong("t");
      for (Object o : list(event.getValue("l"))) {
        JsonObject e = (JsonObject) o;
        ledger.add(member, e.getLong("s"), program, e.getString("k"), e.getLong("p"), e.getLong("da"),
            e.getLong("dpe"), e.getLong("dh"), e.getLong("lot"), e.getString("r"), uuidOrNull(e.getString("tx")),
            e.getString("rn"), uuidOrNull(e.getString("till")), e.getLong("at"));
      }
      for (Object o : list(event.getValue("txs"))) {
        JsonObject tx = (JsonObject) o;
        JsonObject refunds = tx.getJsonObject("rf");
        Object[] row = {UUID.fromString(tx.getString("id")), member, program, UUID.fromString(tx.getString("till")),
            tx.getString("kind"), tx.getString("st"), tx.getString("rn"), tx.getLong("tot"), tx.getLong("el"),
            tx.getLong("red", 0L), tx.getLong("held", 0L), tx.getLong("acc", 0L),
            refunds == null ? 0L : refunds.getLong("tot", 0L), tx.encode(), tx.getLong("s"), tx.getLong("at")};
        latestTransactions.merge((UUID) row[0], row, (a, b) -> (long) a[14] >= (long) b[14] ? a : b);
      }
      latestBalance.merge(member, event, (a, b) -> a.getLong("s") >= b.getLong("s") ? a : b);
      for (Object o : list(event.getValue("lots"))) {
        JsonObject lot = (JsonObject) o;
        Object[] row = {member, lot.getLong("id"), lot.getLong("p"), lot.getLong("r"), lot.getString("st"),
            lot.getLong("act"), lot.getLong("exp"), lot.getLong("s")};
        latestLots.merge(member + "/" + lot.getLong("id"), row, (a, b) -> (long) a[7] >= (long) b[7] ? a : b);
      }
      JsonObject idem = event.getJsonObject("idem");
      if (idem != null) {
        idempotency.add(UUID.fromString(idem.getString("till")), idem.getString("k"), member, idem.getString("fp"),
            idem.getString("o"), at);
      }
    }
    Columns balances = new Columns(U, L, L, L, L, L, L);
    latestBalance.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(entry -> {
      JsonObject e = entry.getValue();
      balances.add(entry.getKey(), e.getLong("s"), e.getLong("a"), e.getLong("pe"), e.getLong("h"), e.getLong("sp"),
          e.getLong("d", 0L));
    });
    Columns transactions = new Columns(U, U, S, U, S, S, S, L, L, L, L, L, L, S, L, L);
    latestTransactions.entrySet().stream().sorted(Map.Entry.comparingByKey())
        .forEach(entry -> transactions.add(entry.getValue()));
    Columns lots = new Columns(U, L, L, L, S, L, L, L);
    latestLots.values().stream()
        .sorted(Comparator.<Object[], UUID>comparing(r -> (UUID) r[0]).thenComparing(r -> (Long) r[1]))
        .forEach(lots::add);
    return conn.preparedQuery(INSERT_LEDGER).execute(ledger.tuple())
        .compose(r -> conn.preparedQuery(UPSERT_BALANCES).execute(balances.tuple()))
        .compose(r -> lots.isEmpty() ? Future.succeededFuture() : conn.preparedQuery(UPSERT_LOTS).execute(lots.tuple()))
        .compose(r -> transactions.isEmpty() ? Future.succeededFuture()
            : conn.preparedQuery(UPSERT_TRANSACTIONS).execute(transactions.tuple()))
        .compose(r -> idempotency.isEmpty() ? Future.succeededFuture()
            : conn.preparedQuery(INSERT_IDEMPOTENCY).execute(idempotency.tuple()))
        .mapEmpty();
  }

  private static Iterable<Object> list(Object value) {
    // cjson encodes an empty Lua table as {}, so an empty list may arrive as an empty object
    return value instanceof JsonArray array ? array : List.of();
  }

  private static UUID uuidOrNull(String value) {
    return value == null ? null : UUID.fromString(value);
  }

  /** Column-wise arrays for one unnest statement, each typed as its SQL parameter. */
  private static final class Columns {
    private final Class<?>[] types;
    private final List<List<Object>> columns = new ArrayList<>();

    Columns(Class<?>... types) {
      this.types = types;
      for (int i = 0; i < types.length; i++) {
        columns.add(new ArrayList<>());
      }
    }

    void add(Object... row) {
      for (int i = 0; i < row.length; i++) {
        columns.get(i).add(row[i]);
      }
    }

    boolean isEmpty() {
      return columns.get(0).isEmpty();
    }

    Tuple tuple() {
      Tuple tuple = Tuple.tuple();
      for (int i = 0; i < types.length; i++) {
        List<Object> column = columns.get(i);
        tuple.addValue(column.toArray((Object[]) java.lang.reflect.Array.newInstance(types[i], column.size())));
      }
      return tuple;
    }
  }
}
