package io.loyalty.gateway.webhook;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Queries;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.net.URI;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/** The managers' webhook calls: register, list and remove a program's webhooks; read and retry deliveries. */
public final class WebhookRoutes {
  static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  static final int MAX_URL_CHARS = 2048;
  static final int MIN_SECRET_CHARS = 16;
  static final int MAX_SECRET_CHARS = 256;
  static final int MAX_DELIVERIES_PAGE = 500;
  static final String UPSERT = """
      INSERT INTO webhooks AS w (program_id, name, url, secret, events) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (program_id, name) DO UPDATE
         SET url = excluded.url, secret = excluded.secret, events = excluded.events, updated_at = now()
      RETURNING (xmax = 0) AS created, created_at, updated_at""";
  static final String SELECT = """
      SELECT name, url, events, created_at, updated_at FROM webhooks WHERE program_id = $1 ORDER BY name""";
  static final String DELETE = "DELETE FROM webhooks WHERE program_id = $1 AND name = $2";
  static final String SELECT_DELIVERIES = """
      SELECT d.id, d.event_id, d.webhook, d.status, d.attempts, d.next_attempt_at, d.last_attempt_at,
             d.last_status, d.last_error, d.delivered_at, o.type, o.member_id, o.occurred_at
        FROM webhook_deliveries d JOIN outbox o ON o.id = d.event_id
       WHERE d.program_id = $1 AND d.status = $2 AND d.id > $3
       ORDER BY d.id
       LIMIT $4""";
  static final String RETRY = """
      UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = $3, window_start = $3
       WHERE program_id = $1 AND event_id = $2
      RETURNING webhook""";
  private static final Set<String> FIELDS = Set.of("url", "secret", "events");

  private final ProgramRegistry programs;
  private final byte[] adminTokenHash;
  private final Pool pool;
  private final Clock clock;

  public WebhookRoutes(ProgramRegistry programs, byte[] adminTokenHash, Pool pool, Clock clock) {
    this.programs = programs;
    this.adminTokenHash = adminTokenHash;
    this.pool = pool;
    this.clock = clock;
  }

  /** PUT /v1/admin/programs/{program_id}/webhooks/{name} */
  public Future<Reply> put(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    JsonObject body = Requests.jsonBody(ctx);
    Fields f = new Fields();
    String name = ctx.pathParam("name");
    if (!NAME.matcher(name).matches()) {
      f.error("name", "must be 1 to 63 lowercase letters, digits, '_' or '-', starting with a letter or digit");
    }
    f.rejectUnknown(body, "", FIELDS);
    String url = f.text(body, "", "url", true, MAX_URL_CHARS, null);
    if (url != null && !isHttpUrl(url)) {
      f.error("url", "must be an absolute http or https URL");
    }
    String secret = f.text(body, "", "secret", true, MAX_SECRET_CHARS, null);
    if (secret != null && secret.length() < MIN_SECRET_CHARS) {
      f.error("secret", "must be at least " + MIN_SECRET_CHARS + " characters");
    }
    JsonArray events = f.array(body, "", "events", true, Outbox.TYPES.size());
    Set<String> types = new LinkedHashSet<>();
    for (int i = 0; events != null && i < events.size(); i++) {
      Object type = events.getValue(i);
      if (!(type instanceof String t) || !Outbox.TYPES.contains(t)) {
        f.error("events[" + i + "]", "must be one of " + String.join(", ", Outbox.TYPES));
      } else if (!types.add(t)) {
        f.error("events[" + i + "]", "is listed twice");
      }
    }
    if (events != null && events.isEmpty()) {
      f.error("events", "must name at least one event type");
    }
    f.throwIfInvalid();
    String[] typeArray = types.toArray(String[]::new);
    return pool.preparedQuery(UPSERT).execute(Tuple.of(program.id(), name, url, secret, typeArray)).map(rows -> {
      Row row = rows.iterator().next();
      return new Reply(row.getBoolean("created") ? 201 : 200, webhook(name, url, new JsonArray(types.stream().toList()),
          row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at")));
    });
  }

  /** GET /v1/admin/programs/{program_id}/webhooks: the secrets are never shown. */
  public Future<Reply> list(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    return pool.preparedQuery(SELECT).execute(Tuple.of(program.id())).map(rows -> {
      JsonArray list = new JsonArray();
      for (Row row : rows) {
        list.add(webhook(row.getString("name"), row.getString("url"), new JsonArray(java.util.List.of(
            row.getArrayOfStrings("events"))), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("updated_at")));
      }
      return new Reply(200, new JsonObject().put("webhooks", list));
    });
  }

  /** DELETE /v1/admin/programs/{program_id}/webhooks/{name}: with its deliveries, made or not. */
  public Future<Reply> delete(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    String name = ctx.pathParam("name");
    return pool.preparedQuery(DELETE).execute(Tuple.of(program.id(), name)).map(rows -> {
      if (rows.rowCount() == 0) {
        throw new ApiException(ErrorCode.WEBHOOK_NOT_FOUND, "No webhook '" + name + "' in this program");
      }
      return new Reply(200, new JsonObject().put("program_id", program.id()).put("name", name).put("deleted", true));
    });
  }

  /** GET /v1/admin/programs/{program_id}/webhook-deliveries?status=&limit=&cursor= (oldest first) */
  public Future<Reply> deliveries(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    Fields f = new Fields();
    String status = ctx.queryParams().get("status");
    if (status == null) {
      status = "pending";
    } else if (!Set.of("pending", "failed", "delivered").contains(status)) {
      f.error("status", "must be pending, failed or delivered");
    }
    long limit = Queries.number(f, ctx, "limit", 100, 1, MAX_DELIVERIES_PAGE);
    long after = Queries.number(f, ctx, "cursor", 0, 0, Long.MAX_VALUE);
    f.throwIfInvalid();
    return pool.preparedQuery(SELECT_DELIVERIES).execute(Tuple.of(program.id(), status, after, limit)).map(rows -> {
      JsonArray list = new JsonArray();
      long last = -1;
      for (Row row : rows) {
        last = row.getLong("id");
        list.add(new JsonObject()
            .put("event_id", row.getUUID("event_id").toString())
            .put("type", row.getString("type"))
            .put("member_id", row.getUUID("member_id").toString())
            .put("occurred_at", time(row.getOffsetDateTime("occurred_at")))
            .put("webhook", row.getString("webhook"))
            .put("status", row.getString("status"))
            .put("attempts", row.getInteger("attempts"))
            .put("last_attempt_at", time(row.getOffsetDateTime("last_attempt_at")))
            .put("last_status", row.getInteger("last_status"))
            .put("last_error", row.getString("last_error"))
            .put("next_attempt_at", row.getString("status").equals("pending")
                ? time(row.getOffsetDateTime("next_attempt_at")) : null)
            .put("delivered_at", time(row.getOffsetDateTime("delivered_at"))));
      }
      return new Reply(200, new JsonObject().put("deliveries", list)
          .put("next_cursor", rows.size() == limit ? Long.toString(last) : null));
    });
  }

  /**
   * POST /v1/admin/programs/{program_id}/webhook-deliveries/{event_id}/retry: every delivery of the event is tried
   * again at once, with a new retry window.
   */
  public Future<Reply> retry(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    UUID event;
    try {
      event = UUID.fromString(ctx.pathParam("event_id"));
    } catch (IllegalArgumentException e) {
      throw new ApiException(ErrorCode.EVENT_NOT_FOUND, "No such event");
    }
    return pool.preparedQuery(RETRY).execute(Tuple.of(program.id(), event, Times.utc(clock.millis()))).map(rows -> {
      if (rows.rowCount() == 0) {
        throw new ApiException(ErrorCode.EVENT_NOT_FOUND, "No delivery of event " + event + " in this program");
      }
      JsonArray webhooks = new JsonArray();
      rows.forEach(row -> webhooks.add(row.getString("webhook")));
      return new Reply(200, new JsonObject().put("event_id", event.toString()).put("status", "pending")
          .put("webhooks", webhooks));
    });
  }

  private static JsonObject webhook(String name, String url, JsonArray events, OffsetDateTime created,
      OffsetDateTime updated) {
    return new JsonObject().put("name", name).put("url", url).put("events", events)
        .put("created_at", time(created)).put("updated_at", time(updated));
  }

  private static String time(OffsetDateTime at) {
    return at == null ? null : at.toInstant().toString();
  }

  private static boolean isHttpUrl(String url) {
    try {
      URI uri = new URI(url);
      return uri.isAbsolute() && ("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null && uri.getUserInfo() == null;
    } catch (java.net.URISyntaxException e) {
      return false;
    }
  }
}
