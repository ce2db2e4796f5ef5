package io.loyalty.gateway.rules;

import java.time.LocalDate;
import java.util.List;

/**
 * A period a member made receipts in, as far as the managers' member figures ask: whether it was active (a
 * receipt), repeat (two) and redeeming (a receipt paid partly with points). The member's state keeps these, so
 * {@link Rules} decides at the receipt whether it makes the member count in a period, and the write-behind only adds
 * numbers. Receipts are counted in four periods: the program's UTC day, ISO week (from Monday) and month, and the
 * month at the receipt's store.
 *
 * @param period one of {@link #PERIODS}
 * @param start the period's first UTC day (epoch day)
 * @param store the store, for a store month; "" otherwise
 * @param receipts receipts in the period, up to 2 (no figure asks further)
 */
public record Visit(char period, long start, String store, int receipts, boolean redeemed) {
  /** Day, week and month of the program, and month at the store: the order of {@link #starts} and of the bits. */
  public static final String PERIODS = "dwms";
  /**
   * A receipt is dated at most 90 days back (offline_max_age_days' ceiling), so the period of any receipt still to
   * come starts at most this many days before today (a month starts at most 30 days before its day). Older visits
   * are let go.
   */
  static final long KEPT_DAYS = 125;
  /** At most this many visits are kept (a member at many stores a month); past it the oldest go. */
  static final int MAX_KEPT = 512;

  // what a receipt made the member in one period, at bit period index * 3 + one of these
  public static final int ACTIVE = 0;
  public static final int REPEAT = 1;
  public static final int REDEEMING = 2;

  /** The bit in a receipt's {@link Decision#counted} for this period (index in PERIODS) and figure. */
  public static int bit(int period, int figure) {
    return 1 << (period * 3 + figure);
  }

  /** The first UTC days of the day, week and month of a receipt at {@code epochMillis}, in {@link #PERIODS} order. */
  public static long[] starts(long epochMillis) {
    long day = Math.floorDiv(epochMillis, Rules.DAY_MILLIS);
    return new long[] {start(0, day), start(1, day), start(2, day), start(3, day)};
  }

  /** The first UTC day of the month of {@code epochMillis}. */
  public static long monthStart(long epochMillis) {
    return start(2, Math.floorDiv(epochMillis, Rules.DAY_MILLIS));
  }

  /** The first UTC day of the period (index in {@link #PERIODS}) holding {@code epochDay}. */
  static long start(int period, long epochDay) {
    return switch (period) {
      case 0 -> epochDay;
      case 1 -> epochDay - Math.floorMod(epochDay + 3, 7); // ISO weeks start on Monday; day 0 was a Thursday
      default -> epochDay - LocalDate.ofEpochDay(epochDay).getDayOfMonth() + 1;
    };
  }

  /**
   * Counts a receipt at {@code at} at {@code store} in {@code visits} (changed in place) and returns the bits of
   * what it made the member: active on its first receipt of a period, repeat on its second, redeeming on its first
   * that redeemed.
   */
  static int count(List<Visit> visits, long at, String store, boolean redeemed) {
    long day = Math.floorDiv(at, Rules.DAY_MILLIS);
    int counted = 0;
    for (int p = 0; p < PERIODS.length(); p++) {
      char period = PERIODS.charAt(p);
      long start = start(p, day);
      String where = period == 's' ? store : "";
      int i = indexOf(visits, period, start, where);
      Visit before = i < 0 ? new Visit(period, start, where, 0, false) : visits.get(i);
      Visit after = new Visit(period, start, where, Math.min(2, before.receipts + 1), before.redeemed || redeemed);
      counted |= (before.receipts == 0 ? bit(p, ACTIVE) : 0) | (before.receipts == 1 ? bit(p, REPEAT) : 0)
          | (redeemed && !before.redeemed ? bit(p, REDEEMING) : 0);
      if (i < 0) {
        visits.add(after);
      } else {
        visits.set(i, after);
      }
    }
    while (visits.size() > MAX_KEPT) {
      visits.remove(oldest(visits));
    }
    return counted;
  }

  /** Lets go of the visits no receipt can come for any more. */
  static void forget(List<Visit> visits, long now) {
    long first = Math.floorDiv(now, Rules.DAY_MILLIS) - KEPT_DAYS;
    for (int i = visits.size() - 1; i >= 0; i--) {
      if (visits.get(i).start < first) {
        visits.remove(i);
      }
    }
  }

  private static int indexOf(List<Visit> visits, char period, long start, String store) {
    for (int i = 0; i < visits.size(); i++) {
      Visit v = visits.get(i);
      if (v.period == period && v.start == start && v.store.equals(store)) {
        return i;
      }
    }
    return -1;
  }

  private static int oldest(List<Visit> visits) {
    int oldest = 0;
    for (int i = 1; i < visits.size(); i++) {
      oldest = visits.get(i).start < visits.get(oldest).start ? i : oldest;
    }
    return oldest;
  }
}
