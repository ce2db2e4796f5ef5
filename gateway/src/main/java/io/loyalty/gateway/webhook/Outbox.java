package io.loyalty.gateway.webhook;

import io.loyalty.gateway.store.Columns;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

/**
 * The events about members, one per fact: each has a key that names its fact (a member's expiry at a seq, a lot's
 * reminder, a member's digest of a period), unique in the outbox, and is written in the transaction that records
 * the fact, with one delivery for every webhook of its program that takes its type. Writing a fact twice (a
 * replayed batch, a scan run again, a second gateway) writes nothing the second time.
 */
public final class Outbox {
  static final String INSERT = """
      WITH e AS (
        INSERT INTO outbox (id, fact_key, program_id, type, member_id, occurred_at, body)
        SELECT i, k, p, t, m, timestamptz 'epoch' + at * interval '1 millisecond', b
          FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::bigint[], $7::text[])
               AS u(i, k, p, t, m, at, b)
        ON CONFLICT (fact_key) DO NOTHING
        RETURNING id, program_id, type)
      INSERT INTO webhook_deliveries (event_id, program_id, webhook, status, window_start, next_attempt_at)
      SELECT e.id, e.program_id, w.name, 'pending', $8, $8
        FROM e JOIN webhooks w ON w.program_id = e.program_id AND e.type = ANY (w.events)""";

  public static final String EXPIRING = "points.expiring";
  public static final String EXPIRED = "points.expired";
  public static final String REVIVED = "points.revived";
  public static final String DIGEST = "balance.digest";
  public static final String TIER_CHANGED = "tier.changed";
  public static final List<String> TYPES = List.of(EXPIRING, EXPIRED, REVIVED, DIGEST, TIER_CHANGED);

  private Outbox() {
  }

  /**
   * One fact about a member.
   *
   * @param key what makes the fact unique (its event id is derived from it)
   * @param phone the member's phone, given only with its consent to personal data
   * @param data the type's own fields
   */
  public record Fact(String key, String type, String programId, UUID member, String phone, long occurredAt,
      JsonObject data) {

    public UUID id() {
      return UUID.nameUUIDFromBytes(("loyalty-event:" + key).getBytes(StandardCharsets.UTF_8));
    }

    /** The JSON delivered: the common fields, then the type's own. */
    String body() {
      JsonObject body = new JsonObject().put("id", id().toString()).put("type", type).put("program_id", programId)
          .put("occurred_at", Instant.ofEpochMilli(occurredAt).toString()).put("member_id", member.toString());
      if (phone != null) {
        body.put("phone", phone);
      }
      return body.mergeIn(data).encode();
    }
  }

  /** Writes the facts not written yet, and their deliveries (due at {@code nowMillis}). */
  public static Future<Void> write(SqlClient client, List<Fact> facts, long nowMillis) {
    if (facts.isEmpty()) {
      return Future.succeededFuture();
    }
    Columns rows = new Columns(UUID.class, String.class, String.class, String.class, UUID.class, Long.class,
        String.class);
    for (Fact f : facts) {
      rows.add(f.id(), f.key(), f.programId(), f.type(), f.member(), f.occurredAt(), f.body());
    }
    Tuple tuple = rows.tuple().addValue(Times.utc(nowMillis));
    return client.preparedQuery(INSERT).execute(tuple).mapEmpty();
  }
}
