package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Keys;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.Arrays;
import java.util.UUID;

/**
 * {@code POST /v1/purchases} and {@code POST /v1/authorizations} (the same body): authenticate the till, validate
 * and add up the receipt, find (or enrol) the member, then decide with the rules and commit.
 */
public final class Purchases {
  /** A one-step purchase, or the authorisation of one (points held, accrual only expected). */
  public enum Mode {
    PURCHASE("POST /v1/purchases"),
    AUTHORIZE("POST /v1/authorizations");

    final String route;

    Mode(String route) {
      this.route = route;
    }
  }

  /** One digest per thread: looking the algorithm up costs about as much as hashing a body. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  private final ProgramRegistry programs;
  private final Members members;
  private final MemberStore store;
  private final Clock clock;
  private final InFlight inFlight;

  public Purchases(ProgramRegistry programs, Members members, MemberStore store, Clock clock, InFlight inFlight) {
    this.programs = programs;
    this.members = members;
    this.store = store;
    this.clock = clock;
    this.inFlight = inFlight;
  }

  /** POST /v1/purchases */
  public Future<Reply> purchase(RoutingContext ctx) {
    return transact(ctx, Mode.PURCHASE);
  }

  /** POST /v1/authorizations */
  public Future<Reply> authorize(RoutingContext ctx) {
    return transact(ctx, Mode.AUTHORIZE);
  }

  private Future<Reply> transact(RoutingContext ctx, Mode mode) {
    Till till = Requests.till(ctx, programs);
    String key = Requests.idempotencyKey(ctx);
    PurchaseBody.Parsed fast = PurchaseBody.read(Requests.jsonBytes(ctx), mode.route);
    return fast != null ? transact(till, key, fast.request(), fast.fingerprint(), mode, clock.millis())
        : transact(till, key, Requests.jsonBody(ctx), mode, clock.millis());
  }

  /** One purchase or authorisation; {@code occurredAtMillis} dates its lots (an offline receipt's own time). */
  public Future<Reply> transact(Till till, String key, JsonObject body, Mode mode, long occurredAtMillis) {
    PurchaseRequest request = PurchaseRequest.parse(body, programs.requireProgram(till.programId()));
    return transact(till, key, request, fingerprint(mode.route, body), mode, occurredAtMillis);
  }

  private Future<Reply> transact(Till till, String key, PurchaseRequest request, byte[] fingerprint, Mode mode,
      long occurredAtMillis) {
    Program program = programs.requireProgram(till.programId());
    Receipt.Planned receipt = request.receipt().plan(program);
    MemberStore.Request asked = new MemberStore.Request(till.ref(), key, fingerprint);
    return inFlight.guard(till, key, () -> memberId(program, till, request).compose(member -> {
      Command.Buy buy = new Command.Buy(Keys.newTransactionId(member), till.ref(), till.storeId(),
          request.receipt().number(), receipt.totalMinor(), receipt.eligibleMinor(), receipt.lines(),
          request.redeemPoints(), occurredAtMillis, mode == Mode.AUTHORIZE);
      return store.change(member, program.id(), asked,
          state -> Future.succeededFuture(Rules.decide(state, buy, program, clock.millis())));
    }).map(outcome -> Answers.reply(201, outcome)));
  }

  private Future<UUID> memberId(Program program, Till till, PurchaseRequest request) {
    return members.resolve(program.id(), request.member()).compose(id -> {
      if (id != null) {
        return Future.succeededFuture(id);
      }
      if (!request.enrollIfMissing()) {
        return Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND,
            "No member with this " + (request.member().phone() != null ? "phone" : "card")
                + "; send enroll_if_missing: true with a phone to enrol one"));
      }
      return members.enrol(program.id(),
              new Members.Enrolment(request.member().phone(), null, null, false, false, false, till.ref()))
          .recover(e -> e instanceof ApiException api && api.code() == ErrorCode.MEMBER_EXISTS
              ? Future.succeededFuture(UUID.fromString(api.extensions().getString("member_id")))
              : Future.failedFuture(e));
    });
  }

  /**
   * 128 bits of SHA-256 over the route and the body as re-encoded JSON: whitespace does not matter, field order
   * and values do. The same request sent alone or inside a batch has the same fingerprint.
   */
  public static byte[] fingerprint(String route, JsonObject body) {
    return fingerprint(route, body.toBuffer().getBytes());
  }

  /** The same over a body already re-encoded as compact JSON. */
  static byte[] fingerprint(String route, byte[] compactJson) {
    MessageDigest sha = fingerprinting(route);
    sha.update(compactJson);
    return fingerprint(sha);
  }

  /** This thread's digest, reset and fed the route: the compact JSON goes in next, then {@link #fingerprint}. */
  static MessageDigest fingerprinting(String route) {
    MessageDigest sha = SHA_256.get();
    sha.reset(); // a pass that gave up half-way left its bytes in
    sha.update(route.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) '\n');
    return sha;
  }

  static byte[] fingerprint(MessageDigest fed) {
    return Arrays.copyOf(fed.digest(), 16);
  }

}
