package io.loyalty.gateway.authorization;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.member.MemberView;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.member.Transactions;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.PurchaseRequest;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.purchase.Rules;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The second phase of the payment-processor flow: capture (for the final receipt), void, and reading an
 * authorisation. The authorisation itself is made by {@link Purchases#authorize}.
 * States: authorized → captured | voided | expired (by the gateway, once the hold TTL passes).
 */
public final class Authorizations {
  private final ProgramRegistry programs;
  private final Members members;
  private final Transactions transactions;
  private final Redis redis;
  private final Clock clock;
  private final InFlight inFlight;
  private final long idempotencyTtlSeconds;

  public Authorizations(ProgramRegistry programs, Members members, Transactions transactions, Redis redis,
      Clock clock, InFlight inFlight, long idempotencyTtlSeconds) {
    this.programs = programs;
    this.members = members;
    this.transactions = transactions;
    this.redis = redis;
    this.clock = clock;
    this.inFlight = inFlight;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
  }

  /** POST /v1/authorizations/{authorization_id}/capture */
  public Future<Reply> capture(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    String key = Requests.idempotencyKey(ctx);
    UUID id = authorizationId(ctx);
    Program program = programs.requireProgram(till.programId());
    JsonObject body = optionalBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", Set.of("total_minor", "lines"));
    Long total = f.integer(body, "", "total_minor", -1L, 1, Fields.MAX_AMOUNT_MINOR);
    Rules.Receipt receipt = body.containsKey("lines") ? finalReceipt(f, body) : null;
    f.throwIfInvalid();
    String fingerprint = Purchases.fingerprint("POST /v1/authorizations/" + id + "/capture", body);
    return inFlight.guard(till, key, () -> transactions.locate(till, id).compose(found -> {
      JsonObject record = authorization(found.record());
      long authorizedTotal = record.getLong("tot");
      long finalTotal;
      long eligible;
      String lines = "";
      if (receipt != null) {
        Rules.Plan plan = Rules.plan(program, receipt, 0);
        finalTotal = plan.totalMinor();
        eligible = plan.eligibleMinor();
        lines = Rules.linesBySku(program, receipt).encode();
      } else if (total > 0) {
        finalTotal = total;
        eligible = Rules.proportion(record.getLong("el"), Math.min(total, authorizedTotal), authorizedTotal);
      } else {
        finalTotal = authorizedTotal;
        eligible = record.getLong("el");
      }
      if (finalTotal > authorizedTotal) {
        throw exceeds(authorizedTotal);
      }
      List<String> args = new ArrayList<>(List.of(Long.toString(clock.millis()), fingerprint,
          Long.toString(idempotencyTtlSeconds), program.id(), key, id.toString(), till.ref().toString(),
          Long.toString(finalTotal), Long.toString(eligible), Long.toString(Rules.capPoints(program, eligible)), lines,
          Long.toString(program.pointValueMinor()), program.accrueOn() == Program.AccrueOn.PAID ? "1" : "0",
          Long.toString(program.accrualRateBp()), Long.toString(program.pendingDays() * Purchases.DAY_MILLIS),
          Long.toString(program.expiryDays() == null ? -1 : program.expiryDays() * Purchases.DAY_MILLIS)));
      args.addAll(Purchases.tierArgs(program));
      String[] keys = Keys.change(found.member(), till.ref(), key);
      return transactions.run(found.member(), id, () -> redis.run(Script.CAPTURE, keys, args.toArray(String[]::new)));
    }).map(reply -> switch ((String) reply.get(0)) {
      case "OK" -> new Reply(200, captured((String) reply.get(1)));
      case "REPLAY" -> new Reply(200, captured((String) reply.get(1)), true);
      case "EXCEEDS" -> throw exceeds(Long.parseLong((String) reply.get(1)));
      default -> throw refusal(reply);
    }));
  }

  /** POST /v1/authorizations/{authorization_id}/void */
  public Future<Reply> voidAuthorization(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    String key = Requests.idempotencyKey(ctx);
    UUID id = authorizationId(ctx);
    Program program = programs.requireProgram(till.programId());
    JsonObject body = optionalBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", Set.of());
    f.throwIfInvalid();
    String fingerprint = Purchases.fingerprint("POST /v1/authorizations/" + id + "/void", body);
    return inFlight.guard(till, key, () -> transactions.locate(till, id).compose(found -> {
      authorization(found.record());
      String[] keys = Keys.change(found.member(), till.ref(), key);
      return transactions.run(found.member(), id, () -> redis.run(Script.VOID, keys, Long.toString(clock.millis()),
          fingerprint, Long.toString(idempotencyTtlSeconds), program.id(), key, id.toString(), till.ref().toString()));
    }).map(reply -> switch ((String) reply.get(0)) {
      case "OK" -> new Reply(200, voided((String) reply.get(1)));
      case "REPLAY" -> new Reply(200, voided((String) reply.get(1)), true);
      default -> throw refusal(reply);
    }));
  }

  /** GET /v1/authorizations/{authorization_id} */
  public Future<Reply> get(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    UUID id = authorizationId(ctx);
    Program program = programs.requireProgram(till.programId());
    // Reading the member first matures it, so a hold past its TTL shows as expired.
    return transactions.locate(till, id)
        .compose(found -> members.view(program, found.member()))
        .compose(member -> transactions.locate(till, id))
        .map(found -> new Reply(200, describe(authorization(found.record()))));
  }

  /** The final receipt of a capture: its lines, adding up to total_minor (taken as their sum when absent). */
  private static Rules.Receipt finalReceipt(Fields f, JsonObject body) {
    JsonObject receipt = body.copy().put("number", "capture");
    if (!body.containsKey("total_minor")) {
      receipt.put("total_minor", PurchaseRequest.sumOfLines(body.getValue("lines")));
    }
    return PurchaseRequest.receipt(f, "", receipt);
  }

  private static JsonObject authorization(JsonObject record) {
    if (!"authorization".equals(record.getString("kind"))) {
      throw Transactions.notFound();
    }
    return record;
  }

  static JsonObject describe(JsonObject r) {
    String status = r.getString("st");
    JsonObject json = new JsonObject()
        .put("authorization_id", r.getString("id"))
        .put("status", status)
        .put("receipt_number", r.getString("rn"))
        .put("authorized_total_minor", r.getLong("atot", r.getLong("tot")))
        .put("held_points", r.getLong("held", 0L))
        .put("expected_accrual_points", r.getLong("eacc", 0L))
        .put("expires_at", Instant.ofEpochMilli(r.getLong("xat")).toString())
        .put("captured", null);
    if ("captured".equals(status)) {
      json.put("captured", new JsonObject()
          .put("total_minor", r.getLong("tot"))
          .put("redeemed_points", r.getLong("red"))
          .put("saved_minor", r.getLong("sav"))
          .put("accrued_points", r.getLong("acc")));
    }
    return json;
  }

  private static JsonObject captured(String outcome) {
    return Purchases.render(outcome).put("status", "captured");
  }

  private static JsonObject voided(String outcome) {
    String[] o = outcome.split("\\|", -1);
    return new JsonObject()
        .put("authorization_id", o[0])
        .put("member_id", o[1])
        .put("status", "voided")
        .put("released_points", Long.parseLong(o[2]))
        .put("balance", MemberView.balance(o[3], o[4], o[5]));
  }

  private static ApiException refusal(List<Object> reply) {
    return switch ((String) reply.get(0)) {
      case "REUSE" -> Purchases.reuse();
      case "EXPIRED" -> new ApiException(ErrorCode.AUTHORIZATION_EXPIRED,
          "The hold expired uncaptured and was released; authorise again");
      case "STATE" -> new ApiException(ErrorCode.INVALID_STATE, "The authorisation is " + reply.get(1),
          new JsonObject().put("current_status", reply.get(1)));
      case "NOT_FOUND" -> Transactions.notFound();
      default -> throw new IllegalStateException("script answered " + reply);
    };
  }

  private static ApiException exceeds(long authorizedTotal) {
    return new ApiException(ErrorCode.CAPTURE_EXCEEDS_AUTHORIZATION,
        "The authorisation was for " + authorizedTotal + "; capture that or less",
        new JsonObject().put("authorized_total_minor", authorizedTotal));
  }

  private static UUID authorizationId(RoutingContext ctx) {
    UUID id = MemberRef.uuid(ctx.pathParam("authorization_id"));
    if (id == null) {
      throw Transactions.notFound();
    }
    return id;
  }

  /** Capture and void may be sent without a body. */
  private static JsonObject optionalBody(RoutingContext ctx) {
    return ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : Requests.jsonBody(ctx);
  }
}
