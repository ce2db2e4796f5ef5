package io.loyalty.gateway.http;

import io.loyalty.gateway.store.StoreErrors;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP surface: every route of the gateway is listed in {@link #router}. */
public final class Api {
  /** Largest accepted request body; a 500-line receipt fits with room to spare. */
  public static final long MAX_BODY_BYTES = 256 * 1024;
  /** An offline batch: up to 1000 receipts. */
  public static final long MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;
  public static final String REQUEST_TIMER = "loyalty.http.requests";
  private static final Logger LOG = LoggerFactory.getLogger(Api.class);

  /** The handlers behind the routes, one object per capability. */
  public record Handlers(
      io.loyalty.gateway.admin.AdminRoutes admin,
      io.loyalty.gateway.member.MemberRoutes members,
      io.loyalty.gateway.purchase.Purchases purchases,
      io.loyalty.gateway.authorization.Authorizations authorizations,
      io.loyalty.gateway.refund.Refunds refunds,
      io.loyalty.gateway.batch.Batches batches) {
  }

  /** One business route: what the OpenAPI contract documents and the contract test compares. */
  public record Endpoint(HttpMethod method, String path, Function<RoutingContext, Future<Reply>> handler) {
  }

  /** Operational routes, outside /v1 and without problem+json handling. */
  public static final List<String> OPERATIONAL_PATHS = List.of("/health/live", "/health/ready", "/metrics", "/openapi.yaml");

  private final PrometheusMeterRegistry registry;

  private Api(PrometheusMeterRegistry registry) {
    this.registry = registry;
  }

  public static Router router(Vertx vertx, Handlers h, TillRateLimiter limiter, PrometheusMeterRegistry registry,
      HealthChecks readiness, Buffer openApiYaml) {
    Api api = new Api(registry);
    Router router = Router.router(vertx);
    // keep in step with OPERATIONAL_PATHS
    router.get("/health/live").handler(ctx -> ctx.json(new io.vertx.core.json.JsonObject().put("status", "UP")));
    router.get("/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape()));
    router.get("/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml")
        .end(openApiYaml));

    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES);
    BodyHandler batches = BodyHandler.create(false).setBodyLimit(MAX_BATCH_BODY_BYTES);
    // one handler in front of every API route (plain prefix routes: regex routes cost more than the rules do)
    router.route("/v1/*").handler(ctx -> {
      String path = ctx.request().path();
      if (!path.startsWith("/v1/admin/") && !limiter.admit(ctx)) {
        return; // refused before its body is read
      }
      if (refusedForm(ctx)) {
        return;
      }
      (path.equals("/v1/batches") ? batches : bodies).handle(ctx);
    });
    endpoints(h).forEach(endpoint -> api.route(router, endpoint));

    router.errorHandler(404, ctx -> Problems.send(ctx.response(), new ApiException(ErrorCode.NOT_FOUND, "No such path")));
    router.errorHandler(405, ctx -> Problems.send(ctx.response(),
        new ApiException(ErrorCode.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed here")));
    router.errorHandler(413, ctx -> Problems.send(ctx.response(), new ApiException(ErrorCode.PAYLOAD_TOO_LARGE,
        "Bodies are limited to " + MAX_BODY_BYTES + " bytes")));
    router.errorHandler(400, ctx -> Problems.send(ctx.response(),
        new ApiException(ErrorCode.MALFORMED_JSON, "The request could not be read")));
    router.errorHandler(500, ctx -> fail(ctx, ctx.failure()));
    return router;
  }

  /**
   * The API takes JSON only. Form and multipart bodies are refused before the body handler, which would otherwise
   * try to decode them (and fails on a GET).
   */
  private static boolean refusedForm(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("multipart/") || lower.startsWith("application/x-www-form-urlencoded")) {
      Problems.send(ctx.response(), new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "Send the body with 'Content-Type: application/json'"));
      return true;
    }
    return false;
  }

  /** Where each request goes (the busiest first: routes are tried in this order). */
  public static List<Endpoint> endpoints(Handlers h) {
    return List.of(
        new Endpoint(HttpMethod.POST, "/v1/purchases", h.purchases()::purchase),
        new Endpoint(HttpMethod.POST, "/v1/authorizations", h.purchases()::authorize),
        new Endpoint(HttpMethod.PUT, "/v1/admin/programs/:program_id", h.admin()::putProgram),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id", h.admin()::getProgram),
        new Endpoint(HttpMethod.POST, "/v1/admin/programs/:program_id/tills", h.admin()::issueTill),
        new Endpoint(HttpMethod.DELETE, "/v1/admin/programs/:program_id/tills/:store_id/:till_id",
            h.admin()::revokeTill),
        new Endpoint(HttpMethod.POST, "/v1/members", h.members()::enrol),
        new Endpoint(HttpMethod.GET, "/v1/members/lookup", h.members()::lookup),
        new Endpoint(HttpMethod.GET, "/v1/members/:member_id", h.members()::get),
        new Endpoint(HttpMethod.GET, "/v1/members/:member_id/ledger", h.members()::ledger),
        new Endpoint(HttpMethod.GET, "/v1/authorizations/:authorization_id", h.authorizations()::get),
        new Endpoint(HttpMethod.POST, "/v1/authorizations/:authorization_id/capture", h.authorizations()::capture),
        new Endpoint(HttpMethod.POST, "/v1/authorizations/:authorization_id/void",
            h.authorizations()::voidAuthorization),
        new Endpoint(HttpMethod.POST, "/v1/refunds", h.refunds()::refund),
        new Endpoint(HttpMethod.POST, "/v1/batches", h.batches()::batch));
  }

  private void route(Router router, Endpoint endpoint) {
    HttpMethod method = endpoint.method();
    String path = endpoint.path();
    // one timer per outcome, built on first use (building one per request costs more than the request's rules)
    Map<String, Timer> timers = new ConcurrentHashMap<>();
    router.route(method, path).handler(ctx -> {
      long started = System.nanoTime();
      ctx.response().endHandler(v -> {
        int status = ctx.response().getStatusCode();
        String code = ctx.get("problem.code", "none");
        timers.computeIfAbsent(status + " " + code, outcome -> Timer.builder(REQUEST_TIMER)
            .description("HTTP requests by route and outcome")
            .tag("method", method.name())
            .tag("route", path)
            .tag("status", Integer.toString(status))
            .tag("code", code)
            .register(registry)).record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
      });
      Future<Reply> reply;
      try {
        reply = endpoint.handler().apply(ctx);
      } catch (RuntimeException e) {
        reply = Future.failedFuture(e);
      }
      reply.onComplete(done -> {
        if (done.succeeded()) {
          send(ctx.response(), done.result());
        } else {
          fail(ctx, done.cause());
        }
      });
    });
  }

  private static void send(HttpServerResponse response, Reply reply) {
    if (response.ended()) {
      return;
    }
    response.setStatusCode(reply.status()).putHeader("content-type", "application/json");
    if (reply.replayed()) {
      response.putHeader("idempotent-replayed", "true");
    }
    response.end(reply.bytes());
  }

  private static void fail(RoutingContext ctx, Throwable failure) {
    ApiException problem = failure == null ? null : StoreErrors.asUnavailable(failure);
    if (problem == null) {
      LOG.error("unexpected failure on {} {}", ctx.request().method(), ctx.request().path(), failure);
      problem = new ApiException(ErrorCode.INTERNAL_ERROR, "Internal error; it has been logged");
    }
    ctx.put("problem.code", problem.code().code());
    Problems.send(ctx.response(), problem);
  }
}
