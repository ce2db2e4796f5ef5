package io.loyalty.gateway.rules;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * A purchase or authorisation as PostgreSQL keeps it (written behind with every change to it): what the API
 * shows of it, and what a later refund needs.
 *
 * @param authorizedTotalMinor the total authorised, for an authorisation (else the total)
 * @param accrualLot the lot its accrual went into, or -1
 * @param redeemedLots where its redeemed points came from (and how many of them a refund may still restore)
 */
public record Transaction(UUID id, Kind kind, String status, String programId, UUID till, String receipt,
    long occurredAt, long totalMinor, long eligibleMinor, long authorizedTotalMinor, List<SkuLine> lines,
    long redeemedPoints, long savedMinor, long accruedPoints, long accrualLot, List<Taken> redeemedLots,
    long heldPoints, long expectedAccrualPoints, long expiresAt, Refunded refunded) {

  public enum Kind {
    PURCHASE, AUTHORIZATION;

    private final String wire = name().toLowerCase(java.util.Locale.ROOT);

    public String wire() {
      return wire;
    }
  }

  public static final String CAPTURED = "captured";

  /** What has been refunded so far: refunds are cumulative, so parts add up to exactly the whole. */
  public record Refunded(int count, long totalMinor, long eligibleMinor, long reversedPoints, long restoredPoints,
      Map<String, Long> bySku) {
    public static final Refunded NONE = new Refunded(0, 0, 0, 0, 0, Map.of());
  }

  /** The authorisation as its last change left it. */
  public static Transaction of(String programId, Authorization a, List<Taken> redeemedLots, long accrualLot) {
    Authorization.Captured c = a.captured();
    return new Transaction(a.id(), Kind.AUTHORIZATION, a.status().wire(), programId, a.till(), a.receipt(),
        a.occurredAt(), c == null ? a.totalMinor() : c.totalMinor(), a.eligibleMinor(), a.totalMinor(), a.lines(),
        c == null ? 0 : c.redeemedPoints(), c == null ? 0 : c.savedMinor(), c == null ? 0 : c.accruedPoints(),
        accrualLot, redeemedLots, a.heldPoints(), a.expectedAccrualPoints(), a.expiresAt(), Refunded.NONE);
  }

  Transaction refunded(Refunded value, List<Taken> lotsLeft) {
    return new Transaction(id, kind, status, programId, till, receipt, occurredAt, totalMinor, eligibleMinor,
        authorizedTotalMinor, lines, redeemedPoints, savedMinor, accruedPoints, accrualLot, lotsLeft, heldPoints,
        expectedAccrualPoints, expiresAt, value);
  }
}
