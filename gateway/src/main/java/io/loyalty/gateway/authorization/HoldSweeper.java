package io.loyalty.gateway.authorization;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Voids authorisations whose hold expired uncaptured, without waiting for someone to touch the member: every
 * second, each shard's due members are matured (which releases their expired holds with a ledger entry). Several
 * gateways may sweep at once; maturing is idempotent, so the release still happens exactly once.
 */
public final class HoldSweeper {
  private static final Logger LOG = LoggerFactory.getLogger(HoldSweeper.class);
  public static final long PERIOD_MILLIS = 1000;
  /** Members matured per shard per sweep. */
  private static final int BATCH = 200;

  private final Redis redis;
  private final Clock clock;

  public HoldSweeper(Redis redis, Clock clock) {
    this.redis = redis;
    this.clock = clock;
  }

  public void start(Vertx vertx) {
    vertx.setPeriodic(PERIOD_MILLIS, id -> sweep().onFailure(e -> LOG.warn("hold sweep failed: {}", e.toString())));
  }

  Future<Void> sweep() {
    String now = Long.toString(clock.millis());
    List<Future<?>> shards = new ArrayList<>();
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      String due = Keys.holdsDue(shard);
      shards.add(redis.call(c -> c.zrangebyscore(due, Range.create(Double.NEGATIVE_INFINITY, Double.parseDouble(now)),
          Limit.create(0, BATCH))).compose(members -> {
            List<Future<?>> swept = new ArrayList<>();
            for (String member : members) {
              UUID id = UUID.fromString(member);
              swept.add(redis.run(Script.SWEEP, Keys.member(id, Keys.stream(id), due), now, member));
            }
            return Future.all(swept);
          }));
    }
    return Future.all(shards).mapEmpty();
  }
}
