package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.codec.Binary;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.codec.TransactionCodec;
import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.rules.Transaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * One committed change of a member, as its write-behind stream entry carries it to PostgreSQL: the member's new
 * balances and encoded state (its PostgreSQL row), the ledger entries, the transaction records it changed (with the
 * columns reports read), the idempotency record of the request, if any, and what the managers' figures count
 * of it (the receipt or refund, and how the points in available lots moved by expiry day), and what the scheduler
 * and the events about the member need (when time next changes it, its consents, a tier change). Binary, with a
 * version byte.
 *
 * @param dueAt when time alone next changes the member, or -1
 * @param nextExpiryAt when its next available lot expires, or -1
 * @param tierChange null when the tier stayed
 */
public record Event(UUID member, String programId, long seq, long available, long pending, long held, long debt,
    long spendMinor, byte[] state, UUID idempotencyTill, String idempotencyKey, byte[] idempotencyRecord,
    List<Entry> entries, List<Tx> transactions, Sale sale, List<ExpiryDelta> expiry, long dueAt, long nextExpiryAt,
    Profile profile, Decision.TierChange tierChange) {
  /**
   * 1: before the figures (decoded with no sale and no expiry change); 2: with them; 3: with the due times, the
   * consents and the tier change (for 1 and 2 read off the state); 4: the state and the idempotency record at the
   * end, after their lengths, so the commit script appends them from its own arguments (sent once, not twice);
   * 5: with what a receipt made its member in the member figures (for 1 to 4: nothing, see V9's migration notes);
   * 6: the member's own fields (id, program, seq, balances, spend, profile) read off the state it carries, and each
   * UUID written once, in a table after the state's length, and referred to by its number (0: none).
   */
  private static final int FORMAT = 6;

  /** A transaction record with the columns read without decoding it. */
  public record Tx(UUID id, String kind, String status, long totalMinor, long eligibleMinor, long redeemedPoints,
      long accruedPoints, long refundedMinor, byte[] record) {
  }

  /**
   * A receipt (a purchase, or the capture of an authorisation) or a refund, dated by the receipt (the capture, the
   * refund) and attributed to the till the receipt was made at.
   *
   * @param receipt false for a refund
   * @param counted what the receipt made the member in the member figures ({@link Decision#counted})
   */
  public record Sale(long at, UUID till, boolean receipt, long totalMinor, long redeemedPoints, long refundMinor,
      int counted) {
  }

  /** Points in available lots expiring on {@code epochDay} (UTC) moved by {@code points}. */
  public record ExpiryDelta(long epochDay, long points) {
  }

  /**
   * The event of a decision that changed the member from {@code before}, whole; {@code encodedState} is
   * {@link StateCodec#encode} of its new state.
   */
  public static byte[] encode(MemberState before, Decision d, byte[] encodedState, UUID idempotencyTill,
      String idempotencyKey, byte[] idempotencyRecord) {
    byte[] record = idempotencyRecord == null ? new byte[0] : idempotencyRecord;
    return whole(head(before, d, encodedState.length, idempotencyTill, idempotencyKey, record.length), encodedState,
        record);
  }

  /** The event from its three parts, as the commit script joins them: {@link #head}, the state, the record. */
  static byte[] whole(byte[] head, byte[] encodedState, byte[] record) {
    byte[] whole = Arrays.copyOf(head, head.length + encodedState.length + record.length);
    System.arraycopy(encodedState, 0, whole, head.length, encodedState.length);
    System.arraycopy(record, 0, whole, head.length + encodedState.length, record.length);
    return whole;
  }

  /**
   * All of the event but its last two parts, the encoded state and the idempotency record (of the lengths given),
   * which the commit script appends: it is sent both already.
   */
  public static byte[] head(MemberState before, Decision d, int stateLength, UUID idempotencyTill,
      String idempotencyKey, int recordLength) {
    MemberState s = d.state();
    Sale sale = sale(d);
    List<UUID> ids = new ArrayList<>(4); // the table: a purchase has two, its transaction and its till
    add(ids, idempotencyKey == null ? null : idempotencyTill);
    for (Entry e : d.entries()) {
      add(ids, e.transaction());
      add(ids, e.till());
    }
    for (Transaction t : d.transactions()) {
      add(ids, t.id());
    }
    add(ids, sale == null ? null : sale.till());
    List<byte[]> records = new ArrayList<>(d.transactions().size());
    int size = 32 + 16 * ids.size() + 96 * d.entries().size() + 64 * d.transactions().size();
    for (Transaction t : d.transactions()) {
      records.add(TransactionCodec.encode(t));
      size += records.get(records.size() - 1).length;
    }
    Binary.Writer w = new Binary.Writer(size); // usually large enough not to grow
    w.write(FORMAT).varLong(stateLength).varLong(ids.size());
    ids.forEach(w::uuid);
    w.bool(idempotencyKey != null);
    if (idempotencyKey != null) {
      w.varLong(ref(ids, idempotencyTill)).string(idempotencyKey).varLong(recordLength);
    }
    w.varLong(d.entries().size());
    for (Entry e : d.entries()) {
      w.varLong(e.seq()).string(e.kind()).varLong(e.points()).varLong(e.availableDelta()).varLong(e.pendingDelta())
          .varLong(e.heldDelta()).varLong(e.lotId()).string(e.reason()).varLong(e.at())
          .varLong(ref(ids, e.transaction())).string(e.receipt()).varLong(ref(ids, e.till()));
    }
    w.varLong(d.transactions().size());
    for (int i = 0; i < records.size(); i++) {
      Transaction t = d.transactions().get(i);
      w.varLong(ref(ids, t.id())).string(t.kind().wire()).string(t.status()).varLong(t.totalMinor())
          .varLong(t.eligibleMinor()).varLong(t.redeemedPoints()).varLong(t.accruedPoints())
          .varLong(t.refunded().totalMinor()).bytes(records.get(i));
    }
    w.bool(sale != null);
    if (sale != null) {
      w.varLong(sale.at()).varLong(ref(ids, sale.till())).bool(sale.receipt()).varLong(sale.totalMinor())
          .varLong(sale.redeemedPoints()).varLong(sale.refundMinor()).varLong(sale.counted());
    }
    List<ExpiryDelta> expiry = expiryDeltas(before, d.state());
    w.varLong(expiry.size());
    for (ExpiryDelta e : expiry) {
      w.varLong(e.epochDay()).varLong(e.points());
    }
    Lot next = s.nextExpiring();
    w.varLong(s.dueAt() == null ? -1 : s.dueAt()).varLong(next == null ? -1 : next.expireAt());
    w.bool(d.tierChange() != null);
    if (d.tierChange() != null) {
      w.string(d.tierChange().from()).string(d.tierChange().to());
    }
    return w.toBytes();
  }

  private static void add(List<UUID> ids, UUID id) {
    if (id != null && !ids.contains(id)) {
      ids.add(id);
    }
  }

  /** The number a UUID is written as: its place in the table, from 1; 0 for none. */
  private static int ref(List<UUID> ids, UUID id) {
    return id == null ? 0 : ids.indexOf(id) + 1;
  }

  private static Sale sale(Decision d) {
    if (d.answer() instanceof Answer.Purchase p) {
      Entry e = entryOf(d, p.transactionId());
      return e == null ? null : new Sale(e.at(), e.till(), true, p.totalMinor(), p.redeemedPoints(), 0, d.counted());
    }
    if (d.answer() instanceof Answer.Refunded r) {
      Entry e = entryOf(d, r.transactionId());
      return e == null ? null : new Sale(e.at(), e.till(), false, 0, 0, r.refundedMinor(), 0);
    }
    return null;
  }

  private static Entry entryOf(Decision d, UUID transaction) {
    for (Entry e : d.entries()) {
      if (transaction.equals(e.transaction())) {
        return e;
      }
    }
    return null;
  }

  /**
   * The change of the points in available lots, by expiry day (never-expiring lots are not counted). Both lists are
   * in expiry order, so one merge pass finds the days that moved; a purchase usually moves one.
   */
  public static List<ExpiryDelta> expiryDeltas(MemberState before, MemberState after) {
    List<Lot> a = before.availableLots();
    List<Lot> b = after.availableLots();
    List<ExpiryDelta> deltas = new ArrayList<>(2);
    int i = 0;
    int j = 0;
    while (true) {
      long dayA = i < a.size() ? expiryDay(a.get(i)) : Long.MAX_VALUE;
      long dayB = j < b.size() ? expiryDay(b.get(j)) : Long.MAX_VALUE;
      long day = Math.min(dayA, dayB);
      if (day == Long.MAX_VALUE) {
        return deltas;
      }
      long points = 0;
      for (; i < a.size() && expiryDay(a.get(i)) == day; i++) {
        points -= a.get(i).remaining();
      }
      for (; j < b.size() && expiryDay(b.get(j)) == day; j++) {
        points += b.get(j).remaining();
      }
      if (points != 0) {
        deltas.add(new ExpiryDelta(day, points));
      }
    }
  }

  /** A lot's UTC expiry day; {@link Long#MAX_VALUE} (sorted last, never counted) for one that never expires. */
  private static long expiryDay(Lot lot) {
    return lot.expireAt() == Lot.NEVER ? Long.MAX_VALUE : Math.floorDiv(lot.expireAt(), Rules.DAY_MILLIS);
  }

  public static Event decode(byte[] bytes) {
    return decode(bytes, null, null);
  }

  /**
   * The event from the three parts a commit sent ({@link #head}, the state, the record: empty without a request),
   * as its gateway hands them to the worker: read in place, nothing joined or copied.
   */
  static Event decode(byte[] head, byte[] sentState, byte[] sentRecord) {
    Binary.Reader r = new Binary.Reader(head);
    int format = r.read();
    if (format < 1 || format > FORMAT || format == 2) {
      throw new IllegalArgumentException("write-behind event format " + format + " is not known");
    }
    // the member's own fields: in the head up to format 5, read off the state from 6 (below)
    StateCodec.Summary m = format >= 6 ? null : new StateCodec.Summary(r.uuid(), r.string(), r.varLong(), r.varLong(),
        r.varLong(), r.varLong(), r.varLong(), r.varLong(), null);
    UUID[] ids = null; // format 6's table
    long stateLength = format >= 4 ? r.varLong() : -1;
    byte[] state = format >= 4 ? null : r.bytes();
    if (format >= 6) {
      ids = new UUID[r.count()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = r.uuid();
      }
    }
    UUID till = null;
    String key = null;
    long recordLength = 0;
    byte[] record = null;
    if (r.bool()) {
      till = id(r, ids, false);
      key = r.string();
      if (format >= 4) {
        recordLength = r.varLong();
      } else {
        record = r.bytes();
      }
    }
    int n = r.count();
    List<Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(new Entry(r.varLong(), r.string(), r.varLong(), r.varLong(), r.varLong(), r.varLong(), r.varLong(),
          r.string(), r.varLong(), id(r, ids, true), r.string(), id(r, ids, true)));
    }
    int t = r.count();
    List<Tx> transactions = new ArrayList<>(t);
    for (int i = 0; i < t; i++) {
      transactions.add(new Tx(id(r, ids, false), r.string(), r.string(), r.varLong(), r.varLong(), r.varLong(),
          r.varLong(), r.varLong(), r.bytes()));
    }
    Sale sale = null;
    List<ExpiryDelta> expiry = new ArrayList<>();
    if (format >= 2) {
      if (r.bool()) {
        sale = new Sale(r.varLong(), id(r, ids, true), r.bool(), r.varLong(), r.varLong(), r.varLong(),
            format >= 5 ? (int) r.varLong() : 0);
      }
      int x = r.count();
      for (int i = 0; i < x; i++) {
        expiry.add(new ExpiryDelta(r.varLong(), r.varLong()));
      }
    }
    long dueAt;
    long nextExpiryAt;
    Profile profile = null;
    Decision.TierChange tierChange = null;
    if (format >= 3) {
      dueAt = r.varLong();
      nextExpiryAt = r.varLong();
      if (format < 6) {
        profile = new Profile(r.string(), null, null, r.bool(), r.bool(), r.bool(), 0);
      }
      if (r.bool()) {
        tierChange = new Decision.TierChange(r.string(), r.string());
      }
    } else {
      MemberState decoded = StateCodec.decode(state);
      Lot next = decoded.nextExpiring();
      dueAt = decoded.dueAt() == null ? -1 : decoded.dueAt();
      nextExpiryAt = next == null ? -1 : next.expireAt();
      profile = decoded.profile();
    }
    if (sentState != null) {
      if (format != FORMAT || sentState.length != stateLength || sentRecord.length != recordLength) {
        throw new IllegalArgumentException("write-behind event parts do not match their head");
      }
      state = sentState;
      record = key == null ? null : sentRecord;
    } else if (format >= 4) {
      state = r.raw(stateLength);
      record = key == null ? null : r.raw(recordLength);
    }
    if (!r.done()) {
      throw new IllegalArgumentException("write-behind event has bytes after its end");
    }
    if (format >= 6) {
      m = StateCodec.summary(state);
      profile = m.profile();
    }
    return new Event(m.id(), m.programId(), m.seq(), m.available(), m.pending(), m.held(), m.debt(), m.spendMinor(),
        state, till, key, record, entries, transactions, sale, expiry, dueAt, nextExpiryAt, profile, tierChange);
  }

  /** A UUID as the format writes it: by its number in the table (format 6), else whole (with a flag if optional). */
  private static UUID id(Binary.Reader r, UUID[] ids, boolean optional) {
    if (ids == null) {
      return optional ? r.optionalUuid() : r.uuid();
    }
    int n = r.count();
    if (n > ids.length || n == 0 && !optional) {
      throw new IllegalArgumentException("write-behind event refers to UUID " + n + " of " + ids.length);
    }
    return n == 0 ? null : ids[n - 1];
  }
}
