package io.loyalty.gateway.engagement;

import io.loyalty.gateway.StopBound;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.schedule.Scheduler;
import io.loyalty.gateway.webhook.Delivery;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.sqlclient.Pool;
import java.time.Clock;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The background work that keeps members engaged, deployed on a worker context (never on an event loop serving
 * tills): the scheduler's jobs (expiry of untouched members, reminders, digests) and the webhook deliveries.
 */
public final class EngagementVerticle extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(EngagementVerticle.class);
  /** How often the webhook backlog gauges are sampled. */
  static final long BACKLOG_SAMPLE_MILLIS = 5_000;

  private final Pool pool;
  private final MemberStore store;
  private final ProgramRegistry programs;
  private final Clock clock;
  private final long schedulerIntervalMillis;
  private final long webhookPollMillis;
  private final long webhookTimeoutMillis;
  private final MeterRegistry registry;
  private final long stopMillis;
  private Scheduler scheduler;
  private Delivery delivery;

  public EngagementVerticle(Pool pool, MemberStore store, ProgramRegistry programs, Clock clock,
      long schedulerIntervalMillis, long webhookPollMillis, long webhookTimeoutMillis, MeterRegistry registry,
      long stopMillis) {
    this.pool = pool;
    this.store = store;
    this.programs = programs;
    this.clock = clock;
    this.schedulerIntervalMillis = schedulerIntervalMillis;
    this.webhookPollMillis = webhookPollMillis;
    this.webhookTimeoutMillis = webhookTimeoutMillis;
    this.registry = registry;
    this.stopMillis = stopMillis;
  }

  @Override
  public Future<?> start() {
    scheduler = new Scheduler(pool, clock, List.of(new ExpiryJob(pool, store, programs),
        new ReminderJob(pool, programs), new DigestJob(pool, programs)), schedulerIntervalMillis, registry);
    delivery = new Delivery(vertx, pool, clock, webhookTimeoutMillis, registry);
    scheduler.start(vertx);
    vertx.setPeriodic(webhookPollMillis, id -> delivery.poll()
        .onFailure(e -> LOG.warn("webhook delivery poll failed: {}", e.toString())));
    vertx.setPeriodic(BACKLOG_SAMPLE_MILLIS, id -> delivery.sampleBacklog());
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return StopBound.within(vertx, stopMillis, "the scheduler's pass in progress", scheduler.stop())
        .eventually(() -> delivery.close());
  }
}
