package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.Script;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code POST /v1/purchases}: authenticate the till, validate, plan with the pure rules, then one Redis script
 * does the rest (idempotency, maturing lots, redemption, accrual, stored answer, write-behind event).
 */
public final class Purchases {
  private static final long DAY_MILLIS = 86_400_000L;

  private final ProgramRegistry programs;
  private final Members members;
  private final Redis redis;
  private final Clock clock;
  private final long idempotencyTtlSeconds;
  private final long maxBacklogPerShard;
  private final MeterRegistry registry;
  /** (till, key) pairs being processed by this gateway: a concurrent duplicate gets 409 instead of waiting. */
  private final Set<String> inFlight = ConcurrentHashMap.newKeySet();

  public Purchases(ProgramRegistry programs, Members members, Redis redis, Clock clock, long idempotencyTtlSeconds,
      long maxBacklogEntries, MeterRegistry registry) {
    this.registry = registry;
    this.programs = programs;
    this.members = members;
    this.redis = redis;
    this.clock = clock;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
    this.maxBacklogPerShard = Math.max(1, maxBacklogEntries / Keys.SHARDS);
  }

  public Future<Reply> purchase(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    String key = Requests.idempotencyKey(ctx);
    Program program = programs.requireProgram(till.programId());
    JsonObject body = Requests.jsonBody(ctx);
    PurchaseRequest request = PurchaseRequest.parse(body, program);
    Rules.Plan plan = Rules.plan(program, request.receipt(), request.redeemPoints());
    String fingerprint = fingerprint("POST /v1/purchases", body);
    String flight = till.ref() + " " + key;
    if (!inFlight.add(flight)) {
      throw new ApiException(ErrorCode.IDEMPOTENCY_KEY_IN_USE, "Retry once the first request has been answered");
    }
    return memberId(program, request)
        .compose(id -> {
          UUID transaction = Keys.newTransactionId(id);
          String[] keys = Keys.member(id, Keys.idempotency(id, till.ref(), key), Keys.stream(id),
              Keys.transactionIndex(transaction));
          String[] args = args(program, till, key, fingerprint, request, plan, transaction);
          return members.runLoading(id, () -> redis.run(Script.PURCHASE, keys, args));
        })
        .map(reply -> reply(program, reply))
        .onComplete(done -> inFlight.remove(flight));
  }

  private Future<UUID> memberId(Program program, PurchaseRequest request) {
    return members.resolve(program.id(), request.member()).compose(id -> {
      if (id != null) {
        return Future.succeededFuture(id);
      }
      if (!request.enrollIfMissing()) {
        return Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND,
            "No member with this " + (request.member().phone() != null ? "phone" : "card")
                + "; send enroll_if_missing: true with a phone to enrol one"));
      }
      return members.enrol(program.id(), new Members.Enrolment(request.member().phone(), null, null, false, false))
          .recover(e -> e instanceof ApiException api && api.code() == ErrorCode.MEMBER_EXISTS
              ? Future.succeededFuture(UUID.fromString(api.extensions().getString("member_id")))
              : Future.failedFuture(e));
    });
  }

  private String[] args(Program program, Till till, String key, String fingerprint, PurchaseRequest request,
      Rules.Plan plan, UUID transaction) {
    long now = clock.millis();
    List<String> args = new ArrayList<>(List.of(
        Long.toString(now),
        fingerprint,
        Long.toString(idempotencyTtlSeconds),
        Long.toString(maxBacklogPerShard),
        program.id(),
        key,
        transaction.toString(),
        till.ref().toString(),
        request.receipt().number(),
        Long.toString(plan.totalMinor()),
        Long.toString(plan.eligibleMinor()),
        Long.toString(plan.capPoints()),
        Long.toString(plan.redeemRequest()),
        Long.toString(program.pointValueMinor()),
        program.accrueOn() == Program.AccrueOn.PAID ? "1" : "0",
        Long.toString(program.accrualRateBp()),
        Long.toString(program.pendingDays() * DAY_MILLIS),
        Long.toString(program.expiryDays() == null ? -1 : program.expiryDays() * DAY_MILLIS),
        Long.toString(now),
        Rules.linesBySku(program, request.receipt()).encode(),
        "purchase",
        "0",
        Integer.toString(program.tiers().size())));
    for (Program.Tier tier : program.tiers()) {
      args.add(tier.name());
      args.add(Long.toString(tier.minSpendMinor()));
      args.add(Long.toString(tier.accrualRateBp()));
    }
    return args.toArray(String[]::new);
  }

  private Reply reply(Program program, List<Object> reply) {
    String status = (String) reply.get(0);
    return switch (status) {
      case "OK" -> count(program, new Reply(201, render((String) reply.get(1))));
      case "REPLAY" -> new Reply(201, render((String) reply.get(1)), true);
      case "REUSE" -> throw new ApiException(ErrorCode.IDEMPOTENCY_KEY_REUSE,
          "Use a new Idempotency-Key for a new request");
      case "BACKLOG" -> throw new ApiException(ErrorCode.BACKLOG_FULL, "PostgreSQL is behind; retry shortly");
      case "CAP" -> throw Rules.capExceeded(Long.parseLong((String) reply.get(1)));
      case "INSUFFICIENT" -> throw Rules.insufficient(Long.parseLong((String) reply.get(1)));
      default -> throw new IllegalStateException("purchase.lua answered " + reply);
    };
  }

  /** Points moved, per program: counted once per effect, never for a replay. */
  private Reply count(Program program, Reply reply) {
    Counter.builder("loyalty.points.accrued").description("Points accrued by purchases").baseUnit("points")
        .tag("program", program.id()).register(registry).increment(reply.body().getLong("accrued_points"));
    Counter.builder("loyalty.points.redeemed").description("Points redeemed by purchases").baseUnit("points")
        .tag("program", program.id()).register(registry).increment(reply.body().getLong("redeemed_points"));
    return reply;
  }

  /** The purchase answer, rebuilt from the outcome the script stored (so a replay is the same answer). */
  static JsonObject render(String outcome) {
    String[] o = outcome.split("\\|", -1);
    long toNext = Long.parseLong(o[14]);
    return new JsonObject()
        .put("transaction_id", o[0])
        .put("member_id", o[1])
        .put("accrued_points", Long.parseLong(o[2]))
        .put("accrued_status", o[3])
        .put("redeemed_points", Long.parseLong(o[4]))
        .put("total_minor", Long.parseLong(o[5]))
        .put("amount_due_minor", Long.parseLong(o[6]))
        .put("saved_minor", Long.parseLong(o[7]))
        .put("balance", new JsonObject()
            .put("available", Long.parseLong(o[8]))
            .put("pending", Long.parseLong(o[9]))
            .put("held", Long.parseLong(o[10])))
        .put("lifetime_spend_minor", Long.parseLong(o[11]))
        .put("tier", Program.tierJson(o[12].isEmpty() ? null : o[12], o[13].isEmpty() ? null : o[13],
            toNext < 0 ? null : toNext));
  }

  /**
   * 128 bits of SHA-256 over the route and the body as re-encoded JSON: whitespace does not matter, field order
   * and values do. The same request sent alone or inside a batch has the same fingerprint.
   */
  public static String fingerprint(String route, JsonObject body) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(route.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) '\n');
      sha.update(body.encode().getBytes(StandardCharsets.UTF_8));
      byte[] digest = sha.digest();
      return Base64.getUrlEncoder().withoutPadding().encodeToString(java.util.Arrays.copyOf(digest, 16));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
