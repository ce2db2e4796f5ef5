package io.loyalty.gateway.http;

import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.JsonObject;

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

  public static void send(HttpServerResponse response, ApiException e) {
    if (response.ended() || response.headWritten()) {
      return;
    }
    response.setStatusCode(e.code().status()).putHeader("content-type", CONTENT_TYPE);
    if (e.code().status() == 503 || e.code().status() == 429) {
      response.putHeader("retry-after", RETRY_AFTER_SECONDS);
    }
    response.end(body(e).toBuffer());
  }
}
