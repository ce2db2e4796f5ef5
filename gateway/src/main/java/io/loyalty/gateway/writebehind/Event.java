package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.codec.Binary;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.codec.TransactionCodec;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Transaction;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One committed change of a member, as its write-behind stream entry carries it to PostgreSQL: the member's new
 * balances and encoded state (its PostgreSQL row), the ledger entries, the transaction records it changed (with the
 * columns reports read), and the idempotency record of the request, if any. Binary, with a version byte.
 */
public record Event(UUID member, String programId, long seq, long available, long pending, long held, long debt,
    long spendMinor, byte[] state, UUID idempotencyTill, String idempotencyKey, byte[] idempotencyRecord,
    List<Entry> entries, List<Tx> transactions) {
  private static final int FORMAT = 1;

  /** A transaction record with the columns read without decoding it. */
  public record Tx(UUID id, String kind, String status, long totalMinor, long eligibleMinor, long redeemedPoints,
      long accruedPoints, long refundedMinor, byte[] record) {
  }

  /** The event of a decision that changed the member; {@code encodedState} is {@link StateCodec#encode} of its state. */
  public static byte[] encode(Decision d, byte[] encodedState, UUID idempotencyTill, String idempotencyKey,
      byte[] idempotencyRecord) {
    MemberState s = d.state();
    Binary.Writer w = new Binary.Writer(encodedState.length + 160 * (d.entries().size() + 1));
    w.write(FORMAT).uuid(s.id()).string(s.programId()).varLong(s.seq()).varLong(s.available()).varLong(s.pending())
        .varLong(s.held()).varLong(s.debt()).varLong(s.spendMinor()).bytes(encodedState);
    w.bool(idempotencyKey != null);
    if (idempotencyKey != null) {
      w.uuid(idempotencyTill).string(idempotencyKey).bytes(idempotencyRecord);
    }
    w.varLong(d.entries().size());
    for (Entry e : d.entries()) {
      w.varLong(e.seq()).string(e.kind()).varLong(e.points()).varLong(e.availableDelta()).varLong(e.pendingDelta())
          .varLong(e.heldDelta()).varLong(e.lotId()).string(e.reason()).varLong(e.at()).optionalUuid(e.transaction())
          .string(e.receipt()).optionalUuid(e.till());
    }
    w.varLong(d.transactions().size());
    for (Transaction t : d.transactions()) {
      w.uuid(t.id()).string(t.kind().wire()).string(t.status()).varLong(t.totalMinor()).varLong(t.eligibleMinor())
          .varLong(t.redeemedPoints()).varLong(t.accruedPoints()).varLong(t.refunded().totalMinor())
          .bytes(TransactionCodec.encode(t));
    }
    return w.toBytes();
  }

  public static Event decode(byte[] bytes) {
    Binary.Reader r = new Binary.Reader(bytes);
    int format = r.read();
    if (format != FORMAT) {
      throw new IllegalArgumentException("write-behind event format " + format + " is not known");
    }
    UUID member = r.uuid();
    String program = r.string();
    long seq = r.varLong();
    long available = r.varLong();
    long pending = r.varLong();
    long held = r.varLong();
    long debt = r.varLong();
    long spend = r.varLong();
    byte[] state = r.bytes();
    UUID till = null;
    String key = null;
    byte[] record = null;
    if (r.bool()) {
      till = r.uuid();
      key = r.string();
      record = r.bytes();
    }
    int n = r.count();
    List<Entry> entries = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      entries.add(new Entry(r.varLong(), r.string(), r.varLong(), r.varLong(), r.varLong(), r.varLong(), r.varLong(),
          r.string(), r.varLong(), r.optionalUuid(), r.string(), r.optionalUuid()));
    }
    int t = r.count();
    List<Tx> transactions = new ArrayList<>(t);
    for (int i = 0; i < t; i++) {
      transactions.add(new Tx(r.uuid(), r.string(), r.string(), r.varLong(), r.varLong(), r.varLong(), r.varLong(),
          r.varLong(), r.bytes()));
    }
    if (!r.done()) {
      throw new IllegalArgumentException("write-behind event has bytes after its end");
    }
    return new Event(member, program, seq, available, pending, held, debt, spend, state, till, key, record, entries,
        transactions);
  }
}
