package io.loyalty.gateway;

import io.loyalty.gateway.admin.AdminRoutes;
import io.loyalty.gateway.authorization.Authorizations;
import io.loyalty.gateway.batch.Batches;
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
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.refund.Refunds;
import io.loyalty.gateway.store.Database;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.writebehind.DirtyShards;
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
import java.util.Objects;

/**
 * One running gateway: start-up in order (migrate and connect, load programs, start the write-behind worker,
 * then listen on every event loop) and shutdown in reverse.
 */
public final class Gateway {
  /** Each readiness probe gets this long before it counts as down. */
  private static final long HEALTH_TIMEOUT_MILLIS = 1000;

  private final Vertx vertx;
  private final Redis redis;
  private final JvmGcMetrics jvmMeters;

  private Gateway(Vertx vertx, Redis redis, JvmGcMetrics jvmMeters) {
    this.vertx = vertx;
    this.redis = redis;
    this.jvmMeters = jvmMeters;
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
      Database.migrate(config.databaseUrl());
      return Redis.connect(config.redisUrl(), config.redisCluster(), Duration.ofMillis(config.redisTimeoutMillis()));
    }).compose(redis -> {
      Pool pool = Database.pool(vertx, config.databaseUrl(), config.databasePoolSize());
      ProgramRegistry programs = new ProgramRegistry(pool);
      DirtyShards dirty = new DirtyShards();
      MemberStore store = new MemberStore(redis, pool, dirty, clock, config.idempotencyTtlSeconds(),
          config.writeBehindMaxBacklogEntries(), registry);
      Members members = new Members(pool, redis, store, clock);
      Transactions transactions = new Transactions(vertx, pool, redis);
      InFlight inFlight = new InFlight();
      Purchases purchases = new Purchases(programs, members, store, clock, inFlight);
      Refunds refunds = new Refunds(programs, store, transactions, clock, inFlight);
      Api.Handlers handlers = new Api.Handlers(
          new AdminRoutes(programs, config.adminToken()),
          new MemberRoutes(programs, members),
          purchases,
          new Authorizations(programs, members, store, transactions, clock, inFlight),
          refunds,
          new Batches(programs, purchases, refunds, clock));
      WriteBehind writeBehind = new WriteBehind(redis, pool, dirty, registry, config.writeBehindBatchSize(),
          config.writeBehindPollMillis(), config.writeBehindClaimIdleMillis());
      RequestMeter meter = Api.meter(handlers, registry);
      TillRateLimiter limiter = new TillRateLimiter(programs, config.tillRequestsPerSecond(), config.tillBurstRequests());
      HealthChecks readiness = HealthChecks.create(vertx)
          .register("redis", HEALTH_TIMEOUT_MILLIS, p -> redis.call(c -> c.ping())
              .onComplete(r -> p.tryComplete(r.succeeded() ? Status.OK() : Status.KO())))
          .register("postgresql", HEALTH_TIMEOUT_MILLIS, p -> pool.query("SELECT 1").execute()
              .onComplete(r -> p.tryComplete(r.succeeded() ? Status.OK() : Status.KO())));
      return programs.refresh()
          .compose(v -> vertx.deployVerticle(writeBehind,
              new DeploymentOptions().setThreadingModel(io.vertx.core.ThreadingModel.WORKER)))
          .compose(v -> {
            vertx.setPeriodic(config.configRefreshMillis(), id -> programs.refresh());
            new HoldSweeper(redis, store, programs, clock).start(vertx);
            new MemberEvictor(redis, store, pool, config.memberIdleSeconds(), registry)
                .start(vertx, config.memberEvictScanMillis());
            return vertx.deployVerticle(() -> new ApiVerticle(config,
                    v2 -> Api.router(v2, handlers, meter, limiter, registry, readiness, openApi),
                    request -> Api.invalidRequest(request, meter)),
                new DeploymentOptions().setInstances(config.eventLoops()));
          })
          .map(id -> new Gateway(vertx, redis, jvmMeters))
          .onFailure(e -> redis.close());
    }).onFailure(e -> {
      vertx.close();
      jvmMeters.close();
    });
  }

  /** Stops listening and the write-behind worker (unflushed entries stay in Redis), closes connections. */
  public Future<Void> stop() {
    return vertx.close().eventually(() -> {
      redis.close();
      jvmMeters.close();
      return Future.succeededFuture();
    });
  }

  private static Buffer resource(String path) {
    try (InputStream in = Gateway.class.getResourceAsStream(path)) {
      return Buffer.buffer(Objects.requireNonNull(in, path).readAllBytes());
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
