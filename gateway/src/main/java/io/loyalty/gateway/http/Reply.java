package io.loyalty.gateway.http;

import io.vertx.core.json.JsonObject;

/** A successful answer: status, JSON body, and whether it is a stored answer replayed for a retried key. */
public record Reply(int status, JsonObject body, boolean replayed) {
  public Reply(int status, JsonObject body) {
    this(status, body, false);
  }
}
