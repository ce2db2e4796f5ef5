package io.loyalty.gateway.program;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * When each till last made an authenticated request: noted in memory on every request (one map write), written to
 * PostgreSQL every {@link #FLUSH_MILLIS} by {@link #flush}, so the hot path never waits for it.
 */
public final class TillsSeen {
  public static final long FLUSH_MILLIS = 5_000;
  static final String UPSERT = """
      INSERT INTO till_last_seen AS s (till_ref, last_seen_at)
      SELECT t, timestamptz 'epoch' + at * interval '1 millisecond' FROM unnest($1::uuid[], $2::bigint[]) AS u(t, at)
      ON CONFLICT (till_ref) DO UPDATE SET last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at)""";

  private final Pool pool;
  private final Clock clock;
  private final Map<UUID, Long> unwritten = new ConcurrentHashMap<>();

  TillsSeen(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  public void record(Till till) {
    unwritten.put(till.ref(), clock.millis());
  }

  /** The last request of a till this gateway saw and has not written yet, or null. */
  public Long unwritten(UUID till) {
    return unwritten.get(till);
  }

  /** Writes what was noted since the last flush; what fails to be written is noted again. */
  public Future<Void> flush() {
    if (unwritten.isEmpty()) {
      return Future.succeededFuture();
    }
    List<UUID> tills = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    for (UUID till : List.copyOf(unwritten.keySet())) {
      Long at = unwritten.remove(till);
      if (at != null) {
        tills.add(till);
        times.add(at);
      }
    }
    return pool.preparedQuery(UPSERT).execute(Tuple.of(tills.toArray(UUID[]::new), times.toArray(Long[]::new)))
        .<Void>mapEmpty()
        .onFailure(e -> {
          for (int i = 0; i < tills.size(); i++) {
            unwritten.merge(tills.get(i), times.get(i), Math::max);
          }
        });
  }
}
