package io.loyalty.gateway.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.github.bucket4j.Bucket;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.vertx.ext.web.RoutingContext;
import java.time.Duration;
import java.util.UUID;

/**
 * A token bucket per till (per gateway: with N gateways behind a balancer a till may get up to N times the rate),
 * so one misbehaving till cannot starve the fleet. Over the limit: 429 {@code rate_limited} with Retry-After;
 * the request is not processed at all.
 */
public final class TillRateLimiter {
  private static final int MAX_TILLS = 1_000_000;

  private final ProgramRegistry programs;
  private final long perSecond;
  private final long burst;
  /** Upkeep on the reading event loop, as for {@code MemberStore}'s states. */
  private final Cache<UUID, Bucket> buckets = Caffeine.newBuilder().maximumSize(MAX_TILLS)
      .expireAfterAccess(Duration.ofMinutes(10)).executor(Runnable::run).build();

  public TillRateLimiter(ProgramRegistry programs, long perSecond, long burst) {
    this.programs = programs;
    this.perSecond = perSecond;
    this.burst = burst;
  }

  /** Admits the request, or answers 429 and returns false. Requests without a till key pass (the route decides). */
  public boolean admit(RoutingContext ctx) {
    Till till = Requests.caller(ctx, programs);
    if (till == null || bucket(till).tryConsume(1)) {
      return true;
    }
    Problems.send(ctx, new ApiException(ErrorCode.RATE_LIMITED,
        "At most " + perSecond + " requests per second per till (bursts of " + burst + ")"));
    return false;
  }

  private Bucket bucket(Till till) {
    return buckets.get(till.ref(), ref -> Bucket.builder()
        .addLimit(limit -> limit.capacity(burst).refillGreedy(perSecond, Duration.ofSeconds(1)))
        .build());
  }
}
