package io.loyalty.gateway.rules;

import java.util.List;
import java.util.UUID;

/**
 * A member's hot state: balances, lots, authorisations and the member seq, which every change moves by one per
 * ledger entry. Immutable; {@link Rules} makes the next one.
 *
 * <p>Invariants (checked by {@link #check}): available + debt = the remaining points of available lots; pending =
 * those of pending lots; held = the points held by open authorisations; debt is never negative and only stands
 * behind a negative balance.
 *
 * @param pendingLots by activation time, then id
 * @param availableLots by expiry (never last), then id: the order points are taken in
 * @param authorizations open ones, and those closed within {@link Rules#CLOSED_KEPT_MILLIS}
 * @param expired what expired within the program's second-life window and was not revived yet (each lot's expired
 *     points and expiry time), oldest first; empty when the program gives no second life
 * @param visits the periods it made receipts in that a receipt may still be dated in (see {@link Visit})
 */
public record MemberState(UUID id, String programId, long seq, long available, long pending, long held, long debt,
    long spendMinor, List<Lot> pendingLots, List<Lot> availableLots, List<Authorization> authorizations,
    Profile profile, List<Lot> expired, List<Visit> visits) {

  /** A member nothing has happened to yet. */
  public static MemberState enrolled(UUID id, String programId, Profile profile) {
    return new MemberState(id, programId, 0, 0, 0, 0, 0, 0, List.of(), List.of(), List.of(), profile, List.of(),
        List.of());
  }

  public Authorization authorization(UUID authorizationId) {
    for (Authorization a : authorizations) {
      if (a.id().equals(authorizationId)) {
        return a;
      }
    }
    return null;
  }

  /** The earliest time an open authorisation expires, or {@link Lot#NEVER}. */
  public long nextHoldExpiry() {
    long next = Lot.NEVER;
    for (Authorization a : authorizations) {
      if (a.open()) {
        next = Math.min(next, a.expiresAt());
      }
    }
    return next;
  }

  /** The lot that expires next (never-expiring lots do not count), or null. */
  public Lot nextExpiring() {
    return availableLots.isEmpty() || availableLots.get(0).expireAt() == Lot.NEVER ? null : availableLots.get(0);
  }

  /** The earliest time time alone changes the member (a pending lot activates, an available lot expires), or null. */
  public Long dueAt() {
    long due = Math.min(pendingLots.isEmpty() ? Lot.NEVER : pendingLots.get(0).activateAt(),
        availableLots.isEmpty() ? Lot.NEVER : availableLots.get(0).expireAt());
    return due == Lot.NEVER ? null : due;
  }

  /** Throws {@link IllegalStateException} when an invariant does not hold. */
  public MemberState check() {
    long availableSum = 0;
    for (Lot lot : availableLots) {
      if (lot.remaining() <= 0 || lot.remaining() > lot.points()) {
        fail("available lot " + lot);
      }
      availableSum += lot.remaining();
    }
    long pendingSum = 0;
    for (Lot lot : pendingLots) {
      if (lot.remaining() <= 0 || lot.remaining() > lot.points()) {
        fail("pending lot " + lot);
      }
      pendingSum += lot.remaining();
    }
    long heldSum = 0;
    for (Authorization a : authorizations) {
      heldSum += a.open() ? a.heldPoints() : 0;
    }
    if (debt < 0 || debt > 0 && available >= 0) {
      fail("debt " + debt + " behind available " + available);
    }
    if (available + debt != availableSum || pending != pendingSum || held != heldSum) {
      fail("available " + available + " + debt " + debt + ", pending " + pending + ", held " + held
          + " against lots " + availableSum + " and " + pendingSum + ", holds " + heldSum);
    }
    for (Lot lot : expired) {
      if (lot.remaining() <= 0) {
        fail("expired record " + lot);
      }
    }
    for (Visit v : visits) {
      if (v.receipts() < 1 || v.receipts() > 2 || (v.period() == 's') == v.store().isEmpty()) {
        fail("visit " + v);
      }
    }
    if (spendMinor < 0 || seq < 0) {
      fail("spend " + spendMinor + ", seq " + seq);
    }
    return this;
  }

  private void fail(String what) {
    throw new IllegalStateException("member " + id + " at seq " + seq + ": " + what);
  }
}
