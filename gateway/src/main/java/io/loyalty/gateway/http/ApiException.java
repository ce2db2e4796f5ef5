package io.loyalty.gateway.http;

import io.vertx.core.json.JsonObject;

/** A failure a client caused (or may retry); rendered as problem+json and never logged as an error. */
public final class ApiException extends RuntimeException {
  private final ErrorCode code;
  private final JsonObject extensions;

  public ApiException(ErrorCode code, String detail) {
    this(code, detail, new JsonObject());
  }

  public ApiException(ErrorCode code, String detail, JsonObject extensions) {
    super(detail, null, false, false);
    this.code = code;
    this.extensions = extensions;
  }

  public ErrorCode code() {
    return code;
  }

  /** Extra problem members, e.g. {@code max_redeemable_points} or the list of invalid fields. */
  public JsonObject extensions() {
    return extensions;
  }
}
