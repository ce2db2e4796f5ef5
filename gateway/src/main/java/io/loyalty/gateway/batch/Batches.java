package io.loyalty.gateway.batch;

import io.loyalty.gateway.InTurn;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Problems;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.refund.Refunds;
import io.loyalty.gateway.store.StoreErrors;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /v1/batches}: a till that was offline uploads its receipts at once. Items run in order, each exactly
 * as its single call would (same idempotency key, same answer), dated by its own {@code occurred_at}. A client
 * error in one item is that item's result; a store outage stops the batch with a 503, and the till resends it:
 * the items already done come back as replays.
 */
public final class Batches {
  public static final int MAX_ITEMS = 1000;
  /** What a batch item may be. */
  private static final Set<String> KINDS = Set.of("purchase", "refund");
  /** How far ahead of the gateway's clock a till's clock may run. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

  private final ProgramRegistry programs;
  private final Purchases purchases;
  private final Refunds refunds;
  private final Clock clock;

  public Batches(ProgramRegistry programs, Purchases purchases, Refunds refunds, Clock clock) {
    this.programs = programs;
    this.purchases = purchases;
    this.refunds = refunds;
    this.clock = clock;
  }

  record Item(String key, String kind, Instant occurredAt, JsonObject body) {
  }

  /** POST /v1/batches */
  public Future<Reply> batch(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    Program program = programs.requireProgram(till.programId());
    JsonObject body = Requests.jsonBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", Set.of("items"));
    JsonArray array = f.array(body, "", "items", true, MAX_ITEMS);
    List<Item> items = new ArrayList<>();
    f.eachObject(array, "items", (path, item) -> {
      f.rejectUnknown(item, path, Set.of("idempotency_key", "occurred_at", "kind", "body"));
      String key = f.text(item, path, "idempotency_key", true, Requests.IDEMPOTENCY_KEY_MAX, Requests.IDEMPOTENCY_KEY);
      String kind = f.text(item, path, "kind", true, 8, KINDS::contains);
      String occurred = f.text(item, path, "occurred_at", true, 40, null);
      JsonObject itemBody = f.object(item, path, "body", true);
      Instant occurredAt = null;
      try {
        occurredAt = occurred == null ? null : Instant.parse(occurred);
      } catch (DateTimeParseException e) {
        f.error(path + "occurred_at", "must be an ISO-8601 instant such as 2026-11-23T10:15:30Z");
      }
      items.add(new Item(key, kind, occurredAt, itemBody));
    });
    if (array != null && array.isEmpty()) {
      f.error("items", "must have at least one item");
    }
    f.throwIfInvalid();
    JsonArray results = new JsonArray();
    return InTurn.each(items.iterator(), item -> run(till, program, item).map(results::add))
        .map(v -> new Reply(200, new JsonObject().put("results", results)));
  }

  /** One item's result; fails (so the whole batch does) only when a store is unavailable. */
  private Future<JsonObject> run(Till till, Program program, Item item) {
    Future<Reply> reply;
    try {
      checkAge(program, item.occurredAt());
      reply = item.kind().equals("purchase")
          ? purchases.transact(till, item.key(), item.body(), Purchases.Mode.PURCHASE, item.occurredAt().toEpochMilli())
          : refunds.refund(till, item.key(), item.body());
    } catch (RuntimeException e) {
      reply = Future.failedFuture(e);
    }
    return reply.map(r -> result(item, r.status(), r.json())).recover(e -> {
      ApiException problem = StoreErrors.asUnavailable(e);
      if (problem == null || problem.code().status() >= 500) {
        return Future.failedFuture(e);
      }
      return Future.succeededFuture(result(item, problem.code().status(), Problems.body(problem)));
    });
  }

  private void checkAge(Program program, Instant occurredAt) {
    Instant now = clock.instant();
    Fields f = new Fields();
    if (occurredAt.isAfter(now.plus(CLOCK_SKEW))) {
      f.error("occurred_at", "is in the future");
    } else if (occurredAt.isBefore(now.minus(Duration.ofDays(program.offlineMaxAgeDays())))) {
      f.error("occurred_at", "is older than the program's offline_max_age_days (" + program.offlineMaxAgeDays() + ")");
    }
    f.throwIfInvalid();
  }

  private static JsonObject result(Item item, int status, JsonObject body) {
    return new JsonObject().put("idempotency_key", item.key()).put("status", status).put("body", body);
  }

}
