package io.loyalty.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A successful answer: status, JSON body (as a tree, or already encoded by a streaming writer), and whether it is
 * a stored answer replayed for a retried key.
 */
public record Reply(int status, JsonObject body, Buffer encoded, boolean replayed) {
  public Reply(int status, JsonObject body) {
    this(status, body, null, false);
  }

  public Reply(int status, JsonObject body, boolean replayed) {
    this(status, body, null, replayed);
  }

  public static Reply encoded(int status, Buffer json, boolean replayed) {
    return new Reply(status, null, json, replayed);
  }

  /** The body as sent. */
  public Buffer bytes() {
    return encoded != null ? encoded : body.toBuffer();
  }

  /** The body as a tree (a batch embeds its items' answers). */
  public JsonObject json() {
    return body != null ? body : new JsonObject(encoded);
  }
}
