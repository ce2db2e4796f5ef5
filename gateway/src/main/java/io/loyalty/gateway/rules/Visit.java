package io.loyalty.gateway.rules;

import java.time.DayOfWeek;
import java.time.LocalDate;
import java.time.temporal.TemporalAdjusters;
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
    LocalDate day = LocalDate.ofEpochDay(Math.floorDiv(epochMillis, Rules.DAY_MILLIS));
    long month = day.withDayOfMonth(1).toEpochDay();
    return new long[] {day.toEpochDay(), day.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).toEpochDay(),
        month, month};
  }

  /**
   * Counts a receipt at {@code at} at {@code store} in {@code visits} (changed in place) and returns the bits of
   * what it made the member: active on its first receipt of a period, repeat on its second, redeeming on its first
   * that redeemed.
   */
  static int count(List<Visit> visits, long at, String store, boolean redeemed) {
    long[] starts = starts(at);
    int counted = 0;
    for (int p = 0; p < PERIODS.length(); p++) {
      char period = PERIODS.charAt(p);
      String where = period == 's' ? store : "";
      int i = indexOf(visits, period, starts[p], where);
      Visit before = i < 0 ? new Visit(period, starts[p], where, 0, false) : visits.get(i);
      Visit after = new Visit(period, starts[p], where, Math.min(2, before.receipts + 1), before.redeemed || redeemed);
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
    visits.removeIf(v -> v.start < first);
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
