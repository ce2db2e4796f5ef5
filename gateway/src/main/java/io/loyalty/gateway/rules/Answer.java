package io.loyalty.gateway.rules;

import java.util.UUID;

/** What a command answers, stored under its idempotency key so a retry gets the same answer. */
public sealed interface Answer {
  /** The member's balance after the change. */
  record Balance(long available, long pending, long held) {
  }

  /** The member's tier after the change; names null when there is none. */
  record Tier(String name, String next, long spendToNextMinor) {
  }

  /** A purchase, or the capture of an authorisation; {@code revivedPoints} came back by second life. */
  record Purchase(UUID transactionId, UUID memberId, long accruedPoints, boolean accruedPending, long redeemedPoints,
      long totalMinor, long amountDueMinor, long savedMinor, Balance balance, long lifetimeSpendMinor, Tier tier,
      boolean capture, long revivedPoints) implements Answer {
  }

  record Authorized(UUID authorizationId, UUID memberId, long heldPoints, long expectedAccrualPoints, long expiresAt,
      Balance balance) implements Answer {
  }

  record Voided(UUID authorizationId, UUID memberId, long releasedPoints, Balance balance) implements Answer {
  }

  record Refunded(UUID refundId, UUID transactionId, long reversedPoints, long restoredPoints, long shortfallPoints,
      long refundedMinor, Balance balance) implements Answer {
  }
}
