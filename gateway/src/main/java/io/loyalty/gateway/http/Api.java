package io.loyalty.gateway.http;

import io.loyalty.gateway.store.StoreErrors;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.healthchecks.HealthChecks;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import io.vertx.ext.web.healthchecks.HealthCheckHandler;
import java.util.List;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The HTTP surface: every route of the gateway is listed in {@link #router}. */
public final class Api {
  /** Largest accepted request body; a 500-line receipt fits with room to spare. */
  public static final long MAX_BODY_BYTES = 256 * 1024;
  /** An offline batch: up to 1000 receipts. */
  public static final long MAX_BATCH_BODY_BYTES = 4 * 1024 * 1024;
  /** How long a refused body may still be sent (and thrown away) before its connection is closed. */
  static final long LINGER_MILLIS = 5_000;
  private static final Logger LOG = LoggerFactory.getLogger(Api.class);

  /** The handlers behind the routes, one object per capability. */
  public record Handlers(
      io.loyalty.gateway.admin.AdminRoutes admin,
      io.loyalty.gateway.report.ReportRoutes reports,
      io.loyalty.gateway.member.MemberRoutes members,
      io.loyalty.gateway.purchase.Purchases purchases,
      io.loyalty.gateway.authorization.Authorizations authorizations,
      io.loyalty.gateway.refund.Refunds refunds,
      io.loyalty.gateway.batch.Batches batches,
      io.loyalty.gateway.webhook.WebhookRoutes webhooks) {
  }

  /** One business route: what the OpenAPI contract documents and the contract test compares. */
  public record Endpoint(HttpMethod method, String path, Function<RoutingContext, Future<Reply>> handler) {
  }

  /** Operational routes, outside /v1 and without problem+json handling. */
  public static final List<String> OPERATIONAL_PATHS = List.of("/health/live", "/health/ready", "/metrics", "/openapi.yaml");

  private Api() {
  }

  /** The meter every answer is counted by; the HTTP server's invalid-request handler uses it too. */
  public static RequestMeter meter(Handlers h, PrometheusMeterRegistry registry) {
    List<String> templates = new java.util.ArrayList<>(OPERATIONAL_PATHS);
    templates.add(io.loyalty.gateway.admin.AdminPage.PATH);
    endpoints(h).forEach(e -> templates.add(e.path()));
    return new RequestMeter(registry, templates);
  }

  /** Longest a scrape waits for gauges read from PostgreSQL before it answers with their previous values. */
  static final long SCRAPE_REFRESH_MILLIS = 1_000;

  /** {@code refreshGauges} brings gauges sampled from a store up to date before each scrape. */
  public static Router router(Vertx vertx, Handlers h, RequestMeter meter, TillRateLimiter limiter,
      PrometheusMeterRegistry registry, java.util.function.Supplier<Future<Void>> refreshGauges,
      HealthChecks readiness, Buffer openApiYaml) {
    Router router = Router.router(vertx);
    router.route().handler(meter::begin); // first: every answer is counted, whoever gives it
    router.route().handler(ctx -> {
      if (!wellEncoded(ctx.request().uri())) {
        Problems.send(ctx, malformedUri());
      } else {
        ctx.next();
      }
    });
    // keep in step with OPERATIONAL_PATHS; HEAD answers like GET (without the body)
    operational(router, "/health/live").handler(ctx -> ctx.json(new io.vertx.core.json.JsonObject().put("status", "UP")));
    operational(router, "/health/ready").handler(HealthCheckHandler.createWithHealthChecks(readiness));
    operational(router, "/metrics").handler(ctx -> refreshGauges.get()
        .timeout(SCRAPE_REFRESH_MILLIS, java.util.concurrent.TimeUnit.MILLISECONDS)
        .onComplete(refreshed -> ctx.response()
            .putHeader("content-type", "text/plain; version=0.0.4; charset=utf-8").end(registry.scrape())));
    operational(router, "/openapi.yaml").handler(ctx -> ctx.response().putHeader("content-type", "application/yaml")
        .end(openApiYaml));

    io.loyalty.gateway.admin.AdminPage.mount(router);

    BodyHandler bodies = BodyHandler.create(false).setBodyLimit(MAX_BODY_BYTES).setPreallocateBodyBuffer(true);
    BodyHandler batches = BodyHandler.create(false).setBodyLimit(MAX_BATCH_BODY_BYTES).setPreallocateBodyBuffer(true);
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
    endpoints(h).forEach(endpoint -> route(router, endpoint));

    router.errorHandler(404, ctx -> Problems.send(ctx, new ApiException(ErrorCode.NOT_FOUND, "No such path")));
    router.errorHandler(405, ctx -> Problems.send(ctx,
        new ApiException(ErrorCode.METHOD_NOT_ALLOWED, ctx.request().method() + " is not allowed here")));
    router.errorHandler(413, ctx -> {
      ctx.response().putHeader("connection", "close");
      Problems.send(ctx, new ApiException(ErrorCode.PAYLOAD_TOO_LARGE, "Bodies are limited to "
          + (ctx.request().path().equals("/v1/batches") ? MAX_BATCH_BODY_BYTES : MAX_BODY_BYTES) + " bytes"))
          .onComplete(done -> lingerThenClose(vertx, ctx.request()));
    });
    router.errorHandler(400, ctx -> Problems.send(ctx, !wellEncoded(ctx.request().uri()) ? malformedUri()
        : new ApiException(ErrorCode.MALFORMED_JSON, "The request body could not be read")));
    router.errorHandler(500, ctx -> fail(ctx, ctx.failure()));
    return router;
  }

  /**
   * Closes the connection of a request whose body was refused, but only once the client has finished sending it
   * (or after {@link #LINGER_MILLIS}): closing a socket with unread bytes makes the kernel reset it, and a client
   * still writing its body then loses the answer it was sent.
   */
  private static void lingerThenClose(Vertx vertx, HttpServerRequest request) {
    if (request.isEnded()) {
      request.connection().close();
      return;
    }
    long timer = vertx.setTimer(LINGER_MILLIS, id -> request.connection().close());
    request.handler(ignored -> { }).endHandler(ended -> {
      vertx.cancelTimer(timer);
      request.connection().close();
    });
    request.resume();
  }

  private static io.vertx.ext.web.Route operational(Router router, String path) {
    return router.route(path).method(HttpMethod.GET).method(HttpMethod.HEAD);
  }

  private static ApiException malformedUri() {
    return new ApiException(ErrorCode.MALFORMED_URI,
        "Percent-encode the path and query string as UTF-8: '%' must be followed by two hex digits");
  }

  /** Every '%' starts two hex digits, and what they spell, with the plain characters, is valid UTF-8. */
  static boolean wellEncoded(String uri) {
    if (uri == null || uri.indexOf('%') < 0) {
      return true;
    }
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(uri.length());
    for (int i = 0; i < uri.length(); i++) {
      char c = uri.charAt(i);
      if (c != '%') {
        bytes.writeBytes(String.valueOf(c).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        continue;
      }
      if (i + 2 >= uri.length() || Character.digit(uri.charAt(i + 1), 16) < 0
          || Character.digit(uri.charAt(i + 2), 16) < 0) {
        return false;
      }
      bytes.write(Character.digit(uri.charAt(i + 1), 16) * 16 + Character.digit(uri.charAt(i + 2), 16));
      i += 2;
    }
    try {
      java.nio.charset.StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(bytes.toByteArray()));
      return true;
    } catch (java.nio.charset.CharacterCodingException e) {
      return false;
    }
  }

  /**
   * What the HTTP decoder could not read (no router runs): 414 for a request line over the limit, 431 for headers
   * over it, 400 otherwise; problem+json like every other answer, counted, and the connection closed (the decoder
   * cannot go on reading it).
   */
  public static void invalidRequest(HttpServerRequest request, RequestMeter meter) {
    long started = System.nanoTime();
    Throwable cause = request.decoderResult().cause();
    ApiException problem = cause instanceof io.netty.handler.codec.http.TooLongHttpLineException
        ? new ApiException(ErrorCode.URI_TOO_LONG, "Keep the request line under 4096 bytes")
        : cause instanceof io.netty.handler.codec.http.TooLongHttpHeaderException
            ? new ApiException(ErrorCode.HEADERS_TOO_LARGE, "Keep the headers under 8192 bytes")
            : new ApiException(ErrorCode.BAD_REQUEST, "The request is not valid HTTP/1.1");
    HttpServerResponse response = request.response().putHeader("connection", "close");
    response.endHandler(v -> meter.recordInvalid(request, problem.code().status(), problem.code().code(), started));
    Problems.send(response, problem).onComplete(done -> request.connection().close());
  }

  /**
   * The API takes JSON only. Form and multipart bodies are refused before the body handler, which would otherwise
   * try to decode them (and fails on a GET).
   */
  private static boolean refusedForm(RoutingContext ctx) {
    String type = ctx.request().getHeader("content-type");
    String lower = type == null ? "" : type.toLowerCase(java.util.Locale.ROOT);
    if (lower.startsWith("multipart/") || lower.startsWith("application/x-www-form-urlencoded")) {
      Problems.send(ctx, new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
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
        new Endpoint(HttpMethod.POST, "/v1/members", h.members()::enrol),
        new Endpoint(HttpMethod.GET, "/v1/members/lookup", h.members()::lookup),
        new Endpoint(HttpMethod.GET, "/v1/members/:member_id", h.members()::get),
        new Endpoint(HttpMethod.GET, "/v1/members/:member_id/ledger", h.members()::ledger),
        new Endpoint(HttpMethod.PATCH, "/v1/members/:member_id/consents", h.members()::consents),
        new Endpoint(HttpMethod.GET, "/v1/authorizations/:authorization_id", h.authorizations()::get),
        new Endpoint(HttpMethod.POST, "/v1/authorizations/:authorization_id/capture", h.authorizations()::capture),
        new Endpoint(HttpMethod.POST, "/v1/authorizations/:authorization_id/void",
            h.authorizations()::voidAuthorization),
        new Endpoint(HttpMethod.POST, "/v1/refunds", h.refunds()::refund),
        new Endpoint(HttpMethod.POST, "/v1/batches", h.batches()::batch),
        // the managers' calls last: a till's request never tries them
        new Endpoint(HttpMethod.PUT, "/v1/admin/programs/:program_id", h.admin()::putProgram),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id", h.admin()::getProgram),
        new Endpoint(HttpMethod.POST, "/v1/admin/programs/:program_id/tills", h.admin()::issueTill),
        new Endpoint(HttpMethod.DELETE, "/v1/admin/programs/:program_id/tills/:store_id/:till_id",
            h.admin()::revokeTill),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs", h.admin()::listPrograms),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/tills", h.admin()::listTills),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/members", h.admin()::findMember),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/members/:member_id/ledger",
            h.admin()::memberLedger),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/liability", h.reports()::liability),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/liability.csv", h.reports()::liabilityCsv),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/analytics", h.reports()::analytics),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/analytics.csv", h.reports()::analyticsCsv),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/usage", h.reports()::usage),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/webhooks", h.webhooks()::list),
        new Endpoint(HttpMethod.PUT, "/v1/admin/programs/:program_id/webhooks/:name", h.webhooks()::put),
        new Endpoint(HttpMethod.DELETE, "/v1/admin/programs/:program_id/webhooks/:name", h.webhooks()::delete),
        new Endpoint(HttpMethod.GET, "/v1/admin/programs/:program_id/webhook-deliveries", h.webhooks()::deliveries),
        new Endpoint(HttpMethod.POST, "/v1/admin/programs/:program_id/webhook-deliveries/:event_id/retry",
            h.webhooks()::retry));
  }

  private static void route(Router router, Endpoint endpoint) {
    router.route(endpoint.method(), endpoint.path()).handler(ctx -> {
      RequestMeter.routed(ctx, endpoint.path());
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
    response.setStatusCode(reply.status()).putHeader("content-type", reply.contentType());
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
    Problems.send(ctx, problem);
  }
}
