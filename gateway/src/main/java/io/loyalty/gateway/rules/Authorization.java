package io.loyalty.gateway.rules;

import java.util.List;
import java.util.UUID;

/**
 * An authorisation in the member's hot copy: open (points held from lots until captured, voided or expired), or
 * closed recently (kept without its lines and hold so retries and races get its state without PostgreSQL).
 *
 * @param store the till's store ("" for an authorisation made before stores were kept)
 * @param captured what the capture settled; null unless captured
 */
public record Authorization(UUID id, UUID till, String store, String receipt, long occurredAt, long totalMinor,
    long eligibleMinor, List<SkuLine> lines, long heldPoints, List<Taken> holdLots, long expectedAccrualPoints,
    long expiresAt, Status status, long closedAt, Captured captured) {

  public enum Status {
    AUTHORIZED, CAPTURED, VOIDED, EXPIRED;

    private final String wire = name().toLowerCase(java.util.Locale.ROOT);

    public String wire() {
      return wire;
    }
  }

  public record Captured(long totalMinor, long redeemedPoints, long savedMinor, long accruedPoints) {
  }

  public boolean open() {
    return status == Status.AUTHORIZED;
  }

  Authorization closed(Status to, long at, Captured result) {
    return new Authorization(id, till, store, receipt, occurredAt, totalMinor, eligibleMinor, List.of(), 0, List.of(),
        expectedAccrualPoints, expiresAt, to, at, result);
  }
}
