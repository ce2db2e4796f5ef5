package io.loyalty.gateway.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;

/**
 * A successful answer: status, body (a JSON tree, or bytes already encoded: JSON by a streaming writer, or CSV),
 * whether it is a stored answer replayed for a retried key, and its content type.
 */
public record Reply(int status, JsonObject body, Buffer encoded, boolean replayed, String contentType) {
  public static final String JSON = "application/json";

  public Reply(int status, JsonObject body) {
    this(status, body, null, false, JSON);
  }

  public Reply(int status, JsonObject body, boolean replayed) {
    this(status, body, null, replayed, JSON);
  }

  public static Reply encoded(int status, Buffer json, boolean replayed) {
    return new Reply(status, null, json, replayed, JSON);
  }

  /** A CSV document (RFC 4180, a header row first). */
  public static Reply csv(String csv) {
    return new Reply(200, null, Buffer.buffer(csv), false, "text/csv; charset=utf-8");
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
