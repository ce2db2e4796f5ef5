package io.loyalty.gateway.member;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Members: enrolment and lookups in PostgreSQL, and the hot copy in Redis, loaded from PostgreSQL on first touch.
 */
public final class Members {
  static final String INSERT_MEMBER = """
      INSERT INTO members (id, program_id, phone, card, external_id, consent_personal_data, consent_marketing)
      VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING""";
  static final String SELECT_CONFLICTING = """
      SELECT id FROM members WHERE program_id = $1
        AND (phone = $2 OR card IS NOT DISTINCT FROM $3 AND $3 IS NOT NULL
             OR external_id IS NOT DISTINCT FROM $4 AND $4 IS NOT NULL)
      LIMIT 1""";
  static final String SELECT_ID_BY_PHONE = "SELECT id FROM members WHERE program_id = $1 AND phone = $2";
  static final String SELECT_ID_BY_CARD = "SELECT id FROM members WHERE program_id = $1 AND card = $2";
  /** The whole snapshot of one member in one statement, so it is read from one consistent view. */
  static final String SELECT_SNAPSHOT = """
      SELECT m.program_id, m.phone, m.card, m.external_id, m.consent_personal_data, m.consent_marketing,
             (extract(epoch FROM m.created_at) * 1000)::bigint AS created_ms,
             coalesce(b.seq, 0) AS seq, coalesce(b.available, 0) AS available, coalesce(b.pending, 0) AS pending,
             coalesce(b.held, 0) AS held, coalesce(b.lifetime_spend_minor, 0) AS spend, coalesce(b.debt, 0) AS debt,
             (SELECT coalesce(json_agg(json_build_array(l.lot_id, l.points, l.remaining, l.state,
                        (extract(epoch FROM l.activate_at) * 1000)::bigint,
                        coalesce((extract(epoch FROM l.expire_at) * 1000)::bigint, -1))), '[]')
                FROM lots l WHERE l.member_id = m.id AND l.remaining > 0
                 AND l.state IN ('pending', 'available')) AS lots,
             (SELECT coalesce(json_agg(json_build_array(i.till_ref, i.idempotency_key, i.fingerprint, i.outcome,
                        (extract(epoch FROM i.created_at) * 1000)::bigint)), '[]')
                FROM idempotency_records i WHERE i.member_id = m.id
                 AND i.created_at > now() - $2 * interval '1 second') AS idempotency,
             (SELECT coalesce(json_agg(json_build_array(t.id, t.record::text,
                        CASE WHEN t.status = 'authorized' THEN t.record->>'xat' ELSE '' END)), '[]')
                FROM transactions t WHERE t.member_id = m.id
                 AND (t.status = 'authorized' OR t.updated_at > now() - interval '7 days')) AS transactions
        FROM members m LEFT JOIN member_balances b ON b.member_id = m.id
       WHERE m.id = $1""";
  static final String SELECT_LEDGER = """
      SELECT l.seq, l.kind, l.points, l.available_delta, l.pending_delta, l.held_delta, l.lot_id, l.reason,
             l.transaction_id, l.receipt_number, t.store_id, t.till_id, l.occurred_at
        FROM ledger l LEFT JOIN tills t ON t.id = l.till_ref
       WHERE l.member_id = $1 AND l.program_id = $2 AND l.seq < $3
       ORDER BY l.seq DESC LIMIT $4""";
  /** Bound on the phone/card-to-id cache of each gateway (ids never change, so entries never go stale). */
  private static final int MAX_CACHED_IDS = 1_000_000;

  private final Pool pool;
  private final Redis redis;
  private final Clock clock;
  private final long idempotencyTtlSeconds;
  private final Cache<String, UUID> ids = Caffeine.newBuilder().maximumSize(MAX_CACHED_IDS).build();

  public Members(Pool pool, Redis redis, Clock clock, long idempotencyTtlSeconds) {
    this.pool = pool;
    this.redis = redis;
    this.clock = clock;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
  }

  public record Enrolment(String phone, String card, String externalId, boolean personalData, boolean marketing) {
  }

  /** Enrols a member; fails with 409 {@code member_exists} (naming the existing member) on a duplicate. */
  public Future<UUID> enrol(String programId, Enrolment e) {
    UUID id = UUID.randomUUID();
    return pool.preparedQuery(INSERT_MEMBER)
        .execute(Tuple.of(id, programId, e.phone(), e.card(), e.externalId(), e.personalData(), e.marketing()))
        .compose(rows -> rows.rowCount() == 1 ? Future.succeededFuture(id)
            : pool.preparedQuery(SELECT_CONFLICTING).execute(Tuple.of(programId, e.phone(), e.card(), e.externalId()))
                .compose(existing -> Future.failedFuture(new ApiException(ErrorCode.MEMBER_EXISTS,
                    "This phone, card or external id is already enrolled",
                    new JsonObject().put("member_id", existing.size() == 0 ? null
                        : existing.iterator().next().getUUID("id").toString())))));
  }

  /** The id of the member a reference names within the program, or null when there is none. */
  public Future<UUID> resolve(String programId, MemberRef ref) {
    if (ref.id() != null) {
      return Future.succeededFuture(ref.id());
    }
    String indexKey = ref.phone() != null ? Keys.phoneIndex(programId, ref.phone()) : Keys.cardIndex(programId, ref.card());
    UUID cached = ids.getIfPresent(indexKey);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return redis.call(c -> c.get(indexKey)).compose(hit -> {
      if (hit != null) {
        return Future.succeededFuture(UUID.fromString(hit));
      }
      String sql = ref.phone() != null ? SELECT_ID_BY_PHONE : SELECT_ID_BY_CARD;
      return pool.preparedQuery(sql).execute(Tuple.of(programId, ref.phone() != null ? ref.phone() : ref.card()))
          .compose(rows -> {
            if (rows.size() == 0) {
              return Future.succeededFuture(null);
            }
            UUID id = rows.iterator().next().getUUID("id");
            return redis.call(c -> c.set(indexKey, id.toString())).map(ok -> id);
          });
    }).onSuccess(id -> {
      if (id != null) {
        ids.put(indexKey, id);
      }
    });
  }

  /**
   * Loads the member's hot copy from PostgreSQL unless Redis already has one. Fails with 404 when PostgreSQL has
   * no such member.
   */
  public Future<Void> load(UUID id) {
    return pool.preparedQuery(SELECT_SNAPSHOT).execute(Tuple.of(id, idempotencyTtlSeconds)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND, "No member " + id));
      }
      Row row = rows.iterator().next();
      JsonArray fields = new JsonArray().add("id").add(id.toString())
          .add("prog").add(row.getString("program_id"))
          .add("seq").add(Long.toString(row.getLong("seq")))
          .add("a").add(Long.toString(row.getLong("available")))
          .add("pe").add(Long.toString(row.getLong("pending")))
          .add("h").add(Long.toString(row.getLong("held")))
          .add("sp").add(Long.toString(row.getLong("spend")))
          .add("d").add(Long.toString(row.getLong("debt")))
          .add("ph").add(row.getString("phone"))
          .add("cd").add(nullToEmpty(row.getString("card")))
          .add("ext").add(nullToEmpty(row.getString("external_id")))
          .add("cpd").add(row.getBoolean("consent_personal_data") ? "1" : "0")
          .add("cmk").add(row.getBoolean("consent_marketing") ? "1" : "0")
          .add("cr").add(Long.toString(row.getLong("created_ms")));
      JsonArray lots = new JsonArray();
      for (Object o : asArray(row.getValue("lots"))) {
        JsonArray lot = (JsonArray) o;
        long expireAt = lot.getLong(5);
        boolean pending = lot.getString(3).equals("pending");
        lots.add(String.format("%012d", lot.getLong(0)))
            .add(lot.getLong(1) + "|" + lot.getLong(2) + "|" + lot.getLong(4) + "|" + expireAt)
            .add(pending ? "pending" : "available")
            .add(pending ? Long.toString(lot.getLong(4)) : expireAt < 0 ? "+inf" : Long.toString(expireAt));
      }
      JsonArray transactions = new JsonArray();
      asArray(row.getValue("transactions")).forEach(t -> ((JsonArray) t).forEach(transactions::add));
      List<String> keys = new ArrayList<>(List.of(Keys.member(id)));
      long nowMillis = clock.millis();
      List<String> args = new ArrayList<>(List.of(fields.encode(), lots.encode(), transactions.encode(), ""));
      for (Object o : asArray(row.getValue("idempotency"))) {
        JsonArray record = (JsonArray) o;
        long ttlSeconds = idempotencyTtlSeconds - (nowMillis - record.getLong(4)) / 1000;
        if (ttlSeconds > 0) {
          keys.add(Keys.idempotency(id, UUID.fromString(record.getString(0)), record.getString(1)));
          args.add(record.getString(2) + "\n" + record.getString(3));
          args.add(Long.toString(ttlSeconds));
        }
      }
      return redis.run(Script.LOAD, keys.toArray(String[]::new), args.toArray(String[]::new)).mapEmpty();
    });
  }

  /** The member as the API shows it, matured to now; 404 unless it belongs to the program. */
  public Future<JsonObject> view(Program program, UUID id) {
    return runLoading(id, () -> redis.run(Script.VIEW, withStream(id),
        Long.toString(clock.millis()), program.id())).map(reply -> MemberView.render(program, id, reply));
  }

  /**
   * Runs a member script, loading the member from PostgreSQL and running it once more when the script answers
   * {@code LOAD}; {@code NOT_FOUND} (another program's member) becomes a 404.
   */
  public Future<List<Object>> runLoading(UUID id, java.util.function.Supplier<Future<List<Object>>> script) {
    return script.get().compose(reply -> "LOAD".equals(reply.get(0)) ? load(id).compose(v -> script.get())
        : Future.succeededFuture(reply)).compose(reply -> switch ((String) reply.get(0)) {
          case "LOAD", "NOT_FOUND" -> Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND,
              "No member " + id + " in this program"));
          default -> Future.succeededFuture(reply);
        });
  }

  /** The member's keys plus its shard's write-behind stream. */
  public static String[] withStream(UUID id) {
    return Keys.member(id, Keys.stream(id));
  }

  /** A page of the member's ledger from PostgreSQL, newest first. */
  public Future<JsonObject> ledger(String programId, UUID id, long beforeSeq, int limit) {
    return pool.preparedQuery(SELECT_LEDGER).execute(Tuple.of(id, programId, beforeSeq, limit))
        .map(rows -> MemberView.ledgerPage(rows, limit));
  }

  private static JsonArray asArray(Object value) {
    return value instanceof JsonArray array ? array : new JsonArray(String.valueOf(value));
  }

  private static String nullToEmpty(String value) {
    return value == null ? "" : value;
  }

}
