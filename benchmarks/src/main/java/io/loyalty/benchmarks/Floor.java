package io.loyalty.benchmarks;

import io.loyalty.gateway.store.Redis;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.VerticleBase;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerOptions;
import java.time.Duration;

/**
 * The floor of the gateway's design on this machine, for {@code load-tests/run-comparison.sh}: what any gateway
 * built on the same parts (Vert.x HTTP, Lettuce, a Redis that fsyncs every write) must spend per purchase before it
 * decides anything. Each request's body is read and stored in Redis under its idempotency key with one SET (the
 * gateway's commit is one script that also checks the key and appends the write-behind event), then a fixed answer
 * of the gateway's size is sent. No rules, no state, no write-behind, no PostgreSQL: so its CPU per request is a
 * lower bound on the gateway's, and its rate an upper bound, measured on the same box in the same run.
 * Environment: GATEWAY_PORT (18089), REDIS_URL (redis://127.0.0.1:6379), GATEWAY_EVENT_LOOPS (cores).
 */
public final class Floor {
  /** A purchase's answer as the gateway sends it (the same fields, the same length within a few bytes). */
  private static final String ANSWER = """
      {"transaction_id":"0f3c2f9e-7a0b-4c55-9d8e-1b2a3c4d5e6f","member_id":"6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",\
      "accrued_points":1234,"accrued_status":"available","redeemed_points":0,"revived_points":0,\
      "total_minor":123456,"amount_due_minor":123456,"saved_minor":0,\
      "balance":{"available":123456,"pending":0,"held":0},"lifetime_spend_minor":12345678,\
      "tier":{"name":"base","next":null,"spend_to_next_minor":null}}""";

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
    Buffer answer = Buffer.buffer(ANSWER);
    vertx.deployVerticle(() -> new VerticleBase() {
      @Override
      public Future<?> start() {
        return vertx.createHttpServer(new HttpServerOptions().setPort(port).setHost("127.0.0.1").setTcpNoDelay(true))
            .requestHandler(request -> request.body()
                .compose(body -> redis.call(c -> c.set("floor:" + request.getHeader("idempotency-key"),
                    body.getBytes())))
                .onComplete(stored -> request.response().setStatusCode(stored.succeeded() ? 201 : 503)
                    .putHeader("content-type", "application/json").end(answer)))
            .listen();
      }
    }, new DeploymentOptions().setInstances(loops)).toCompletionStage().toCompletableFuture().join();
    System.out.println("floor listening on " + port);
  }
}
