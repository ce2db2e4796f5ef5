package io.loyalty.gateway;

import io.loyalty.gateway.admin.AdminRoutes;
import io.loyalty.gateway.authorization.Authorizations;
import io.loyalty.gateway.batch.Batches;
import io.loyalty.gateway.engagement.EngagementVerticle;
import io.loyalty.gateway.webhook.WebhookRoutes;
import io.loyalty.gateway.authorization.HoldSweeper;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.RequestMeter;
import io.loyalty.gateway.http.TillRateLimiter;
import io.loyalty.gateway.member.Transactions;
import io.loyalty.gateway.http.Api;
import io.loyalty.gateway.http.ApiVerticle;
import io.loyalty.gateway.member.MemberRoutes;
import io.loyalty.gateway.member.MemberEvictor;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Secrets;
import io.loyalty.gateway.report.LiabilityGauges;
import io.loyalty.gateway.report.ReportRoutes;
import io.loyalty.gateway.report.Reports;
import io.loyalty.gateway.program.TillsSeen;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.refund.Refunds;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.writebehind.Handoff;
import io.loyalty.gateway.writebehind.WriteBehind;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.healthchecks.Status;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsOptions;
import io.vertx.sqlclient.Pool;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: start-up in order (migrate and connect, load programs, listen on every event loop, then
 * start the write-behind worker and the background sweeps) and shutdown in reverse.
 */
public final class Gateway {
  /** Each readiness probe gets this long before it counts as down. */
  private static final long HEALTH_TIMEOUT_MILLIS = 1000;
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final Redis redis;
  private final JvmGcMetrics jvmMeters;
  private final String writeBehindDeployment;
  private final String apiDeployment;
  private final String engagementDeployment;
  private final String housekeepingDeployment;
  private final long stopTimeoutMillis;

  private Gateway(Vertx vertx, Redis redis, JvmGcMetrics jvmMeters, String writeBehindDeployment,
      String apiDeployment, String engagementDeployment, String housekeepingDeployment, long stopTimeoutMillis) {
    this.vertx = vertx;
    this.redis = redis;
    this.jvmMeters = jvmMeters;
    this.writeBehindDeployment = writeBehindDeployment;
    this.apiDeployment = apiDeployment;
    this.engagementDeployment = engagementDeployment;
    this.housekeepingDeployment = housekeepingDeployment;
    this.stopTimeoutMillis = stopTimeoutMillis;
  }

  public static Future<Gateway> start(Config config, Clock clock) {
    Objects.requireNonNull(config.adminToken(), "an admin token is required");
    PrometheusMeterRegistry registry = Metrics.registry();
    JvmGcMetrics jvmMeters = Metrics.bindJvm(registry);
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(config.eventLoops()).setPreferNativeTransport(true)
            // HTTP server meters are the gateway's own (RequestMeter): Vert.x's leak active requests
            .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)
                .addDisabledMetricsCategory(MetricsDomain.HTTP_SERVER)))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
    Buffer openApi = resource("/openapi.yaml");
    return vertx.executeBlocking(() -> {
      try {
        Database.migrate(config.databaseUrl());
      } catch (RuntimeException e) {
        throw new StartupException("PostgreSQL at DATABASE_URL (" + config.databaseUrl() + ") could not be migrated: "
            + rootMessage(e) + "; check that it runs and the URL, user and password are right", e);
      }
      try {
        return Redis.connect(vertx, config.redisUrl(), config.redisCluster(), Duration.ofMillis(config.redisTimeoutMillis()));
      } catch (RuntimeException e) {
        throw new StartupException("Redis at REDIS_URL (" + config.redisUrl() + ") could not be reached: "
            + rootMessage(e) + "; check that it runs and the URL is right", e);
      }
    }).compose(redis -> {
      Pool pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
      ProgramRegistry programs = new ProgramRegistry(pool, clock);
      Handoff handoff = new Handoff(config.writeBehindBatchSize(), registry);
      MemberStore store = new MemberStore(redis, pool, handoff, clock, config.idempotencyTtlSeconds(),
          config.writeBehindMaxBacklogEntries(), registry);
      Members members = new Members(pool, redis, store, clock);
      Transactions transactions = new Transactions(vertx, pool, redis);
      InFlight inFlight = new InFlight();
      Purchases purchases = new Purchases(programs, members, store, clock, inFlight);
      Refunds refunds = new Refunds(programs, store, transactions, clock, inFlight);
      byte[] adminTokenHash = Secrets.hash(config.adminToken());
      Api.Handlers handlers = new Api.Handlers(
          new AdminRoutes(programs, adminTokenHash, pool, members),
          new ReportRoutes(programs, adminTokenHash, new Reports(pool), clock),
          new MemberRoutes(programs, members, adminTokenHash),
          purchases,
          new Authorizations(programs, members, store, transactions, clock, inFlight),
          refunds,
          new Batches(programs, purchases, refunds, clock),
          new WebhookRoutes(programs, adminTokenHash, pool, clock));
      WriteBehind writeBehind = new WriteBehind(redis, pool, handoff, registry, config.writeBehindBatchSize(),
          config.writeBehindPollMillis(), config.writeBehindClaimIdleMillis(), config.stopTimeoutMillis(), clock);
      RequestMeter meter = Api.meter(handlers, registry);
      LiabilityGauges liability = new LiabilityGauges(pool, programs, registry);
      TillRateLimiter limiter = new TillRateLimiter(programs, config.tillRequestsPerSecond(), config.tillBurstRequests());
      HealthChecks readiness = HealthChecks.create(vertx)
          .register("redis", HEALTH_TIMEOUT_MILLIS, p -> redis.call(c -> c.ping())
              .onComplete(r -> p.tryComplete(r.succeeded() ? Status.OK() : Status.KO())))
          .register("postgresql", HEALTH_TIMEOUT_MILLIS, p -> pool.query("SELECT 1").execute()
              .onComplete(r -> p.tryComplete(r.succeeded() ? Status.OK() : Status.KO())));
      // listen first: if the address cannot be had, nothing else has started
      return programs.refresh()
          .compose(v -> vertx.deployVerticle(() -> new ApiVerticle(config,
                  v2 -> Api.router(v2, handlers, meter, limiter, registry, liability::sample, readiness, openApi),
                  request -> Api.invalidRequest(request, meter)),
              new DeploymentOptions().setInstances(config.eventLoops()))
              .recover(e -> Future.failedFuture(listenFailure(config, e))))
          // the rest on worker contexts: the event loops are the API verticle's (one per loop), and a job's work
          // queued on a loop would make the tills' requests on it wait (a scheduler pass over many members)
          .compose(apiId -> vertx.deployVerticle(writeBehind, background())
              .compose(writeBehindId -> vertx.deployVerticle(new EngagementVerticle(pool, store, programs, clock,
                  config.schedulerIntervalMillis(), config.webhookPollMillis(), config.webhookTimeoutMillis(), registry,
                  config.stopTimeoutMillis()),
                      background())
                  .map(engagementId -> new String[] {writeBehindId, engagementId}))
              .compose(ids -> {
                HoldSweeper holds = new HoldSweeper(redis, store, programs, clock);
                MemberEvictor evictor = new MemberEvictor(redis, store, pool, config.memberIdleSeconds(), registry);
                return vertx.deployVerticle(new Housekeeping(List.of(
                        new Housekeeping.Job("configuration refresh", config.configRefreshMillis(), programs::refresh),
                        new Housekeeping.Job("tills' last requests", TillsSeen.FLUSH_MILLIS,
                            () -> programs.seen().flush()),
                        new Housekeeping.Job("hold sweep", HoldSweeper.PERIOD_MILLIS, holds::sweep),
                        new Housekeeping.Job("idle member eviction", config.memberEvictScanMillis(), evictor::step)),
                        config.stopTimeoutMillis()),
                        background())
                    .map(housekeepingId -> new Gateway(vertx, redis, jvmMeters, ids[0], apiId, ids[1],
                        housekeepingId, config.stopTimeoutMillis()));
              }))
          // Redis before Vert.x (closed below): its sockets run on Vert.x's event loops
          .recover(e -> Future.fromCompletionStage(redis.closeAsync()).transform(closed -> Future.failedFuture(e)));
    }).onFailure(e -> {
      vertx.close();
      jvmMeters.close();
    });
  }

  /**
   * Stops in the order that loses nothing and alarms nobody: stop the periodic housekeeping (its runs in progress
   * finish) and, at the same time, the background jobs (giving their leases up), stop taking requests and let those
   * in flight finish (up to {@link ApiVerticle#DRAIN_SECONDS}), then stop the write-behind worker once its batch in
   * progress is written (what is not yet written stays in Redis for the next gateway), then close the Redis
   * connections, and only then Vert.x (its event loops serve those connections) and with it the PostgreSQL pool.
   * Work in progress gets up to {@code STOP_TIMEOUT_MS} at each of the two background steps ({@link StopBound}), and
   * Vert.x as long to close, so a store that stopped answering cannot hold a stop for longer than three times that
   * plus the requests' drain.
   */
  public CompletableFuture<Void> stop() {
    return Future.join(vertx.undeploy(housekeepingDeployment), vertx.undeploy(engagementDeployment))
        .eventually(() -> vertx.undeploy(apiDeployment))
        .eventually(() -> vertx.undeploy(writeBehindDeployment))
        .toCompletionStage().toCompletableFuture()
        .handle((undeployed, failure) -> {
          if (failure != null) {
            LOG.warn("stopping: {}", failure.toString());
          }
          return null;
        })
        // Redis before Vert.x: its sockets run on Vert.x's event loops
        .thenCompose(v -> redis.closeAsync())
        // closed from outside Vert.x: a future completed by the closing Vert.x must not need its event loops
        // closing the PostgreSQL pool waits for its statements in progress: bounded too (a batch cut short above),
        // by the JDK's timer, not StopBound's: a closing Vert.x cancels its own timers
        .thenComposeAsync(v -> vertx.close().toCompletionStage().toCompletableFuture()
            .orTimeout(stopTimeoutMillis, TimeUnit.MILLISECONDS)
            .exceptionally(e -> {
              LOG.warn("stopping: Vert.x did not close within {} ms (STOP_TIMEOUT_MS), a PostgreSQL statement still "
                  + "running; stopped without it", stopTimeoutMillis);
              return null;
            }))
        .whenComplete((v, failure) -> jvmMeters.close());
  }

  /** The address could not be bound: say which variable to change. */
  private static Throwable listenFailure(Config config, Throwable e) {
    String message = rootMessage(e);
    if (message.contains("Address already in use")) {
      return new StartupException("port " + config.httpPort() + " on " + config.httpHost() + " is in use: stop what "
          + "listens there, or set GATEWAY_PORT to a free port", e);
    }
    if (message.contains("Cannot assign requested address") || e instanceof java.net.UnknownHostException
        || message.contains("not resolve")) {
      return new StartupException("GATEWAY_HOST " + config.httpHost() + " is not an address of this machine: use "
          + "127.0.0.1 (this machine only) or 0.0.0.0 (every interface)", e);
    }
    return new StartupException("the HTTP server could not start on " + config.httpHost() + ":" + config.httpPort()
        + ": " + message, e);
  }

  private static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return String.valueOf(root.getMessage());
  }

  private static Buffer resource(String path) {
    try (InputStream in = Gateway.class.getResourceAsStream(path)) {
      return Buffer.buffer(Objects.requireNonNull(in, path).readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Background work (write-behind, engagement, housekeeping) runs on a worker context, off the tills' loops. */
  private static DeploymentOptions background() {
    return new DeploymentOptions().setThreadingModel(io.vertx.core.ThreadingModel.WORKER);
  }
}
