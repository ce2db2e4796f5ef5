package io.loyalty.gateway.codec;

import io.loyalty.gateway.rules.Transaction;
import java.util.LinkedHashMap;
import java.util.Map;

/** A transaction record as PostgreSQL keeps it beside its typed columns (ledger.record). */
public final class TransactionCodec {
  private static final int FORMAT = 1;

  private TransactionCodec() {
  }

  public static byte[] encode(Transaction t) {
    Binary.Writer w = new Binary.Writer(200 + 64 * t.lines().size());
    w.write(FORMAT).uuid(t.id()).write(t.kind().ordinal()).string(t.status()).string(t.programId()).uuid(t.till())
        .string(t.receipt()).varLong(t.occurredAt()).varLong(t.totalMinor()).varLong(t.eligibleMinor())
        .varLong(t.authorizedTotalMinor());
    StateCodec.lines(w, t.lines());
    w.varLong(t.redeemedPoints()).varLong(t.savedMinor()).varLong(t.accruedPoints()).varLong(t.accrualLot());
    StateCodec.taken(w, t.redeemedLots());
    w.varLong(t.heldPoints()).varLong(t.expectedAccrualPoints()).varLong(t.expiresAt());
    Transaction.Refunded r = t.refunded();
    w.varLong(r.count()).varLong(r.totalMinor()).varLong(r.eligibleMinor()).varLong(r.reversedPoints())
        .varLong(r.restoredPoints()).varLong(r.bySku().size());
    r.bySku().forEach((sku, minor) -> w.string(sku).varLong(minor));
    return w.toBytes();
  }

  public static Transaction decode(byte[] bytes) {
    Binary.Reader r = new Binary.Reader(bytes);
    int format = r.read();
    if (format != FORMAT) {
      throw new IllegalArgumentException("transaction format " + format + " is not known");
    }
    var id = r.uuid();
    Transaction.Kind kind = Transaction.Kind.values()[r.read()];
    String status = r.string();
    String program = r.string();
    var till = r.uuid();
    String receipt = r.string();
    long occurredAt = r.varLong();
    long total = r.varLong();
    long eligible = r.varLong();
    long authorizedTotal = r.varLong();
    var lines = StateCodec.lines(r);
    long redeemed = r.varLong();
    long saved = r.varLong();
    long accrued = r.varLong();
    long accrualLot = r.varLong();
    var redeemedLots = StateCodec.taken(r);
    long held = r.varLong();
    long expected = r.varLong();
    long expiresAt = r.varLong();
    int count = (int) r.varLong();
    long refundedTotal = r.varLong();
    long refundedEligible = r.varLong();
    long reversed = r.varLong();
    long restored = r.varLong();
    int skus = r.count();
    Map<String, Long> bySku = new LinkedHashMap<>();
    for (int i = 0; i < skus; i++) {
      bySku.put(r.string(), r.varLong());
    }
    return new Transaction(id, kind, status, program, till, receipt, occurredAt, total, eligible, authorizedTotal,
        lines, redeemed, saved, accrued, accrualLot, redeemedLots, held, expected, expiresAt,
        new Transaction.Refunded(count, refundedTotal, refundedEligible, reversed, restored, Map.copyOf(bySku)));
  }
}
