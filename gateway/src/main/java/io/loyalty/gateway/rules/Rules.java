package io.loyalty.gateway.rules;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Authorization.Status;
import io.loyalty.gateway.rules.Refusal.Reason;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Every rule of a loyalty program, once: {@link #decide} turns a member's state, a command, the program and the
 * time into the next state, the ledger entries that explain it, the transaction records it changed, and an answer
 * or a refusal. Pure: it reads no clock and no store, and never changes its inputs.
 *
 * <p>Before any command, time is applied: pending lots whose return window ended become available, holds past
 * their expiry go back to their lots, and lots past their expiry expire (in that order). Points are taken from
 * the lot expiring first; points given back go to the lots they were taken from, the latest taken first.
 *
 * <p>Accruals whose activation and expiry fall on the same UTC days as an existing lot's join that lot (its
 * times become the later of the two), so a member's lot count is bounded by days, not purchases.
 */
public final class Rules {
  public static final long DAY_MILLIS = 86_400_000L;
  /** Closed authorisations stay in the hot state this long, so retries and races are answered without PostgreSQL. */
  public static final long CLOSED_KEPT_MILLIS = DAY_MILLIS;
  /** At most this many closed authorisations stay in the hot state (the oldest go first). */
  static final int MAX_CLOSED_KEPT = 16;
  /** At most this many expiries are remembered for a second life (the oldest go first). */
  static final int MAX_EXPIRED_KEPT = 32;
  /** A member with more lots than this is a bug (lots are consolidated by day). */
  static final int MAX_LOTS = 20_000;
  private static final long BASIS_POINTS = 10_000;
  private static final Comparator<Lot> BY_ACTIVATION =
      Comparator.comparingLong(Lot::activateAt).thenComparingLong(Lot::id);
  private static final Comparator<Lot> BY_EXPIRY = Comparator.comparingLong(Lot::expireAt).thenComparingLong(Lot::id);

  private Rules() {
  }

  public static Decision decide(MemberState state, Command command, Program program, long now) {
    Work w = new Work(state, program, now);
    w.mature();
    if (command instanceof Command.Buy buy) {
      return buy.authorize() ? w.authorize(buy) : w.purchase(buy);
    } else if (command instanceof Command.Capture capture) {
      return w.capture(capture);
    } else if (command instanceof Command.Void voiding) {
      return w.voidAuthorization(voiding);
    } else if (command instanceof Command.Refund refund) {
      return w.refund(refund);
    } else if (command instanceof Command.Consent consent) {
      return w.consent(consent);
    }
    return w.finish(null, null);
  }

  /** A refusal decided by the caller (from a record the state does not hold), after what time did to the member. */
  public static Decision refuse(MemberState state, Refusal refusal, Program program, long now) {
    Work w = new Work(state, program, now);
    w.mature();
    return w.finish(null, refusal);
  }

  /** Most points a receipt with this eligible amount may be paid with, before looking at the balance. */
  public static long capPoints(Program program, long eligibleMinor) {
    return Math.multiplyExact(eligibleMinor, program.maxRedeemShareBp()) / (BASIS_POINTS * program.pointValueMinor());
  }

  /** floor(value × part / whole) without overflow, for 0 <= part <= whole and whole > 0. */
  public static long proportion(long value, long part, long whole) {
    return BigInteger.valueOf(value).multiply(BigInteger.valueOf(part)).divide(BigInteger.valueOf(whole))
        .longValueExact();
  }

  /** Points accrued on a receipt: the tier's rate (or the program's) on the eligible amount, or on its paid part. */
  static long accrual(Program program, long eligibleMinor, long savedMinor, long lifetimeSpendMinor) {
    int tier = program.tierIndex(lifetimeSpendMinor);
    long rateBp = tier < 0 ? program.accrualRateBp() : program.tiers().get(tier).accrualRateBp();
    long baseMinor = program.accrueOn() == Program.AccrueOn.PAID ? eligibleMinor - savedMinor : eligibleMinor;
    return Math.multiplyExact(baseMinor, rateBp) / (BASIS_POINTS * program.pointValueMinor());
  }

  /** The refusal for a capture or void of a transaction that is no open authorisation of the member's state. */
  public static Refusal notOpen(Transaction stored) {
    if (stored == null || stored.kind() != Transaction.Kind.AUTHORIZATION) {
      return Refusal.of(Reason.TRANSACTION_NOT_FOUND, 0);
    }
    return stored.status().equals(Status.EXPIRED.wire()) ? Refusal.of(Reason.AUTHORIZATION_EXPIRED, 0)
        : Refusal.of(Reason.INVALID_STATE, stored.status());
  }

  private static Refusal notOpen(Authorization a) {
    return a.status() == Status.EXPIRED ? Refusal.of(Reason.AUTHORIZATION_EXPIRED, 0)
        : Refusal.of(Reason.INVALID_STATE, a.status().wire());
  }

  private static long day(long millis) {
    return millis == Lot.NEVER ? Long.MAX_VALUE : Math.floorDiv(millis, DAY_MILLIS);
  }

  /** The member's state while one command is applied to it. */
  private static final class Work {
    final MemberState before;
    final Program program;
    final long now;
    long seq;
    long available;
    long pending;
    long held;
    long debt;
    long spend;
    final List<Lot> pendingLots;
    final List<Lot> availableLots;
    final List<Authorization> authorizations;
    final List<Lot> expired;
    final List<Visit> visits;
    /** What this command's receipt made the member in the member figures (see {@link Decision#counted}). */
    int counted;
    Profile profile;
    final List<Entry> entries = new ArrayList<>();
    final Map<UUID, Transaction> transactions = new LinkedHashMap<>();

    Work(MemberState s, Program program, long now) {
      this.before = s;
      this.program = program;
      this.now = now;
      seq = s.seq();
      available = s.available();
      pending = s.pending();
      held = s.held();
      debt = s.debt();
      spend = s.spendMinor();
      pendingLots = new ArrayList<>(s.pendingLots());
      availableLots = new ArrayList<>(s.availableLots());
      authorizations = new ArrayList<>(s.authorizations());
      expired = new ArrayList<>(s.expired());
      visits = new ArrayList<>(s.visits().size() + Visit.PERIODS.length()); // room for a receipt's new periods
      for (Visit v : s.visits()) {
        visits.add(v);
      }
      profile = s.profile();
    }

    /** A transaction's part in an entry. */
    record Tx(UUID id, String receipt, UUID till) {
      static final Tx NONE = new Tx(null, null, null);
    }

    void entry(String kind, long points, long da, long dpe, long dh, long lotId, String reason, long at, Tx tx) {
      seq++;
      entries.add(new Entry(seq, kind, points, da, dpe, dh, lotId, reason, at, tx.id(), tx.receipt(), tx.till()));
    }

    void mature() {
      while (!pendingLots.isEmpty() && pendingLots.get(0).activateAt() <= now) {
        Lot lot = pendingLots.remove(0);
        pending -= lot.remaining();
        available += lot.remaining();
        entry("activate", lot.remaining(), lot.remaining(), -lot.remaining(), 0, lot.id(),
            "Return window over: points became available", lot.activateAt(), Tx.NONE);
        makeAvailable(lot);
      }
      List<Authorization> due = authorizations.isEmpty() ? List.of() : authorizations.stream()
          .filter(a -> a.open() && a.expiresAt() <= now)
          .sorted(Comparator.comparingLong(Authorization::expiresAt).thenComparing(a -> a.id().toString())).toList();
      for (Authorization a : due) {
        List<Taken> hold = new ArrayList<>(a.holdLots());
        giveBack(hold, a.heldPoints(), "expire_hold", true, "Authorisation expired uncaptured: hold released",
            a.expiresAt(), tx(a), -1);
        if (a.heldPoints() == 0) {
          entry("expire_hold", 0, 0, 0, 0, -1, "Authorisation expired uncaptured (no points held)", a.expiresAt(),
              tx(a));
        }
        Authorization expired = a.closed(Status.EXPIRED, a.expiresAt(), null);
        replace(expired);
        transactions.put(a.id(), Transaction.of(program.id(), expired, List.of(), -1));
      }
      while (!availableLots.isEmpty() && availableLots.get(0).expireAt() <= now) {
        Lot lot = availableLots.remove(0);
        available -= lot.remaining();
        entry("expire", -lot.remaining(), -lot.remaining(), 0, 0, lot.id(), "Points expired", lot.expireAt(), Tx.NONE);
        expired.add(lot);
      }
      // remembered for a second life only while it may still come
      Program.SecondLife life = program.secondLife();
      expired.removeIf(e -> life == null || e.expireAt() + life.windowDays() * DAY_MILLIS <= now);
      while (expired.size() > MAX_EXPIRED_KEPT) {
        expired.remove(0);
      }
      Visit.forget(visits, now);
      if (authorizations.isEmpty()) {
        return;
      }
      authorizations.removeIf(a -> !a.open() && a.closedAt() + CLOSED_KEPT_MILLIS <= now);
      List<Authorization> closed = authorizations.stream().filter(a -> !a.open())
          .sorted(Comparator.comparingLong(Authorization::closedAt)).toList();
      for (int i = 0; i < closed.size() - MAX_CLOSED_KEPT; i++) {
        authorizations.remove(closed.get(i));
      }
    }

    Decision purchase(Command.Buy buy) {
      Refusal refusal = redemptionRefusal(buy);
      if (refusal != null) {
        return finish(null, refusal);
      }
      long redeem = redemption(buy);
      long saved = redeem * program.pointValueMinor();
      long accrued = accrual(program, buy.eligibleMinor(), saved, spend);
      Tx tx = new Tx(buy.transactionId(), buy.receipt(), buy.till());
      List<Taken> redeemed = take(redeem, "redeem", false, "Redeemed on receipt " + buy.receipt(), buy.occurredAt(), tx);
      long lot = -1;
      boolean accruedPending = program.pendingDays() > 0;
      if (accrued > 0) {
        lot = accrue(accrued, buy.occurredAt(), "Accrued on receipt " + buy.receipt(), tx);
        accruedPending = findLot(pendingLots, lot) != null;
      }
      long revived = revive(buy.totalMinor(), tx);
      spend += buy.totalMinor();
      if (redeem == 0 && accrued == 0 && revived == 0) {
        // nothing accrued or redeemed: still a purchase (it moves lifetime spend), so it gets a ledger entry
        entry("purchase", 0, 0, 0, 0, -1, "Purchase on receipt " + buy.receipt() + " (no points)", buy.occurredAt(), tx);
      }
      counted = Visit.count(visits, buy.occurredAt(), buy.store(), redeem > 0);
      transactions.put(buy.transactionId(), new Transaction(buy.transactionId(), Transaction.Kind.PURCHASE,
          Transaction.CAPTURED, program.id(), buy.till(), buy.receipt(), buy.occurredAt(), buy.totalMinor(),
          buy.eligibleMinor(), buy.totalMinor(), buy.lines(), redeem, saved, accrued, lot, redeemed, 0, 0, 0,
          Transaction.Refunded.NONE));
      return finish(new Answer.Purchase(buy.transactionId(), before.id(), accrued, accruedPending, redeem,
          buy.totalMinor(), buy.totalMinor() - saved, saved, balance(), spend, tier(), false, revived), null);
    }

    Decision authorize(Command.Buy buy) {
      Refusal refusal = redemptionRefusal(buy);
      if (refusal != null) {
        return finish(null, refusal);
      }
      long redeem = redemption(buy);
      long expected = accrual(program, buy.eligibleMinor(), redeem * program.pointValueMinor(), spend);
      Tx tx = new Tx(buy.transactionId(), buy.receipt(), buy.till());
      List<Taken> hold = take(redeem, "hold", true, "Held for authorisation of receipt " + buy.receipt(),
          buy.occurredAt(), tx);
      long expiresAt = now + program.holdTtlSeconds() * 1000L;
      if (redeem == 0) {
        entry("authorize", 0, 0, 0, 0, -1, "Authorised receipt " + buy.receipt() + " (no points held)",
            buy.occurredAt(), tx);
      }
      Authorization a = new Authorization(buy.transactionId(), buy.till(), buy.store(), buy.receipt(), buy.occurredAt(),
          buy.totalMinor(), buy.eligibleMinor(), buy.lines(), redeem, hold, expected, expiresAt, Status.AUTHORIZED, 0,
          null);
      authorizations.add(a);
      transactions.put(a.id(), Transaction.of(program.id(), a, List.of(), -1));
      return finish(new Answer.Authorized(a.id(), before.id(), redeem, expected, expiresAt, balance()), null);
    }

    /**
     * Second life: a receipt of at least the program's minimum brings back its share of the points that expired
     * within the window, as a new lot under the program's expiry. Every remembered expiry is used up by it, so
     * points come back once. Refunding the receipt later leaves them: they were the member's own points, and the
     * refund reverses what the receipt itself accrued and redeemed.
     */
    long revive(long totalMinor, Tx tx) {
      Program.SecondLife life = program.secondLife();
      if (life == null || expired.isEmpty() || totalMinor < life.minReceiptMinor()) {
        return 0;
      }
      long points = 0;
      for (Lot e : expired) {
        points += e.remaining();
      }
      expired.clear();
      long revived = Math.multiplyExact(points, life.shareBp()) / BASIS_POINTS;
      if (revived == 0) {
        return 0;
      }
      long expireAt = program.expiryDays() == null ? Lot.NEVER : now + program.expiryDays() * DAY_MILLIS;
      Lot lot = new Lot(seq + 1, revived, revived, now, expireAt);
      available += revived;
      entry("revive", revived, revived, 0, 0, lot.id(),
          "Second life: " + revived + " of " + points + " expired points revived", now, tx);
      makeAvailable(lot);
      return revived;
    }

    /** A change of the member's consents; nothing is recorded when it changes none. */
    Decision consent(Command.Consent c) {
      Profile p = profile;
      Profile next = new Profile(p.phone(), p.card(), p.externalId(),
          c.personalData() == null ? p.personalData() : c.personalData(),
          c.marketing() == null ? p.marketing() : c.marketing(),
          c.serviceNotices() == null ? p.serviceNotices() : c.serviceNotices(), p.enrolledAt());
      if (!next.equals(p)) {
        profile = next;
        entry("consent", 0, 0, 0, 0, -1, "Consents changed by " + (c.till() == null ? "a manager" : "a till")
            + ": personal_data " + next.personalData() + ", marketing " + next.marketing() + ", service_notices "
            + next.serviceNotices(), now, new Tx(null, null, c.till()));
      }
      return finish(null, null);
    }

    /** Most points this receipt may be paid with from this balance. */
    long maxRedeemable(Command.Buy buy) {
      return Math.min(capPoints(program, buy.eligibleMinor()), Math.max(0, available)); // a debt redeems nothing
    }

    /** Why the redemption asked for is not allowed, or null when it is. */
    Refusal redemptionRefusal(Command.Buy buy) {
      if (buy.redeemRequest() > capPoints(program, buy.eligibleMinor())) {
        return Refusal.of(Reason.REDEEM_CAP_EXCEEDED, maxRedeemable(buy));
      }
      if (buy.redeemRequest() > Math.max(0, available)) {
        return Refusal.of(Reason.INSUFFICIENT_POINTS, maxRedeemable(buy));
      }
      return null;
    }

    /** Points an allowed purchase redeems. */
    long redemption(Command.Buy buy) {
      return buy.redeemRequest() == Command.REDEEM_MAX ? maxRedeemable(buy) : buy.redeemRequest();
    }

    Decision capture(Command.Capture c) {
      Authorization a = current(c.authorizationId());
      if (a == null || !a.open()) {
        return finish(null, a == null ? notOpen((Transaction) null) : notOpen(a));
      }
      long total;
      long eligible;
      if (c.lines() != null) {
        total = c.totalMinor();
        eligible = c.eligibleMinor();
      } else if (c.totalMinor() > 0) {
        total = c.totalMinor();
        eligible = proportion(a.eligibleMinor(), Math.min(total, a.totalMinor()), a.totalMinor());
      } else {
        total = a.totalMinor();
        eligible = a.eligibleMinor();
      }
      if (total > a.totalMinor()) {
        return finish(null, Refusal.of(Reason.CAPTURE_EXCEEDS_AUTHORIZATION, a.totalMinor()));
      }
      Tx tx = tx(a);
      long redeem = Math.min(a.heldPoints(), capPoints(program, eligible));
      if (redeem > 0) {
        held -= redeem;
        entry("capture", -redeem, 0, 0, -redeem, -1, "Captured on receipt " + a.receipt(), now, tx);
      }
      List<Taken> kept = new ArrayList<>(a.holdLots());
      giveBack(kept, a.heldPoints() - redeem, "release", true,
          "Hold not needed by the capture of receipt " + a.receipt(), now, tx, -1);
      long saved = redeem * program.pointValueMinor();
      long accrued = accrual(program, eligible, saved, spend);
      long lot = -1;
      boolean accruedPending = program.pendingDays() > 0;
      if (accrued > 0) {
        lot = accrue(accrued, now, "Accrued on receipt " + a.receipt(), tx);
        accruedPending = findLot(pendingLots, lot) != null;
      }
      long revived = revive(total, tx);
      spend += total;
      if (redeem == 0 && accrued == 0 && revived == 0) {
        entry("capture", 0, 0, 0, 0, -1, "Captured receipt " + a.receipt() + " (no points)", now, tx);
      }
      counted = Visit.count(visits, now, a.store(), redeem > 0);
      replace(a.closed(Status.CAPTURED, now, new Authorization.Captured(total, redeem, saved, accrued)));
      mature(); // released points whose lot expired during the hold expire now
      transactions.put(a.id(), new Transaction(a.id(), Transaction.Kind.AUTHORIZATION, Transaction.CAPTURED,
          program.id(), a.till(), a.receipt(), a.occurredAt(), total, eligible, a.totalMinor(),
          c.lines() != null ? c.lines() : a.lines(), redeem, saved, accrued, lot, kept, 0, a.expectedAccrualPoints(),
          a.expiresAt(), Transaction.Refunded.NONE));
      return finish(new Answer.Purchase(a.id(), before.id(), accrued, accruedPending, redeem, total, total - saved,
          saved, balance(), spend, tier(), true, revived), null);
    }

    Decision voidAuthorization(Command.Void v) {
      Authorization a = current(v.authorizationId());
      if (a == null || !a.open()) {
        return finish(null, a == null ? notOpen((Transaction) null) : notOpen(a));
      }
      Tx tx = tx(a);
      long released = a.heldPoints();
      giveBack(new ArrayList<>(a.holdLots()), released, "void", true,
          "Authorisation of receipt " + a.receipt() + " voided", now, tx, -1);
      if (released == 0) {
        entry("void", 0, 0, 0, 0, -1, "Voided authorisation of receipt " + a.receipt() + " (no points held)", now, tx);
      }
      Authorization voided = a.closed(Status.VOIDED, now, null);
      replace(voided);
      mature(); // released points whose lot expired during the hold expire now
      transactions.put(a.id(), Transaction.of(program.id(), voided, List.of(), -1));
      return finish(new Answer.Voided(a.id(), before.id(), released, balance()), null);
    }

    Decision refund(Command.Refund r) {
      Transaction t = r.transaction();
      if (!Transaction.CAPTURED.equals(t.status())) {
        return finish(null, Refusal.of(Reason.INVALID_STATE, t.status()));
      }
      Transaction.Refunded done = t.refunded();
      Map<String, Long> bySku = new LinkedHashMap<>(done.bySku());
      long refunded = 0;
      long eligibleAfter;
      if (r.lines() != null) {
        long eligibleDelta = 0;
        for (Map.Entry<String, Long> line : r.lines().entrySet()) {
          SkuLine sold = t.lines().stream().filter(l -> l.sku().equals(line.getKey())).findFirst().orElse(null);
          if (sold == null) {
            return finish(null, Refusal.of(Reason.SKU_NOT_ON_RECEIPT, line.getKey()));
          }
          long skuBefore = bySku.getOrDefault(line.getKey(), 0L);
          long skuAfter = skuBefore + line.getValue();
          if (skuAfter > sold.amountMinor()) {
            return finish(null, new Refusal(Reason.REFUND_EXCEEDS_PURCHASE, sold.amountMinor() - skuBefore,
                "SKU '" + line.getKey() + "' has " + (sold.amountMinor() - skuBefore) + " left to refund"));
          }
          eligibleDelta += proportion(sold.eligibleMinor(), skuAfter, sold.amountMinor())
              - proportion(sold.eligibleMinor(), skuBefore, sold.amountMinor());
          bySku.put(line.getKey(), skuAfter);
          refunded += line.getValue();
        }
        eligibleAfter = Math.min(t.eligibleMinor(), done.eligibleMinor() + eligibleDelta);
      } else {
        refunded = r.amountMinor();
        eligibleAfter = Math.min(t.eligibleMinor(), Math.max(done.eligibleMinor(),
            proportion(t.eligibleMinor(), Math.min(t.totalMinor(), done.totalMinor() + refunded), t.totalMinor())));
      }
      if (done.totalMinor() + refunded > t.totalMinor()) {
        long left = t.totalMinor() - done.totalMinor();
        return finish(null, new Refusal(Reason.REFUND_EXCEEDS_PURCHASE, left,
            "The transaction has " + left + " left to refund"));
      }
      long reverseAfter = t.eligibleMinor() == 0 ? 0 : proportion(t.accruedPoints(), eligibleAfter, t.eligibleMinor());
      long restoreAfter = t.eligibleMinor() == 0 ? 0 : proportion(t.redeemedPoints(), eligibleAfter, t.eligibleMinor());
      long reverse = Math.max(0, reverseAfter - done.reversedPoints());
      long restore = Math.max(0, restoreAfter - done.restoredPoints());

      Tx tx = new Tx(t.id(), t.receipt(), t.till());
      String reason = "Refund " + r.refundId() + " of receipt " + t.receipt();
      List<Taken> lots = new ArrayList<>(t.redeemedLots());
      long restored = giveBack(lots, restore, "refund_restore", false, reason + ": redeemed points restored", now, tx,
          program.restoreGraceDays() * DAY_MILLIS);
      long left = reverse;
      long clawed = 0;
      long shortfall = 0;
      // the accrual: first the transaction's own lot, pending or available
      Lot own = t.accrualLot() < 0 ? null : findLot(pendingLots, t.accrualLot());
      boolean ownPending = own != null;
      if (own == null && t.accrualLot() >= 0) {
        own = findLot(availableLots, t.accrualLot());
      }
      if (left > 0 && own != null) {
        long amount = Math.min(left, own.remaining());
        left -= amount;
        clawed += amount;
        if (ownPending) {
          pending -= amount;
          entry("refund_reverse", -amount, 0, -amount, 0, own.id(), reason + ": accrual reversed", now, tx);
        } else {
          available -= amount;
          entry("refund_reverse", -amount, -amount, 0, 0, own.id(), reason + ": accrual reversed", now, tx);
        }
        List<Lot> list = ownPending ? pendingLots : availableLots;
        list.remove(own);
        if (own.remaining() > amount) {
          insert(list, own.withRemaining(own.remaining() - amount), ownPending ? BY_ACTIVATION : BY_EXPIRY);
        }
      }
      // then the available balance
      long fromBalance = Math.min(left, Math.max(0, available));
      if (fromBalance > 0) {
        take(fromBalance, "refund_reverse", false, reason + ": accrual reversed from the balance", now, tx);
        left -= fromBalance;
        clawed += fromBalance;
      }
      // what the member already spent
      if (left > 0) {
        if (program.allowNegativeBalance()) {
          available -= left;
          debt += left;
          clawed += left;
          entry("refund_reverse", -left, -left, 0, 0, -1, reason + ": accrual reversed into a negative balance", now, tx);
        } else {
          shortfall = left;
          entry("clawback_shortfall", -left, 0, 0, 0, -1,
              reason + ": " + left + " accrued points were already spent and are not clawed back", now, tx);
        }
      }
      if (restored == 0 && reverse == 0) {
        entry("refund", 0, 0, 0, 0, -1, reason + " (no points to move)", now, tx);
      }
      spend = Math.max(0, spend - refunded);
      transactions.put(t.id(), t.refunded(new Transaction.Refunded(done.count() + 1, done.totalMinor() + refunded,
          eligibleAfter, done.reversedPoints() + reverse,
          done.restoredPoints() + restored, Map.copyOf(bySku)), List.copyOf(lots)));
      return finish(new Answer.Refunded(r.refundId(), t.id(), clawed, restored, shortfall, refunded, balance()), null);
    }

    /** Takes n points (n <= the available lots) from the lots expiring first; to held instead of spent on a hold. */
    List<Taken> take(long n, String kind, boolean toHeld, String reason, long at, Tx tx) {
      List<Taken> taken = new ArrayList<>();
      while (n > 0 && !availableLots.isEmpty()) {
        Lot lot = availableLots.get(0);
        long amount = Math.min(n, lot.remaining());
        n -= amount;
        available -= amount;
        if (toHeld) {
          held += amount;
        }
        entry(kind, -amount, -amount, 0, toHeld ? amount : 0, lot.id(), reason, at, tx);
        if (lot.remaining() == amount) {
          availableLots.remove(0);
        } else {
          availableLots.set(0, lot.withRemaining(lot.remaining() - amount));
        }
        taken.add(new Taken(lot.id(), amount, lot.expireAt(), lot.points(), lot.activateAt()));
      }
      if (n > 0) {
        throw new IllegalStateException("member " + before.id() + ": took " + n + " points more than its lots hold");
      }
      return taken;
    }

    /**
     * Gives n points back to the lots they were taken from, the latest taken first, reducing {@code taken}
     * accordingly. With a grace period (>= 0), points whose lot has expired go to a new lot expiring that long from
     * now; otherwise back with their lot's own expiry (and maturing expires them). From held: they leave held.
     */
    long giveBack(List<Taken> taken, long n, String kind, boolean fromHeld, String reason, long at, Tx tx,
        long graceMillis) {
      long given = 0;
      for (int i = taken.size() - 1; i >= 0 && n > 0; i--) {
        Taken t = taken.get(i);
        long amount = Math.min(n, t.points());
        if (amount <= 0) {
          continue;
        }
        taken.set(i, t.withPoints(t.points() - amount));
        n -= amount;
        given += amount;
        Lot lot;
        if (graceMillis >= 0 && t.expireAt() != Lot.NEVER && t.expireAt() <= now) {
          lot = new Lot(seq + 1, amount, amount, now, now + graceMillis);
        } else {
          Lot existing = findLot(availableLots, t.lotId());
          if (existing != null) {
            availableLots.remove(existing);
            lot = existing.withRemaining(existing.remaining() + amount);
          } else {
            lot = new Lot(t.lotId(), Math.max(t.lotPoints(), amount), amount, t.activateAt(), t.expireAt());
          }
        }
        available += amount;
        if (fromHeld) {
          held -= amount;
        }
        entry(kind, amount, amount, 0, fromHeld ? -amount : 0, lot.id(), reason, at, tx);
        makeAvailable(lot);
      }
      return given;
    }

    /** Grants points as a lot (joining one of the same days), pending while activation is ahead; its id. */
    long accrue(long points, long at, String reason, Tx tx) {
      long activateAt = at + program.pendingDays() * DAY_MILLIS;
      long expireAt = program.expiryDays() == null ? Lot.NEVER : activateAt + program.expiryDays() * DAY_MILLIS;
      boolean isPending = activateAt > now;
      List<Lot> list = isPending ? pendingLots : availableLots;
      Lot same = null;
      for (Lot lot : list) {
        if (day(lot.activateAt()) == day(activateAt) && day(lot.expireAt()) == day(expireAt)) {
          same = lot;
          break;
        }
      }
      Lot lot = same == null ? new Lot(seq + 1, points, points, activateAt, expireAt)
          : new Lot(same.id(), same.points() + points, same.remaining() + points,
              Math.max(same.activateAt(), activateAt), Math.max(same.expireAt(), expireAt));
      if (same != null) {
        list.remove(same);
      }
      if (isPending) {
        pending += points;
        insert(pendingLots, lot, BY_ACTIVATION);
        entry("accrue", points, 0, points, 0, lot.id(), reason + " (pending)", at, tx);
      } else {
        available += points;
        entry("accrue", points, points, 0, 0, lot.id(), reason, at, tx);
        makeAvailable(lot);
      }
      return lot.id();
    }

    /** Points that became available pay the debt of a negative balance first; the rest stay in the lot. */
    void makeAvailable(Lot lot) {
      long pay = Math.min(debt, lot.remaining());
      debt -= pay;
      Lot existing = findLot(availableLots, lot.id());
      if (existing != null) {
        availableLots.remove(existing);
      }
      if (lot.remaining() - pay > 0) {
        insert(availableLots, lot.withRemaining(lot.remaining() - pay), BY_EXPIRY);
      }
    }

    /** The authorisation as maturing left it (or as it was, if maturing just dropped it as long closed). */
    Authorization current(UUID id) {
      for (Authorization a : authorizations) {
        if (a.id().equals(id)) {
          return a;
        }
      }
      return before.authorization(id);
    }

    void replace(Authorization a) {
      authorizations.replaceAll(existing -> existing.id().equals(a.id()) ? a : existing);
    }

    Tx tx(Authorization a) {
      return new Tx(a.id(), a.receipt(), a.till());
    }

    Answer.Balance balance() {
      return new Answer.Balance(available, pending, held);
    }

    Answer.Tier tier() {
      int at = program.tierIndex(spend);
      List<Program.Tier> tiers = program.tiers();
      Program.Tier next = at + 1 < tiers.size() ? tiers.get(at + 1) : null;
      return new Answer.Tier(at < 0 ? null : tiers.get(at).name(), next == null ? null : next.name(),
          next == null ? -1 : next.minSpendMinor() - spend);
    }

    Decision finish(Answer answer, Refusal refusal) {
      if (pendingLots.size() + availableLots.size() > MAX_LOTS) {
        throw new IllegalStateException("member " + before.id() + " has more than " + MAX_LOTS + " lots");
      }
      long expectedSeq = before.seq();
      for (Entry e : entries) {
        if (e.seq() != ++expectedSeq) {
          throw new IllegalStateException("member " + before.id() + ": ledger seq " + e.seq() + " out of order");
        }
      }
      for (UUID changed : transactions.keySet()) {
        // a transaction's record reaches PostgreSQL on the last ledger row of its change
        if (entries.stream().noneMatch(e -> changed.equals(e.transaction()))) {
          throw new IllegalStateException("member " + before.id() + ": transaction " + changed + " changed without an entry");
        }
      }
      // the work lists are handed over, not copied: this Work is done with them
      MemberState next = new MemberState(before.id(), before.programId(), seq, available, pending, held, debt, spend,
          Collections.unmodifiableList(pendingLots), Collections.unmodifiableList(availableLots),
          Collections.unmodifiableList(authorizations), profile, Collections.unmodifiableList(expired),
          Collections.unmodifiableList(visits)).check();
      if (!program.allowNegativeBalance() && next.debt() > before.debt()) {
        throw new IllegalStateException("member " + before.id() + ": debt grew in a program that allows none");
      }
      int tierBefore = program.tierIndex(before.spendMinor());
      int tierAfter = program.tierIndex(spend);
      Decision.TierChange tierChange = tierBefore == tierAfter || entries.isEmpty() ? null
          : new Decision.TierChange(tierBefore < 0 ? null : program.tiers().get(tierBefore).name(),
              tierAfter < 0 ? null : program.tiers().get(tierAfter).name());
      return new Decision(next, Collections.unmodifiableList(entries), List.copyOf(transactions.values()), answer,
          refusal, tierChange, counted);
    }

    static Lot findLot(List<Lot> lots, long id) {
      for (Lot lot : lots) {
        if (lot.id() == id) {
          return lot;
        }
      }
      return null;
    }

    static void insert(List<Lot> lots, Lot lot, Comparator<Lot> order) {
      int i = 0;
      while (i < lots.size() && order.compare(lots.get(i), lot) < 0) {
        i++;
      }
      lots.add(i, lot);
    }
  }
}
