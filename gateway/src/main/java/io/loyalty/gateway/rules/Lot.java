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

  Lot withRemaining(long value) {
    return new Lot(id, points, value, activateAt, expireAt);
  }
}
