package io.loyalty.benchmarks;

import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.store.Redis;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;
import java.util.UUID;

/**
 * The floor of the gateway's design on this machine, for {@code load-tests/run-comparison.sh}: what any gateway
 * built on the same parts (Vert.x HTTP, Lettuce, a Redis that fsyncs every write) must spend per purchase before it
 * decides anything. Each request's body is read and stored in Redis under its idempotency key with one SET (the
 * gateway's commit is one script that also checks the key and appends the write-behind event), then a fixed answer,
 * written by the gateway's own answer writer, is sent. No rules, no state, no write-behind, no PostgreSQL: so its
 * CPU per request is a lower bound on the gateway's, and its rate an upper bound, measured on the same box in the
 * same run. Environment: GATEWAY_PORT (18089), REDIS_URL (redis://127.0.0.1:6379), GATEWAY_EVENT_LOOPS (cores).
 */
public final class Floor {
  /** A purchase's answer, written by the gateway's own writer (a member with a tier to reach, as in the benchmark). */
  private static final Buffer ANSWER = io.loyalty.gateway.http.Answers.json(new Answer.Purchase(UUID.randomUUID(),
      UUID.randomUUID(), 1_234, false, 0, 123_456, 123_456, 0, new Answer.Balance(123_456, 0, 0), 12_345_678,
      new Answer.Tier("base", "silver", 7_654_322), false, 0));

  private Floor() {
  }

  public static void main(String[] args) {
    int port = Integer.parseInt(System.getenv().getOrDefault("GATEWAY_PORT", "18089"));
    int loops = Integer.parseInt(System.getenv().getOrDefault("GATEWAY_EVENT_LOOPS",
        String.valueOf(Runtime.getRuntime().availableProcessors())));
    Vertx vertx = Vertx.builder()
        .with(new VertxOptions().setEventLoopPoolSize(loops).setPreferNativeTransport(true)).build();
    Redis redis = Redis.connect(vertx, System.getenv().getOrDefault("REDIS_URL", "redis://127.0.0.1:6379"), false,
        Duration.ofSeconds(5));
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1").setTcpNoDelay(true))
            .requestHandler(request -> request.body()
                .compose(body -> redis.call(c -> c.set("floor:" + request.getHeader("idempotency-key"),
                    body.getBytes())))
                .onComplete(stored -> request.response().setStatusCode(stored.succeeded() ? 201 : 503)
                    .putHeader("content-type", "application/json").end(ANSWER)))
            .listen();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().join();
    System.out.println("floor listening on " + port);
  }
}
