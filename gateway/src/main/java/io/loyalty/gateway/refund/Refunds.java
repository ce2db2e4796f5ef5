package io.loyalty.gateway.refund;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.member.MemberView;
import io.loyalty.gateway.member.Transactions;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/refunds}: a full or partial return of a captured purchase or authorisation. The amounts are
 * planned in Java from the transaction's record ({@link RefundPlan}, pure) and applied by refund.lua, which
 * refuses a plan made before another refund of the same transaction; then it is planned again.
 */
public final class Refunds {
  /** Plans tried before giving up on a transaction refunded concurrently by others. */
  private static final int MAX_PLANS = 5;

  private final ProgramRegistry programs;
  private final Transactions transactions;
  private final Redis redis;
  private final Clock clock;
  private final InFlight inFlight;
  private final long idempotencyTtlSeconds;

  public Refunds(ProgramRegistry programs, Transactions transactions, Redis redis, Clock clock, InFlight inFlight,
      long idempotencyTtlSeconds) {
    this.programs = programs;
    this.transactions = transactions;
    this.redis = redis;
    this.clock = clock;
    this.inFlight = inFlight;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
  }

  /** POST /v1/refunds */
  public Future<Reply> refund(RoutingContext ctx) {
    return refund(Requests.till(ctx, programs), Requests.idempotencyKey(ctx), Requests.jsonBody(ctx));
  }

  public Future<Reply> refund(Till till, String key, JsonObject body) {
    Program program = programs.requireProgram(till.programId());
    Fields f = new Fields();
    f.rejectUnknown(body, "", Set.of("transaction_id", "lines", "amount_minor"));
    UUID id = MemberRef.uuid(f.text(body, "", "transaction_id", true, 36, null));
    if (body.getValue("transaction_id") instanceof String && id == null) {
      f.error("transaction_id", "must be a transaction id (UUID)");
    }
    JsonArray lines = f.array(body, "", "lines", false, 500);
    Long amount = f.integer(body, "", "amount_minor", 0L, 1, Fields.MAX_AMOUNT_MINOR);
    if ((lines == null) == (amount == 0)) {
      f.error("lines", "send either lines or amount_minor");
    } else if (lines != null && lines.isEmpty()) {
      f.error("lines", "must have at least one line");
    }
    Map<String, Long> bySku = lines == null ? null : RefundPlan.bySku(lines, f);
    f.throwIfInvalid();
    String fingerprint = Purchases.fingerprint("POST /v1/refunds", body);
    UUID refundId = UUID.randomUUID();
    return inFlight.guard(till, key, () -> transactions.locate(till, id).compose(found -> {
      String[] keys = Keys.change(found.member(), till.ref(), key);
      return redis.call(c -> c.get(keys[7])).compose(stored -> stored != null
          ? Future.succeededFuture(List.<Object>of("REPLAY_CHECK", stored))
          : apply(till, key, program, found, keys, bySku, amount, fingerprint, refundId, 1));
    }).map(reply -> switch ((String) reply.get(0)) {
      case "REPLAY_CHECK" -> replayed((String) reply.get(1), fingerprint);
      case "OK" -> new Reply(201, render((String) reply.get(1)));
      case "REPLAY" -> new Reply(201, render((String) reply.get(1)), true);
      case "REUSE" -> throw Purchases.reuse();
      case "STATE" -> throw new ApiException(ErrorCode.INVALID_STATE,
          "Only a captured purchase or authorisation can be refunded; this one is " + reply.get(1),
          new JsonObject().put("current_status", reply.get(1)));
      case "NOT_FOUND" -> throw Transactions.notFound();
      default -> throw new IllegalStateException("refund.lua answered " + reply);
    }));
  }

  private Future<List<Object>> apply(Till till, String key, Program program, Transactions.Located found,
      String[] keys, Map<String, Long> bySku, long amount, String fingerprint, UUID refundId, int attempt) {
    JsonObject record = found.record();
    if (!"captured".equals(record.getString("st"))) {
      return Future.succeededFuture(List.of("STATE", record.getString("st")));
    }
    RefundPlan plan = RefundPlan.of(record, bySku, amount);
    return transactions.run(found.member(), UUID.fromString(record.getString("id")), () -> redis.run(Script.REFUND,
        keys, Long.toString(clock.millis()), fingerprint, Long.toString(idempotencyTtlSeconds), program.id(), key,
        record.getString("id"), till.ref().toString(), refundId.toString(), Long.toString(plan.refundsSeen()),
        Long.toString(plan.refundedMinor()), Long.toString(plan.refundedEligibleMinor()),
        Long.toString(plan.reversePoints()), Long.toString(plan.restorePoints()), plan.skuTotals().encode(),
        program.allowNegativeBalance() ? "1" : "0",
        Long.toString(program.restoreGraceDays() * Purchases.DAY_MILLIS)))
        .compose(reply -> {
          if (!"STALE".equals(reply.get(0))) {
            return Future.succeededFuture(reply);
          }
          if (attempt >= MAX_PLANS) {
            return Future.failedFuture(new ApiException(ErrorCode.IDEMPOTENCY_KEY_IN_USE,
                "The transaction is being refunded concurrently; retry with the same key"));
          }
          return transactions.locate(till, UUID.fromString(record.getString("id"))).compose(again ->
              apply(till, key, program, again, keys, bySku, amount, fingerprint, refundId, attempt + 1));
        });
  }

  /** The idempotency record was there before planning: answer from it (the script would, too). */
  private static Reply replayed(String stored, String fingerprint) {
    int newline = stored.indexOf('\n');
    if (!stored.substring(0, newline).equals(fingerprint)) {
      throw Purchases.reuse();
    }
    return new Reply(201, render(stored.substring(newline + 1)), true);
  }

  static JsonObject render(String outcome) {
    String[] o = outcome.split("\\|", -1);
    return new JsonObject()
        .put("refund_id", o[0])
        .put("transaction_id", o[1])
        .put("reversed_accrual_points", Long.parseLong(o[2]))
        .put("restored_points", Long.parseLong(o[3]))
        .put("clawback_shortfall_points", Long.parseLong(o[4]))
        .put("refunded_minor", Long.parseLong(o[5]))
        .put("balance", MemberView.balance(o[6], o[7], o[8]));
  }
}
