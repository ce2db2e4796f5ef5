package io.loyalty.gateway.refund;

import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.Transactions;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Rules;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /v1/refunds}: a full or partial return of a captured purchase or authorisation. The transaction's
 * record comes from PostgreSQL once it has caught up with the member; the rules decide the refund from it and
 * the member's state, and it commits like any change (so concurrent refunds of one transaction are serialised by
 * the member's seq).
 */
public final class Refunds {
  private final ProgramRegistry programs;
  private final MemberStore store;
  private final Transactions transactions;
  private final Clock clock;
  private final InFlight inFlight;

  public Refunds(ProgramRegistry programs, MemberStore store, Transactions transactions, Clock clock,
      InFlight inFlight) {
    this.programs = programs;
    this.store = store;
    this.transactions = transactions;
    this.clock = clock;
    this.inFlight = inFlight;
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
    Map<String, Long> bySku = lines == null ? null : bySku(lines, f);
    f.throwIfInvalid();
    MemberStore.Request asked = new MemberStore.Request(till.ref(), key, Purchases.fingerprint("POST /v1/refunds", body));
    UUID refundId = UUID.randomUUID();
    return inFlight.guard(till, key, () -> transactions.owner(id).compose(member -> store.stored(member, asked)
        .compose(stored -> stored != null ? Future.succeededFuture(Reply.encoded(201, Answers.json(stored), true))
            : store.change(member, program.id(), asked, state -> transactions.record(member, id, state.seq())
                .map(transaction -> {
                  if (transaction == null || !transaction.programId().equals(program.id())) {
                    throw Answers.transactionNotFound();
                  }
                  return Rules.decide(state, new Command.Refund(refundId, transaction, bySku, amount), program,
                      clock.millis());
                })).map(outcome -> Answers.reply(201, outcome))))
        .recover(e -> Future.failedFuture(e instanceof ApiException api && api.code() == ErrorCode.MEMBER_NOT_FOUND
            ? Answers.transactionNotFound() : e)));
  }

  /** Refund lines by SKU, duplicates added together. */
  static Map<String, Long> bySku(JsonArray lines, Fields f) {
    Map<String, Long> bySku = new LinkedHashMap<>();
    f.eachObject(lines, "lines", (path, line) -> {
      f.rejectUnknown(line, path, Set.of("sku", "amount_minor"));
      String sku = f.text(line, path, "sku", true, 64, null);
      Long amount = f.integer(line, path, "amount_minor", null, 1, Fields.MAX_AMOUNT_MINOR);
      if (sku != null && amount != null) {
        bySku.merge(sku, amount, Long::sum);
      }
    });
    return bySku;
  }
}
