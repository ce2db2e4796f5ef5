package io.loyalty.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

/** Writes RFC 9457 problem documents. */
public final class Problems {
  public static final String CONTENT_TYPE = "application/problem+json";
  public static final String TYPE_PREFIX = "https://loyalty-gateway.dev/problems/";
  /** Seconds a client should wait before retrying a 503. */
  public static final String RETRY_AFTER_SECONDS = "1";

  private Problems() {
  }

  public static JsonObject body(ApiException e) {
    ErrorCode code = e.code();
    JsonObject body = new JsonObject()
        .put("type", TYPE_PREFIX + code.code())
        .put("title", code.title())
        .put("status", code.status())
        .put("code", code.code());
    if (e.getMessage() != null) {
      body.put("detail", e.getMessage());
    }
    return body.mergeIn(e.extensions());
  }

  /** Answers with the problem, and leaves its code where the request meter finds it. */
  public static Future<Void> send(RoutingContext ctx, ApiException e) {
    ctx.put(RequestMeter.PROBLEM_CODE, e.code().code());
    return send(ctx.response(), e);
  }

  static Future<Void> send(HttpServerResponse response, ApiException e) {
    if (response.ended() || response.headWritten()) {
      return Future.succeededFuture();
    }
    response.setStatusCode(e.code().status()).putHeader("content-type", CONTENT_TYPE);
    if (e.code().status() == 503 || e.code().status() == 429) {
      response.putHeader("retry-after", RETRY_AFTER_SECONDS);
    }
    return response.end(body(e).toBuffer());
  }
}
