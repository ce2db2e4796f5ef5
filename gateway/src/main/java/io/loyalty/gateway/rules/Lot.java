package io.loyalty.gateway.rules;

/**
 * Points granted together: pending until {@code activateAt}, then available until {@code expireAt}. Accruals whose
 * activation and expiry fall on the same UTC days share one lot (see {@link Rules}).
 *
 * @param id the member seq of the entry that created it, so lots order by age
 * @param expireAt epoch ms, or {@link #NEVER}
 */
public record Lot(long id, long points, long remaining, long activateAt, long expireAt) {
  public static final long NEVER = Long.MAX_VALUE;

  /**
   * The lot holding {@code value} points; its size grows to hold them if it must. Points given back can exceed the
   * size a lot came back with: a refund recreates a lot as big as it was when a redemption took from it, before
   * later accruals joined it, and a void then returns a hold taken from the bigger lot.
   */
  Lot withRemaining(long value) {
    return new Lot(id, Math.max(points, value), value, activateAt, expireAt);
  }
}
