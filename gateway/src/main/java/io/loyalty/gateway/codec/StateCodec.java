package io.loyalty.gateway.codec;

import io.loyalty.gateway.rules.Authorization;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.SkuLine;
import io.loyalty.gateway.rules.Taken;
import io.loyalty.gateway.rules.Visit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * A member's state as Redis and PostgreSQL keep it: the member seq as 8 big-endian bytes (the version the commit
 * script compares, without decoding anything), then a format version byte and the state. Lot expiry is written
 * relative to activation (0: never), so a lot takes ~15 bytes.
 */
public final class StateCodec {
  /** Bytes of the version header in front of every encoded state. */
  public static final int HEADER_BYTES = 8;
  /**
   * 1: before service-notice consent and second life (decoded with consent as personal data, nothing expired);
   * 2: before the stores of authorisations and the visits (decoded with neither: see V9's migration notes); 3.
   */
  private static final int FORMAT = 3;

  private StateCodec() {
  }

  /** The header a state at this seq starts with: what the commit script compares. */
  public static byte[] version(long seq) {
    return new Binary.Writer(HEADER_BYTES).fixedLong(seq).toBytes();
  }

  public static long seqOf(byte[] encoded) {
    return new Binary.Reader(encoded).fixedLong();
  }

  public static byte[] encode(MemberState s) {
    Binary.Writer w = new Binary.Writer(256 + 24 * (s.pendingLots().size() + s.availableLots().size()));
    w.fixedLong(s.seq()).write(FORMAT).uuid(s.id()).string(s.programId())
        .varLong(s.available()).varLong(s.pending()).varLong(s.held()).varLong(s.debt()).varLong(s.spendMinor());
    Profile p = s.profile();
    w.string(p.phone()).string(p.card()).string(p.externalId()).bool(p.personalData()).bool(p.marketing())
        .bool(p.serviceNotices()).varLong(p.enrolledAt());
    lots(w, s.pendingLots());
    lots(w, s.availableLots());
    w.varLong(s.authorizations().size());
    for (Authorization a : s.authorizations()) {
      w.uuid(a.id()).uuid(a.till()).string(a.store()).string(a.receipt()).varLong(a.occurredAt())
          .varLong(a.totalMinor()).varLong(a.eligibleMinor());
      lines(w, a.lines());
      w.varLong(a.heldPoints());
      taken(w, a.holdLots());
      w.varLong(a.expectedAccrualPoints()).varLong(a.expiresAt()).write(a.status().ordinal()).varLong(a.closedAt());
      Authorization.Captured c = a.captured();
      w.bool(c != null);
      if (c != null) {
        w.varLong(c.totalMinor()).varLong(c.redeemedPoints()).varLong(c.savedMinor()).varLong(c.accruedPoints());
      }
    }
    w.varLong(s.expired().size());
    for (Lot e : s.expired()) {
      w.varLong(e.id()).varLong(e.remaining()).varLong(e.expireAt());
    }
    w.varLong(s.visits().size());
    for (Visit v : s.visits()) {
      w.write(v.period()).varLong(v.start());
      if (v.period() == 's') {
        w.string(v.store());
      }
      w.write(v.receipts() | (v.redeemed() ? 4 : 0));
    }
    return w.toBytes();
  }

  /** What the front of an encoded state says: the member's row in PostgreSQL but for what needs the lots. */
  public record Summary(UUID id, String programId, long seq, long available, long pending, long held, long debt,
      long spendMinor, Profile profile) {
  }

  /** The front of an encoded state, without decoding its lots, authorisations and visits. */
  public static Summary summary(byte[] bytes) {
    return summary(new Binary.Reader(bytes));
  }

  private static Summary summary(Binary.Reader r) {
    long seq = r.fixedLong();
    int format = r.read();
    if (format < 1 || format > FORMAT) {
      throw new IllegalArgumentException("member state format " + format + " is not known");
    }
    var id = r.uuid();
    String program = r.string();
    long available = r.varLong();
    long pending = r.varLong();
    long held = r.varLong();
    long debt = r.varLong();
    long spend = r.varLong();
    String phone = r.string();
    String card = r.string();
    String externalId = r.string();
    boolean personalData = r.bool();
    boolean marketing = r.bool();
    Profile profile = new Profile(phone, card, externalId, personalData, marketing,
        format == 1 ? personalData : r.bool(), r.varLong());
    return new Summary(id, program, seq, available, pending, held, debt, spend, profile);
  }

  public static MemberState decode(byte[] bytes) {
    Binary.Reader r = new Binary.Reader(bytes);
    Summary summary = summary(r);
    int format = bytes[HEADER_BYTES];
    List<Lot> pendingLots = lots(r);
    List<Lot> availableLots = lots(r);
    int n = r.count();
    List<Authorization> authorizations = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      var authId = r.uuid();
      var till = r.uuid();
      String store = format >= 3 ? r.string() : "";
      String receipt = r.string();
      long occurredAt = r.varLong();
      long total = r.varLong();
      long eligible = r.varLong();
      List<SkuLine> lines = lines(r);
      long heldPoints = r.varLong();
      List<Taken> hold = taken(r);
      long expected = r.varLong();
      long expiresAt = r.varLong();
      Authorization.Status status = Authorization.Status.values()[r.read()];
      long closedAt = r.varLong();
      Authorization.Captured captured = r.bool()
          ? new Authorization.Captured(r.varLong(), r.varLong(), r.varLong(), r.varLong()) : null;
      authorizations.add(new Authorization(authId, till, store, receipt, occurredAt, total, eligible, lines,
          heldPoints, hold, expected, expiresAt, status, closedAt, captured));
    }
    List<Lot> expired = new ArrayList<>();
    int x = format == 1 ? 0 : r.count();
    for (int i = 0; i < x; i++) {
      long lotId = r.varLong();
      long points = r.varLong();
      long expireAt = r.varLong();
      expired.add(new Lot(lotId, points, points, expireAt, expireAt));
    }
    List<Visit> visits = new ArrayList<>();
    int v = format < 3 ? 0 : r.count();
    for (int i = 0; i < v; i++) {
      char period = (char) r.read();
      long start = r.varLong();
      String store = period == 's' ? r.string() : "";
      int counts = r.read();
      visits.add(new Visit(period, start, store, counts & 3, (counts & 4) != 0));
    }
    if (!r.done()) {
      throw new IllegalArgumentException("member state has bytes after its end");
    }
    return new MemberState(summary.id(), summary.programId(), summary.seq(), summary.available(), summary.pending(),
        summary.held(), summary.debt(), summary.spendMinor(), pendingLots, availableLots, List.copyOf(authorizations),
        summary.profile(), List.copyOf(expired), List.copyOf(visits));
  }

  private static void lots(Binary.Writer w, List<Lot> lots) {
    w.varLong(lots.size());
    for (Lot lot : lots) {
      w.varLong(lot.id()).varLong(lot.points()).varLong(lot.remaining()).varLong(lot.activateAt())
          .varLong(lot.expireAt() == Lot.NEVER ? 0 : lot.expireAt() - lot.activateAt() + 1);
    }
  }

  private static List<Lot> lots(Binary.Reader r) {
    int n = r.count();
    List<Lot> lots = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long id = r.varLong();
      long points = r.varLong();
      long remaining = r.varLong();
      long activateAt = r.varLong();
      long life = r.varLong();
      lots.add(new Lot(id, points, remaining, activateAt, life == 0 ? Lot.NEVER : activateAt + life - 1));
    }
    return List.copyOf(lots);
  }

  static void lines(Binary.Writer w, List<SkuLine> lines) {
    w.varLong(lines.size());
    for (SkuLine line : lines) {
      w.string(line.sku()).varLong(line.amountMinor()).varLong(line.eligibleMinor());
    }
  }

  static List<SkuLine> lines(Binary.Reader r) {
    int n = r.count();
    List<SkuLine> lines = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      lines.add(new SkuLine(r.string(), r.varLong(), r.varLong()));
    }
    return List.copyOf(lines);
  }

  static void taken(Binary.Writer w, List<Taken> taken) {
    w.varLong(taken.size());
    for (Taken t : taken) {
      w.varLong(t.lotId()).varLong(t.points()).varLong(t.activateAt()).varLong(t.lotPoints())
          .varLong(t.expireAt() == Lot.NEVER ? 0 : t.expireAt() - t.activateAt() + 1);
    }
  }

  static List<Taken> taken(Binary.Reader r) {
    int n = r.count();
    List<Taken> taken = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long lotId = r.varLong();
      long points = r.varLong();
      long activateAt = r.varLong();
      long lotPoints = r.varLong();
      long life = r.varLong();
      taken.add(new Taken(lotId, points, life == 0 ? Lot.NEVER : activateAt + life - 1, lotPoints, activateAt));
    }
    return List.copyOf(taken);
  }
}
