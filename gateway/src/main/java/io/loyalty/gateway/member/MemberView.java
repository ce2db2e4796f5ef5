package io.loyalty.gateway.member;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Instant;

/** The JSON shapes of a member and of a ledger page. */
public final class MemberView {
  private MemberView() {
  }

  /** A member as {@code GET /v1/members/{id}} shows it. */
  static JsonObject render(Program program, MemberState s) {
    Profile p = s.profile();
    Lot next = s.nextExpiring();
    return new JsonObject()
        .put("member_id", s.id().toString())
        .put("program_id", program.id())
        .put("phone", p.phone())
        .put("card", p.card())
        .put("external_id", p.externalId())
        .put("consents", consents(p))
        .put("tier", program.tierJson(s.spendMinor()))
        .put("balance", balance(s.available(), s.pending(), s.held()))
        .put("lifetime_spend_minor", s.spendMinor())
        .put("next_expiry", next == null ? null : new JsonObject()
            .put("points", next.remaining())
            .put("at", Instant.ofEpochMilli(next.expireAt()).toString()))
        .put("enrolled_at", Instant.ofEpochMilli(p.enrolledAt()).toString());
  }

  public static JsonObject consents(Profile p) {
    return new JsonObject().put("personal_data", p.personalData()).put("marketing", p.marketing())
        .put("service_notices", p.serviceNotices());
  }

  /** A member as a manager sees it: as a till does, with every lot (pending first, then by expiry). */
  public static JsonObject renderWithLots(Program program, MemberState s) {
    JsonArray lots = new JsonArray();
    s.pendingLots().forEach(lot -> lots.add(lot(lot, "pending")));
    s.availableLots().forEach(lot -> lots.add(lot(lot, "available")));
    return render(program, s).put("lots", lots);
  }

  private static JsonObject lot(Lot lot, String state) {
    return new JsonObject()
        .put("lot_id", lot.id())
        .put("state", state)
        .put("points", lot.points())
        .put("remaining", lot.remaining())
        .put("activates_at", Instant.ofEpochMilli(lot.activateAt()).toString())
        .put("expires_at", lot.expireAt() == Lot.NEVER ? null : Instant.ofEpochMilli(lot.expireAt()).toString());
  }

  public static JsonObject balance(long available, long pending, long held) {
    return new JsonObject().put("available", available).put("pending", pending).put("held", held);
  }

  static JsonObject ledgerPage(RowSet<Row> rows, int limit) {
    JsonArray entries = new JsonArray();
    long lastSeq = -1;
    for (Row row : rows) {
      lastSeq = row.getLong("seq");
      String store = row.getString("store_id");
      entries.add(new JsonObject()
          .put("seq", lastSeq)
          .put("kind", row.getString("kind"))
          .put("points", row.getLong("points"))
          .put("balance_change", new JsonObject()
              .put("available", row.getLong("available_delta"))
              .put("pending", row.getLong("pending_delta"))
              .put("held", row.getLong("held_delta")))
          .put("lot_id", row.getLong("lot_id"))
          .put("reason", row.getString("reason"))
          .put("transaction_id", row.getUUID("transaction_id") == null ? null : row.getUUID("transaction_id").toString())
          .put("receipt_number", row.getString("receipt_number"))
          .put("till", store == null ? null : new JsonObject().put("store_id", store).put("till_id", row.getString("till_id")))
          .put("at", row.getOffsetDateTime("occurred_at").toInstant().toString()));
    }
    return new JsonObject()
        .put("entries", entries)
        .put("next_cursor", rows.size() == limit ? Long.toString(lastSeq) : null);
  }
}
