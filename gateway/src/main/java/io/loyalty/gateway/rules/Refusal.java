package io.loyalty.gateway.rules;

/**
 * Why the rules refused a command. {@code amount} and {@code text} carry what the client needs to act on it
 * (points that may be redeemed, the authorised total, the current status, the SKU not on the receipt).
 */
public record Refusal(Reason reason, long amount, String text) {
  public enum Reason {
    REDEEM_CAP_EXCEEDED, INSUFFICIENT_POINTS, CAPTURE_EXCEEDS_AUTHORIZATION, AUTHORIZATION_EXPIRED, INVALID_STATE,
    TRANSACTION_NOT_FOUND, REFUND_EXCEEDS_PURCHASE, SKU_NOT_ON_RECEIPT
  }

  static Refusal of(Reason reason, long amount) {
    return new Refusal(reason, amount, null);
  }

  static Refusal of(Reason reason, String text) {
    return new Refusal(reason, 0, text);
  }
}
