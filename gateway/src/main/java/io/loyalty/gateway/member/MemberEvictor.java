package io.loyalty.gateway.member;

import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Drops the hot copies of members idle for longer than {@code MEMBER_IDLE_EVICT_SECONDS}, so Redis holds the
 * members in use rather than every member ever touched. A member is dropped only when PostgreSQL has all of it
 * (its row is at the member's seq in Redis, checked again atomically by the evict script) and it holds no
 * points; its next touch reloads it from PostgreSQL, idempotency records included, so a late retry is still a
 * replay. Each gateway walks the keyspace with SCAN, one page per tick; gateways doing so at once only repeat
 * each other's checks.
 */
public final class MemberEvictor {
  static final String SELECT_IDLE = """
      SELECT member_id, seq FROM member_balances
       WHERE member_id = ANY($1::uuid[]) AND updated_at < now() - $2::bigint * interval '1 second'""";
  /** Keys looked at per tick. */
  private static final int PAGE = 2000;
  /**
   * Keys looked at per SCAN call: Redis serves no one else while a call runs, and a call over 2 000 keys took 2.7 ms
   * (p50, up to 12 ms under load, in Redis's slow log), a stall every tick in the latency tail; the tick makes its
   * calls over 200 keys one after another, so other clients' commands run in between (Housekeeping never runs two
   * ticks of a job at once, so the cursor has one writer).
   */
  private static final int SCAN_COUNT = 200;

  private final Redis redis;
  private final MemberStore store;
  private final Pool pool;
  private final long idleSeconds;
  private final Counter evicted;
  private ScanCursor cursor = ScanCursor.INITIAL;

  public MemberEvictor(Redis redis, MemberStore store, Pool pool, long idleSeconds, MeterRegistry registry) {
    this.redis = redis;
    this.store = store;
    this.pool = pool;
    this.idleSeconds = idleSeconds;
    this.evicted = Counter.builder("loyalty.members.evicted")
        .description("Idle members whose hot copy was dropped from Redis").register(registry);
  }

  /** One page of the keyspace; nothing when idle eviction is off (0 seconds). */
  public Future<Void> step() {
    if (idleSeconds == 0) {
      return Future.succeededFuture();
    }
    return scan(new ArrayList<>(), PAGE / SCAN_COUNT).compose(found -> found.isEmpty() ? Future.succeededFuture()
        : pool.preparedQuery(SELECT_IDLE).execute(Tuple.of(found.toArray(UUID[]::new), idleSeconds))
            .compose(this::evict));
  }

  /** The members found by up to {@code calls} more SCAN calls from the cursor, or fewer at the keyspace's end. */
  private Future<List<UUID>> scan(List<UUID> found, int calls) {
    return redis.call(c -> c.scan(cursor, ScanArgs.Builder.matches(Keys.MEMBER_SCAN).limit(SCAN_COUNT)))
        .compose(page -> {
          cursor = page.isFinished() ? ScanCursor.INITIAL : page;
          page.getKeys().stream().filter(Keys::isMemberState).map(Keys::memberOf).forEach(found::add);
          return page.isFinished() || calls <= 1 ? Future.succeededFuture(found) : scan(found, calls - 1);
        });
  }

  private Future<Void> evict(Iterable<Row> idle) {
    List<Future<?>> drops = new ArrayList<>();
    for (Row row : idle) {
      UUID member = row.getUUID("member_id");
      long storedSeq = row.getLong("seq");
      drops.add(redis.call(c -> c.get(Keys.member(member))).compose(bytes -> {
        // only a state PostgreSQL has all of, holding no points: its holds stay where the sweeper sees them
        if (bytes == null || StateCodec.seqOf(bytes) != storedSeq || StateCodec.decode(bytes).held() != 0) {
          return Future.succeededFuture();
        }
        return evict(redis, member, storedSeq).onSuccess(dropped -> {
          if (dropped) {
            store.forget(member);
            evicted.increment();
          }
        });
      }));
    }
    return Future.all(drops).mapEmpty();
  }

  /** Drops the member's state if it is still at {@code seq} (nothing changed it since it was checked). */
  public static Future<Boolean> evict(Redis redis, UUID member, long seq) {
    return redis.run(Script.EVICT, new String[] {Keys.member(member)}, StateCodec.version(seq))
        .map(reply -> Long.valueOf(1).equals(reply.get(0)));
  }
}
