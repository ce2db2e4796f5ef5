package io.loyalty.gateway.rules;

/**
 * Points taken from one lot (redeemed or held), remembered so they can go back to it: to the lot itself while it
 * exists, else to a lot recreated with its original times.
 */
public record Taken(long lotId, long points, long expireAt, long lotPoints, long activateAt) {
  Taken withPoints(long value) {
    return new Taken(lotId, value, expireAt, lotPoints, activateAt);
  }
}
