package io.loyalty.gateway.authorization;

import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.member.Transactions;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.PurchaseRequest;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.purchase.Receipt;
import io.loyalty.gateway.rules.Authorization;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.rules.Transaction;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.Instant;
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
  private final MemberStore store;
  private final Transactions transactions;
  private final Clock clock;
  private final InFlight inFlight;

  public Authorizations(ProgramRegistry programs, Members members, MemberStore store, Transactions transactions,
      Clock clock, InFlight inFlight) {
    this.programs = programs;
    this.members = members;
    this.store = store;
    this.transactions = transactions;
    this.clock = clock;
    this.inFlight = inFlight;
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
    Receipt receipt = body.containsKey("lines") ? finalReceipt(f, body) : null;
    f.throwIfInvalid();
    Command.Capture capture;
    if (receipt != null) {
      Receipt.Planned planned = receipt.plan(program);
      capture = new Command.Capture(id, planned.totalMinor(), planned.eligibleMinor(), planned.lines());
    } else {
      capture = new Command.Capture(id, total, -1, null);
    }
    return act(till, key, program, id, "capture", body, capture);
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
    return act(till, key, program, id, "void", body, new Command.Void(id));
  }

  /** A capture or void: decided from the authorisation in the member's state, or refused from its record. */
  private Future<Reply> act(Till till, String key, Program program, UUID id, String action, JsonObject body,
      Command command) {
    MemberStore.Request asked = new MemberStore.Request(till.ref(), key,
        Purchases.fingerprint("POST /v1/authorizations/" + id + "/" + action, body));
    return inFlight.guard(till, key, () -> transactions.owner(id).compose(member ->
        store.change(member, program.id(), asked, state -> decide(state, member, id, command, program))
            .recover(Authorizations::foreign))
        .map(outcome -> Answers.reply(200, outcome)));
  }

  private Future<Decision> decide(MemberState state, UUID member, UUID id, Command command, Program program) {
    if (state.authorization(id) != null) {
      return Future.succeededFuture(Rules.decide(state, command, program, clock.millis()));
    }
    return transactions.record(member, id, state.seq())
        .map(stored -> Rules.refuse(state, Rules.notOpen(stored), program, clock.millis()));
  }

  /** GET /v1/authorizations/{authorization_id} */
  public Future<Reply> get(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    UUID id = authorizationId(ctx);
    Program program = programs.requireProgram(till.programId());
    // reading the member matures it first, so a hold past its TTL shows as expired
    return transactions.owner(id).compose(member -> members.matured(program, member).recover(Authorizations::foreign)
        .compose(state -> {
          Authorization a = state.authorization(id);
          return a != null ? Future.succeededFuture(Transaction.of(program.id(), a, List.of(), -1))
              : transactions.record(member, id, state.seq());
        }))
        .map(t -> {
          if (t == null || t.kind() != Transaction.Kind.AUTHORIZATION) {
            throw Answers.transactionNotFound();
          }
          return new Reply(200, describe(t));
        });
  }

  /** Another program's member: the transaction is not this till's to see. */
  private static <T> Future<T> foreign(Throwable e) {
    return Future.failedFuture(e instanceof ApiException api && api.code() == ErrorCode.MEMBER_NOT_FOUND
        ? Answers.transactionNotFound() : e);
  }

  /** The final receipt of a capture: its lines, adding up to total_minor (taken as their sum when absent). */
  private static Receipt finalReceipt(Fields f, JsonObject body) {
    JsonObject receipt = body.copy().put("number", "capture");
    if (!body.containsKey("total_minor")) {
      receipt.put("total_minor", PurchaseRequest.sumOfLines(body.getValue("lines")));
    }
    return PurchaseRequest.receipt(f, "", receipt);
  }

  static JsonObject describe(Transaction t) {
    JsonObject json = new JsonObject()
        .put("authorization_id", t.id().toString())
        .put("status", t.status())
        .put("receipt_number", t.receipt())
        .put("authorized_total_minor", t.authorizedTotalMinor())
        .put("held_points", t.heldPoints())
        .put("expected_accrual_points", t.expectedAccrualPoints())
        .put("expires_at", Instant.ofEpochMilli(t.expiresAt()).toString())
        .put("captured", null);
    if (Transaction.CAPTURED.equals(t.status())) {
      json.put("captured", new JsonObject()
          .put("total_minor", t.totalMinor())
          .put("redeemed_points", t.redeemedPoints())
          .put("saved_minor", t.savedMinor())
          .put("accrued_points", t.accruedPoints()));
    }
    return json;
  }

  private static UUID authorizationId(RoutingContext ctx) {
    UUID id = MemberRef.uuid(ctx.pathParam("authorization_id"));
    if (id == null) {
      throw Answers.transactionNotFound();
    }
    return id;
  }

  /** Capture and void may be sent without a body. */
  private static JsonObject optionalBody(RoutingContext ctx) {
    return ctx.body() == null || ctx.body().length() <= 0 ? new JsonObject() : Requests.jsonBody(ctx);
  }
}
