package io.loyalty.gateway.member;

import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/** The JSON shapes of a member and of a ledger page. */
public final class MemberView {
  private MemberView() {
  }

  /** Renders the reply of view.lua. */
  static JsonObject render(Program program, UUID id, List<Object> r) {
    long spend = Long.parseLong((String) r.get(4));
    long nextAt = Long.parseLong((String) r.get(5));
    return new JsonObject()
        .put("member_id", id.toString())
        .put("program_id", program.id())
        .put("phone", r.get(7))
        .put("card", emptyToNull(r.get(8)))
        .put("external_id", emptyToNull(r.get(9)))
        .put("consents", new JsonObject().put("personal_data", "1".equals(r.get(10)))
            .put("marketing", "1".equals(r.get(11))))
        .put("tier", program.tierJson(spend))
        .put("balance", balance(r.get(1), r.get(2), r.get(3)))
        .put("lifetime_spend_minor", spend)
        .put("next_expiry", nextAt < 0 ? null : new JsonObject()
            .put("points", Long.parseLong((String) r.get(6)))
            .put("at", Instant.ofEpochMilli(nextAt).toString()))
        .put("enrolled_at", Instant.ofEpochMilli(Long.parseLong((String) r.get(12))).toString());
  }

  public static JsonObject balance(Object available, Object pending, Object held) {
    return new JsonObject()
        .put("available", Long.parseLong(String.valueOf(available)))
        .put("pending", Long.parseLong(String.valueOf(pending)))
        .put("held", Long.parseLong(String.valueOf(held)));
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

  private static String emptyToNull(Object value) {
    return value == null || "".equals(value) ? null : value.toString();
  }
}
