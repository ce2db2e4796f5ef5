package io.loyalty.gateway.http;

/** Every error a client can see: its stable machine-readable code, HTTP status and title (RFC 9457). */
public enum ErrorCode {
  MALFORMED_JSON(400, "The body is not a JSON object"),
  MALFORMED_URI(400, "The path or query string is not validly percent-encoded UTF-8"),
  BAD_REQUEST(400, "The request could not be read as HTTP"),
  INVALID_FIELD(422, "One or more fields are invalid"),
  INVALID_RANGE(422, "The date range is empty or too long"),
  IDEMPOTENCY_KEY_MISSING(400, "An Idempotency-Key header is required"),
  IDEMPOTENCY_KEY_REUSE(422, "This Idempotency-Key was used with a different request"),
  IDEMPOTENCY_KEY_IN_USE(409, "A request with this Idempotency-Key is still being processed"),
  UNAUTHORIZED(401, "Missing or invalid credentials"),
  NOT_FOUND(404, "No such resource"),
  METHOD_NOT_ALLOWED(405, "Method not allowed"),
  PAYLOAD_TOO_LARGE(413, "The body is too large"),
  URI_TOO_LONG(414, "The request line is too long"),
  HEADERS_TOO_LARGE(431, "The request headers are too large"),
  UNSUPPORTED_MEDIA_TYPE(415, "The body must be application/json"),
  PROGRAM_NOT_FOUND(404, "No such program"),
  MEMBER_NOT_FOUND(404, "No such member in this program"),
  MEMBER_EXISTS(409, "A member with this phone, card or external id is already enrolled"),
  TRANSACTION_NOT_FOUND(404, "No such transaction in this program"),
  WEBHOOK_NOT_FOUND(404, "No such webhook in this program"),
  EVENT_NOT_FOUND(404, "No delivery of such an event in this program"),
  LINES_TOTAL_MISMATCH(422, "Receipt lines do not add up to total_minor"),
  CAPTURE_EXCEEDS_AUTHORIZATION(422, "A capture may be lower than the authorisation, never higher"),
  AUTHORIZATION_EXPIRED(409, "The authorisation expired uncaptured and its hold was released"),
  INVALID_STATE(409, "The transaction is not in a state that allows this"),
  REFUND_EXCEEDS_PURCHASE(422, "More is refunded than is left to refund"),
  REDEEM_CAP_EXCEEDED(422, "More points requested than the program allows on this receipt"),
  INSUFFICIENT_POINTS(422, "The member does not have enough available points"),
  RATE_LIMITED(429, "This till is sending too many requests"),
  STORE_UNAVAILABLE(503, "A data store is unavailable; retry with the same Idempotency-Key"),
  BACKLOG_FULL(503, "The write-behind backlog is full; retry with the same Idempotency-Key"),
  INTERNAL_ERROR(500, "Internal error");

  private final int status;
  private final String title;

  ErrorCode(int status, String title) {
    this.status = status;
    this.title = title;
  }

  public int status() {
    return status;
  }

  public String title() {
    return title;
  }

  /** The value of the problem's {@code code} member and the last segment of its {@code type}. */
  public String code() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
