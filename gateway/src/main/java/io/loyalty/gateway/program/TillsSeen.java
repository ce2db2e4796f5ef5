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
 * When each till last made an authenticated request: noted in memory on every request (one write to the till's own
 * slot, nothing allocated once the till has one), written to PostgreSQL every {@link #FLUSH_MILLIS} by
 * {@link #flush}, so the hot path never waits for it.
 */
public final class TillsSeen {
  public static final long FLUSH_MILLIS = 5_000;
  static final String UPSERT = """
      INSERT INTO till_last_seen AS s (till_ref, last_seen_at)
      SELECT t, timestamptz 'epoch' + at * interval '1 millisecond' FROM unnest($1::uuid[], $2::bigint[]) AS u(t, at)
      ON CONFLICT (till_ref) DO UPDATE SET last_seen_at = greatest(s.last_seen_at, excluded.last_seen_at)""";

  /** A till's last request, and the last of them written to PostgreSQL (epoch ms). */
  private static final class Seen {
    volatile long at;
    volatile long written;
  }

  private final Pool pool;
  private final Clock clock;
  private final Map<UUID, Seen> tills = new ConcurrentHashMap<>();

  TillsSeen(Pool pool, Clock clock) {
    this.pool = pool;
    this.clock = clock;
  }

  public void record(Till till) {
    Seen seen = tills.get(till.ref());
    if (seen == null) {
      seen = tills.computeIfAbsent(till.ref(), ref -> new Seen());
    }
    seen.at = clock.millis();
  }

  /** The last request of a till this gateway saw and has not written yet, or null. */
  public Long unwritten(UUID till) {
    Seen seen = tills.get(till);
    return seen == null || seen.at <= seen.written ? null : seen.at;
  }

  /** Writes what was noted since the last flush; what fails to be written stays unwritten for the next. */
  public Future<Void> flush() {
    List<UUID> refs = new ArrayList<>();
    List<Long> times = new ArrayList<>();
    List<Seen> seen = new ArrayList<>();
    tills.forEach((ref, s) -> {
      long at = s.at;
      if (at > s.written) {
        refs.add(ref);
        times.add(at);
        seen.add(s);
      }
    });
    if (refs.isEmpty()) {
      return Future.succeededFuture();
    }
    Tuple arrays = Tuple.tuple().addValue(refs.toArray(UUID[]::new)).addValue(times.toArray(Long[]::new));
    return pool.preparedQuery(UPSERT).execute(arrays)
        .map(done -> {
          for (int i = 0; i < seen.size(); i++) {
            seen.get(i).written = times.get(i);
          }
          return null;
        });
  }
}
