package io.loyalty.gateway.codec;

import io.loyalty.gateway.rules.Answer;
import java.util.Arrays;

/**
 * An idempotency record: the request's 16-byte fingerprint, then its answer (a kind byte and the answer's fields),
 * so a retry is answered from ~80 bytes.
 */
public final class AnswerCodec {
  public static final int FINGERPRINT_BYTES = 16;
  /** A purchase before second life (decoded with nothing revived). */
  private static final int PURCHASE_V1 = 1;
  private static final int AUTHORIZED = 2;
  private static final int VOIDED = 3;
  private static final int REFUNDED = 4;
  private static final int PURCHASE = 5;

  private AnswerCodec() {
  }

  public static byte[] encode(byte[] fingerprint, Answer answer) {
    Binary.Writer w = new Binary.Writer(128);
    for (byte b : fingerprint) {
      w.write(b);
    }
    if (answer instanceof Answer.Purchase p) {
      w.write(PURCHASE).uuid(p.transactionId()).uuid(p.memberId()).varLong(p.accruedPoints()).bool(p.accruedPending())
          .varLong(p.redeemedPoints()).varLong(p.totalMinor()).varLong(p.amountDueMinor()).varLong(p.savedMinor());
      balance(w, p.balance());
      w.varLong(p.lifetimeSpendMinor()).string(p.tier().name()).string(p.tier().next())
          .varLong(p.tier().spendToNextMinor()).bool(p.capture()).varLong(p.revivedPoints());
    } else if (answer instanceof Answer.Authorized a) {
      w.write(AUTHORIZED).uuid(a.authorizationId()).uuid(a.memberId()).varLong(a.heldPoints())
          .varLong(a.expectedAccrualPoints()).varLong(a.expiresAt());
      balance(w, a.balance());
    } else if (answer instanceof Answer.Voided v) {
      w.write(VOIDED).uuid(v.authorizationId()).uuid(v.memberId()).varLong(v.releasedPoints());
      balance(w, v.balance());
    } else if (answer instanceof Answer.Refunded r) {
      w.write(REFUNDED).uuid(r.refundId()).uuid(r.transactionId()).varLong(r.reversedPoints())
          .varLong(r.restoredPoints()).varLong(r.shortfallPoints()).varLong(r.refundedMinor());
      balance(w, r.balance());
    }
    return w.toBytes();
  }

  public static byte[] fingerprintOf(byte[] record) {
    return Arrays.copyOf(record, FINGERPRINT_BYTES);
  }

  public static Answer decode(byte[] record) {
    Binary.Reader r = new Binary.Reader(record, FINGERPRINT_BYTES);
    int kind = r.read();
    return switch (kind) {
      case PURCHASE, PURCHASE_V1 -> new Answer.Purchase(r.uuid(), r.uuid(), r.varLong(), r.bool(), r.varLong(),
          r.varLong(), r.varLong(), r.varLong(), balance(r), r.varLong(),
          new Answer.Tier(r.string(), r.string(), r.varLong()), r.bool(), kind == PURCHASE ? r.varLong() : 0);
      case AUTHORIZED -> new Answer.Authorized(r.uuid(), r.uuid(), r.varLong(), r.varLong(), r.varLong(), balance(r));
      case VOIDED -> new Answer.Voided(r.uuid(), r.uuid(), r.varLong(), balance(r));
      case REFUNDED -> new Answer.Refunded(r.uuid(), r.uuid(), r.varLong(), r.varLong(), r.varLong(), r.varLong(),
          balance(r));
      default -> throw new IllegalArgumentException("stored answer of unknown kind " + kind);
    };
  }

  private static void balance(Binary.Writer w, Answer.Balance b) {
    w.varLong(b.available()).varLong(b.pending()).varLong(b.held());
  }

  private static Answer.Balance balance(Binary.Reader r) {
    return new Answer.Balance(r.varLong(), r.varLong(), r.varLong());
  }
}
