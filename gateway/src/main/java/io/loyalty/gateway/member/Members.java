package io.loyalty.gateway.member;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.UUID;

/** Members: enrolment and lookups (PostgreSQL, indexed in Redis), views of their state, their ledger. */
public final class Members {
  /** The member, and its consents as the first entry of their history. */
  static final String INSERT_MEMBER = """
      WITH m AS (
        INSERT INTO members (id, program_id, phone, card, external_id, consent_personal_data, consent_marketing,
                             consent_service_notices)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING
        RETURNING id, created_at)
      INSERT INTO member_consents (member_id, seq, changed_at, personal_data, marketing, service_notices, source,
                                   till_ref)
      SELECT id, 0, created_at, $6, $7, $8, 'till', $9 FROM m""";
  static final String SELECT_CONFLICTING = """
      SELECT id FROM members WHERE program_id = $1
        AND (phone = $2 OR card IS NOT DISTINCT FROM $3 AND $3 IS NOT NULL
             OR external_id IS NOT DISTINCT FROM $4 AND $4 IS NOT NULL)
      LIMIT 1""";
  static final String SELECT_ID_BY_PHONE = "SELECT id FROM members WHERE program_id = $1 AND phone = $2";
  static final String SELECT_ID_BY_CARD = "SELECT id FROM members WHERE program_id = $1 AND card = $2";
  static final String SELECT_ID_BY_EXTERNAL_ID = "SELECT id FROM members WHERE program_id = $1 AND external_id = $2";
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
  private final MemberStore store;
  private final Clock clock;
  /** Upkeep on the reading event loop, as for {@code MemberStore}'s states. */
  private final Cache<String, UUID> ids = Caffeine.newBuilder().maximumSize(MAX_CACHED_IDS).executor(Runnable::run)
      .build();

  public Members(Pool pool, Redis redis, MemberStore store, Clock clock) {
    this.pool = pool;
    this.redis = redis;
    this.store = store;
    this.clock = clock;
  }

  /** @param till the till that enrolled the member */
  public record Enrolment(String phone, String card, String externalId, boolean personalData, boolean marketing,
      boolean serviceNotices, UUID till) {
  }

  /** Enrols a member; fails with 409 {@code member_exists} (naming the existing member) on a duplicate. */
  public Future<UUID> enrol(String programId, Enrolment e) {
    UUID id = UUID.randomUUID();
    return pool.preparedQuery(INSERT_MEMBER)
        .execute(Tuple.of(id, programId, e.phone(), e.card(), e.externalId(), e.personalData(), e.marketing(),
            e.serviceNotices(), e.till()))
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
        return Future.succeededFuture(UUID.fromString(new String(hit, StandardCharsets.US_ASCII)));
      }
      String sql = ref.phone() != null ? SELECT_ID_BY_PHONE : SELECT_ID_BY_CARD;
      return pool.preparedQuery(sql).execute(Tuple.of(programId, ref.phone() != null ? ref.phone() : ref.card()))
          .compose(rows -> {
            if (rows.size() == 0) {
              return Future.succeededFuture(null);
            }
            UUID id = rows.iterator().next().getUUID("id");
            return redis.call(c -> c.set(indexKey, id.toString().getBytes(StandardCharsets.US_ASCII))).map(ok -> id);
          });
    }).onSuccess(id -> {
      if (id != null) {
        ids.put(indexKey, id);
      }
    });
  }

  /** The id of the member with this external id in the program, or null. */
  public Future<UUID> byExternalId(String programId, String externalId) {
    return pool.preparedQuery(SELECT_ID_BY_EXTERNAL_ID).execute(Tuple.of(programId, externalId))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("id"));
  }

  /** The member as the API shows it, matured to now (and that maturing committed); 404 unless in the program. */
  public Future<JsonObject> view(Program program, UUID id) {
    return matured(program, id).map(state -> MemberView.render(program, state));
  }

  /** The member's state with what time has done to it committed, as a read sees it. */
  public Future<MemberState> matured(Program program, UUID id) {
    return store.change(id, program.id(), null,
        state -> Future.succeededFuture(Rules.decide(state, new Command.Mature(), program, clock.millis())))
        .map(outcome -> outcome.decision().state());
  }

  /** The id of the program a member belongs to (404 when there is no such member). */
  public Future<String> programOf(UUID id) {
    return store.read(id).map(MemberState::programId);
  }

  /** Changes the member's consents (404 unless in the program); the member's state after it. */
  public Future<MemberState> changeConsents(Program program, UUID id, Command.Consent change) {
    return store.change(id, program.id(), null,
        state -> Future.succeededFuture(Rules.decide(state, change, program, clock.millis())))
        .map(outcome -> outcome.decision().state());
  }

  /** A page of the member's ledger from PostgreSQL, newest first. */
  public Future<JsonObject> ledger(String programId, UUID id, long beforeSeq, int limit) {
    return pool.preparedQuery(SELECT_LEDGER).execute(Tuple.of(id, programId, beforeSeq, limit))
        .map(rows -> MemberView.ledgerPage(rows, limit));
  }

}
