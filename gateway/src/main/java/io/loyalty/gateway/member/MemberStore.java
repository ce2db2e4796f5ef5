package io.loyalty.gateway.member;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.loyalty.gateway.codec.AnswerCodec;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.rules.Transaction;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.loyalty.gateway.writebehind.Event;
import io.loyalty.gateway.writebehind.Handoff;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * Members' states and the one way they change: read the state (this gateway's cache of states it committed, else
 * Redis, else PostgreSQL), decide with the pure rules, commit with the one commit script. When another gateway
 * changed the member meanwhile, the script hands back the current state and the change is decided again (a
 * bounded number of times). Changes of one member are serialised within a gateway, so that happens only across
 * gateways.
 */
public final class MemberStore {
  static final String SELECT_MEMBER = """
      SELECT m.program_id, m.phone, m.card, m.external_id, m.consent_personal_data, m.consent_marketing,
             m.consent_service_notices, (extract(epoch FROM m.created_at) * 1000)::bigint AS created_ms, b.state
        FROM members m LEFT JOIN member_balances b ON b.member_id = m.id
       WHERE m.id = $1""";
  static final String SELECT_IDEMPOTENCY = """
      SELECT idempotency_till, idempotency_key, idempotency_record,
             greatest(1, $2 - extract(epoch FROM now() - recorded_at))::bigint AS ttl_seconds
        FROM ledger
       WHERE member_id = $1 AND idempotency_key IS NOT NULL AND recorded_at > now() - $2 * interval '1 second'""";
  /** Decisions tried before a change gives up on a member other gateways keep changing. */
  static final int MAX_ATTEMPTS = 8;
  /**
   * Memory for the member states this gateway keeps, so the common change is one Redis round trip: about 64 MB
   * (~250 000 members of a few lots, fewer with many lots or open authorisations).
   */
  static final long MAX_CACHED_STATE_BYTES = 64L * 1024 * 1024;
  private static final byte[] NONE = new byte[0];
  private static final byte[] MODE_NONE = bytes("none");
  private static final byte[] MODE_CHECK = bytes("check");
  private static final byte[] MODE_STORE = bytes("store");
  private static final byte[] SET = bytes("SET");
  private static final byte[] ZADD = bytes("ZADD");
  private static final byte[] ZREM = bytes("ZREM");

  private final Redis redis;
  private final Pool pool;
  private final Clock clock;
  private final long idempotencyTtlSeconds;
  private final byte[] idempotencyTtl;
  private final byte[] maxStreamEntries;
  // Caffeine's upkeep runs on the thread that reads (an event loop), in small bounded steps, instead of waking a
  // common-pool thread every few reads (~2 µs of JVM CPU per purchase, BENCHMARKS.md).
  private final Cache<UUID, MemberState> states = Caffeine.newBuilder().maximumWeight(MAX_CACHED_STATE_BYTES)
      .weigher((UUID id, MemberState state) -> heapBytes(state)).executor(Runnable::run).build();
  private final KeyedQueue<UUID> queue = new KeyedQueue<>();
  private final Handoff handoff;
  private final MeterRegistry registry;
  /** Per program, per ledger kind: points moved. */
  private final Map<String, Map<String, Counter>> moved = new ConcurrentHashMap<>();

  /** @param maxBacklogEntries past this many write-behind entries waiting (in all), new changes get 503 */
  public MemberStore(Redis redis, Pool pool, Handoff handoff, Clock clock, long idempotencyTtlSeconds,
      long maxBacklogEntries, MeterRegistry registry) {
    this.redis = redis;
    this.registry = registry;
    this.handoff = handoff;
    this.pool = pool;
    this.clock = clock;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
    this.idempotencyTtl = bytes(Long.toString(idempotencyTtlSeconds));
    this.maxStreamEntries = bytes(Long.toString(Math.max(1, maxBacklogEntries / Keys.SHARDS)));
  }

  /** Who asked for a change, for idempotency; null for changes no client asked for (maturing on a read). */
  public record Request(UUID till, String key, byte[] fingerprint) {
  }

  /** A change's outcome: a fresh decision, or the answer an earlier request with the same key was given. */
  public record Outcome(Decision decision, Answer replayed) {
  }

  /** Decides how the member changes. May fail (with an {@link ApiException}) to refuse without committing. */
  public interface Decide extends Function<MemberState, Future<Decision>> {
  }

  /**
   * Applies a change to a member of {@code programId} (another program's member is 404): decides it with the
   * current state and commits it; a retry of an earlier request is answered from its record.
   */
  public Future<Outcome> change(UUID member, String programId, Request request, Decide decide) {
    return queue.run(member, () -> attempt(member, programId, request, decide, states.getIfPresent(member), 1));
  }

  /** The member's state now (matured by nobody): for reads that need no commit. */
  public Future<MemberState> read(UUID member) {
    return redis.call(c -> c.get(Keys.member(member)))
        .compose(bytes -> bytes == null ? load(member) : Future.succeededFuture(StateCodec.decode(bytes)));
  }

  /**
   * The answer stored for this request's key, or null: for changes that are costly to decide, checked before
   * deciding (the commit checks it again).
   */
  public Future<Answer> stored(UUID member, Request request) {
    return redis.call(c -> c.get(Keys.idempotency(member, request.till(), request.key())))
        .map(record -> record == null ? null : replay(record, request));
  }

  /** The stored answer, if it was stored for the same request; 422 {@code idempotency_key_reuse} otherwise. */
  private static Answer replay(byte[] record, Request request) {
    if (!Arrays.equals(AnswerCodec.fingerprintOf(record), request.fingerprint())) {
      throw new ApiException(ErrorCode.IDEMPOTENCY_KEY_REUSE, "Use a new Idempotency-Key for a new request");
    }
    return AnswerCodec.decode(record);
  }

  /**
   * Points moved, per program and ledger kind ({@code loyalty_ledger_points_total}), counted once per committed
   * effect, whatever asked for it (a purchase, a capture, a batch item, a refund, a sweep), never for a replay.
   * Counters only grow: each entry counts its points' magnitude; the kind says which way they went.
   */
  private void count(String programId, List<Entry> entries) {
    Map<String, Counter> byKind = moved.computeIfAbsent(programId, p -> new ConcurrentHashMap<>());
    for (Entry entry : entries) {
      if (entry.points() != 0) {
        byKind.computeIfAbsent(entry.kind(), kind -> Counter.builder("loyalty.ledger.points")
            .description("Points moved, by program and ledger kind (magnitudes; the kind gives the direction)")
            .tag("program", programId).tag("kind", kind).register(registry)).increment(Math.abs(entry.points()));
      }
    }
  }

  private Future<Outcome> attempt(UUID member, String programId, Request request, Decide decide, MemberState known,
      int attempt) {
    Future<MemberState> current = known != null ? Future.succeededFuture(known) : read(member);
    return current.compose(state -> {
      if (!state.programId().equals(programId)) {
        return Future.failedFuture(notFound(member));
      }
      return decide.apply(state).compose(decision -> commit(state, decision, request).compose(reply -> {
        switch (reply.status()) {
          case "OK":
            states.put(member, decision.state());
            if (decision.changed()) {
              count(programId, decision.entries());
            }
            return Future.succeededFuture(new Outcome(decision, null));
          case "REPLAY":
            return Future.succeededFuture(new Outcome(null, replay(reply.value(), request)));
          case "BACKLOG":
            return Future.failedFuture(new ApiException(ErrorCode.BACKLOG_FULL, "PostgreSQL is behind; retry shortly"));
          case "CONFLICT":
            byte[] now = reply.value();
            if (attempt >= MAX_ATTEMPTS) {
              states.invalidate(member);
              return Future.failedFuture(new ApiException(ErrorCode.STORE_UNAVAILABLE,
                  "The member is being changed by other gateways; retry with the same key"));
            }
            MemberState fresh = now == null ? null : StateCodec.decode(now);
            if (fresh == null) {
              states.invalidate(member);
            }
            return attempt(member, programId, request, decide, fresh, attempt + 1);
          default:
            return Future.failedFuture(new IllegalStateException("commit.lua answered " + reply.status()));
        }
      }));
    });
  }

  /**
   * The commit script's answer: its status, and what came with it (the entry's id after {@code OK}, the stored record
   * after {@code REPLAY}, the current state or null after {@code CONFLICT}).
   */
  private record Reply(String status, byte[] value) {
    static Reply of(List<Object> reply) {
      return new Reply(new String((byte[]) reply.get(0), StandardCharsets.US_ASCII),
          reply.size() > 1 ? (byte[]) reply.get(1) : null);
    }
  }

  private Future<Reply> commit(MemberState before, Decision d, Request request) {
    UUID member = before.id();
    int shard = Keys.shard(member);
    String idempotencyKey = request == null ? Keys.member(member) : Keys.idempotency(member, request.till(), request.key());
    List<String> keys = new ArrayList<>(5);
    keys.add(Keys.member(member));
    keys.add(idempotencyKey);
    keys.add(Keys.stream(shard));
    byte[] mode = request == null ? MODE_NONE : d.answer() == null ? MODE_CHECK : MODE_STORE;
    // refusals are not stored: their retry is decided afresh
    byte[] record = d.answer() != null && request != null
        ? AnswerCodec.encode(request.fingerprint(), d.answer()) : NONE;
    byte[] state = d.changed() ? StateCodec.encode(d.state()) : NONE;
    boolean stored = record != NONE;
    // the script appends the state and the record, which it has already
    byte[] event = d.changed() ? Event.head(before, d, state.length, stored ? request.till() : null,
        stored ? request.key() : null, record.length) : NONE;
    List<byte[]> args = new ArrayList<>(13);
    Collections.addAll(args, StateCodec.version(before.seq()), state, mode, record, idempotencyTtl, event,
        maxStreamEntries);
    long now = clock.millis();
    for (Transaction t : d.transactions()) {
      if (t.kind() == Transaction.Kind.AUTHORIZATION && t.status().equals("authorized")
          && before.authorization(t.id()) == null) {
        // how a capture or void finds the member, for as long as the authorisation can be acted on
        keys.add(Keys.authorization(t.id()));
        long ttlSeconds = Math.max(1, (t.expiresAt() - now + Rules.CLOSED_KEPT_MILLIS) / 1000 + 60);
        args.addAll(List.of(SET, bytes(member.toString()), bytes(Long.toString(ttlSeconds))));
      }
    }
    long holdBefore = before.nextHoldExpiry();
    long holdAfter = d.state().nextHoldExpiry();
    if (holdBefore != holdAfter) {
      keys.add(Keys.holdsDue(shard));
      args.addAll(holdAfter == Lot.NEVER ? List.of(ZREM, NONE, bytes(member.toString()))
          : List.of(ZADD, bytes(Long.toString(holdAfter)), bytes(member.toString())));
    }
    return redis.run(Script.COMMIT, keys.toArray(String[]::new), args.toArray(byte[][]::new)).map(Reply::of)
        .andThen(reply -> {
          if (reply.succeeded() && reply.result().status().equals("OK")) {
            if (d.changed()) {
              handoff.committed(shard, new String(reply.result().value(), StandardCharsets.US_ASCII), event, state,
                  record);
            }
          } else if (reply.failed() || !reply.result().status().equals("BACKLOG")) {
            // the outcome is unknown (a timeout), or an earlier commit answered for this one (a replay) or changed
            // the member (a conflict): that commit's entry may be in the stream, never handed over (a refusal for
            // the backlog wrote nothing)
            handoff.missed(shard);
          }
        });
  }

  /** Loads a member missing from Redis from PostgreSQL (with its recent idempotency records); 404 if unknown. */
  private Future<MemberState> load(UUID member) {
    Future<io.vertx.sqlclient.RowSet<Row>> rows = pool.preparedQuery(SELECT_MEMBER).execute(Tuple.of(member));
    Future<io.vertx.sqlclient.RowSet<Row>> records = pool.preparedQuery(SELECT_IDEMPOTENCY)
        .execute(Tuple.of(member, idempotencyTtlSeconds));
    return Future.all(rows, records).compose(both -> {
      if (rows.result().size() == 0) {
        return Future.failedFuture(notFound(member));
      }
      Row row = rows.result().iterator().next();
      io.vertx.core.buffer.Buffer stored = row.getBuffer("state");
      byte[] state = stored != null ? stored.getBytes() : StateCodec.encode(MemberState.enrolled(member,
          row.getString("program_id"), new Profile(row.getString("phone"), row.getString("card"),
              row.getString("external_id"), row.getBoolean("consent_personal_data"),
              row.getBoolean("consent_marketing"), row.getBoolean("consent_service_notices"),
              row.getLong("created_ms"))));
      List<String> keys = new ArrayList<>(List.of(Keys.member(member)));
      List<byte[]> args = new ArrayList<>(List.of(state));
      for (Row r : records.result()) {
        keys.add(Keys.idempotency(member, r.getUUID("idempotency_till"), r.getString("idempotency_key")));
        args.add(r.getBuffer("idempotency_record").getBytes());
        args.add(bytes(Long.toString(r.getLong("ttl_seconds"))));
      }
      return redis.run(Script.LOAD, keys.toArray(String[]::new), args.toArray(byte[][]::new))
          .map(reply -> StateCodec.decode((byte[]) reply.get(0)));
    });
  }

  /** A rough size of a decoded state on the heap: the records and lists, ~64 bytes per lot and line. */
  static int heapBytes(MemberState state) {
    int parts = state.pendingLots().size() + state.availableLots().size();
    for (var a : state.authorizations()) {
      parts += 4 + a.lines().size() + a.holdLots().size();
    }
    return 400 + 64 * parts;
  }

  /** Forgets what this gateway remembers of a member (after it was dropped from Redis). */
  public void forget(UUID member) {
    states.invalidate(member);
  }

  static ApiException notFound(UUID member) {
    return new ApiException(ErrorCode.MEMBER_NOT_FOUND, "No member " + member + " in this program");
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }
}
