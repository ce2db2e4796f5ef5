package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.InFlight;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberView;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

/**
 * {@code POST /v1/purchases} and {@code POST /v1/authorizations} (the same body): authenticate the till,
 * validate, plan with the pure rules, then one Redis script does the rest (idempotency, maturing lots, redemption
 * or hold, accrual, transaction record, stored answer, write-behind event).
 */
public final class Purchases {
  public static final long DAY_MILLIS = 86_400_000L;

  /** A one-step purchase, or the authorisation of one (points held, accrual only expected). */
  public enum Mode {
    PURCHASE("purchase", "POST /v1/purchases"),
    AUTHORIZE("authorize", "POST /v1/authorizations");

    final String script;
    final String route;

    Mode(String script, String route) {
      this.script = script;
      this.route = route;
    }
  }

  private final ProgramRegistry programs;
  private final Members members;
  private final Redis redis;
  private final Clock clock;
  private final InFlight inFlight;
  private final long idempotencyTtlSeconds;
  private final long maxBacklogPerShard;
  private final MeterRegistry registry;

  public Purchases(ProgramRegistry programs, Members members, Redis redis, Clock clock, InFlight inFlight,
      long idempotencyTtlSeconds, long maxBacklogEntries, MeterRegistry registry) {
    this.programs = programs;
    this.members = members;
    this.redis = redis;
    this.clock = clock;
    this.inFlight = inFlight;
    this.idempotencyTtlSeconds = idempotencyTtlSeconds;
    this.maxBacklogPerShard = Math.max(1, maxBacklogEntries / Keys.SHARDS);
    this.registry = registry;
  }

  /** POST /v1/purchases */
  public Future<Reply> purchase(RoutingContext ctx) {
    return transact(Requests.till(ctx, programs), Requests.idempotencyKey(ctx), Requests.jsonBody(ctx),
        Mode.PURCHASE, clock.millis());
  }

  /** POST /v1/authorizations */
  public Future<Reply> authorize(RoutingContext ctx) {
    return transact(Requests.till(ctx, programs), Requests.idempotencyKey(ctx), Requests.jsonBody(ctx),
        Mode.AUTHORIZE, clock.millis());
  }

  /** One purchase or authorisation; {@code occurredAtMillis} dates its lots (an offline receipt's own time). */
  public Future<Reply> transact(Till till, String key, JsonObject body, Mode mode, long occurredAtMillis) {
    Program program = programs.requireProgram(till.programId());
    PurchaseRequest request = PurchaseRequest.parse(body, program);
    Rules.Plan plan = Rules.plan(program, request.receipt(), request.redeemPoints());
    String fingerprint = fingerprint(mode.route, body);
    return inFlight.guard(till, key, () -> memberId(program, request).compose(id -> {
      UUID transaction = Keys.newTransactionId(id);
      String[] keys = Keys.change(id, till.ref(), key, Keys.transactionIndex(transaction),
          Keys.holdsDue(Keys.shard(id)));
      String[] args = args(program, till, key, fingerprint, request, plan, transaction, mode, occurredAtMillis);
      return members.runLoading(id, () -> redis.run(Script.PURCHASE, keys, args));
    }).map(reply -> reply(program, mode, reply)));
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
      Rules.Plan plan, UUID transaction, Mode mode, long occurredAtMillis) {
    List<String> args = new ArrayList<>(List.of(
        Long.toString(clock.millis()),
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
        Long.toString(occurredAtMillis),
        Rules.linesBySku(program, request.receipt()).encode(),
        mode.script,
        Long.toString(program.holdTtlSeconds() * 1000L)));
    args.addAll(tierArgs(program));
    return args.toArray(String[]::new);
  }

  /** The program's tiers as the scripts read them (see read_tiers in member.lua). */
  public static List<String> tierArgs(Program program) {
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(program.tiers().size()));
    for (Program.Tier tier : program.tiers()) {
      args.add(tier.name());
      args.add(Long.toString(tier.minSpendMinor()));
      args.add(Long.toString(tier.accrualRateBp()));
    }
    return args;
  }

  private Reply reply(Program program, Mode mode, List<Object> reply) {
    String status = (String) reply.get(0);
    return switch (status) {
      case "OK" -> count(program, new Reply(201, render(mode, (String) reply.get(1))));
      case "REPLAY" -> new Reply(201, render(mode, (String) reply.get(1)), true);
      case "REUSE" -> throw reuse();
      case "BACKLOG" -> throw new ApiException(ErrorCode.BACKLOG_FULL, "PostgreSQL is behind; retry shortly");
      case "CAP" -> throw Rules.capExceeded(Long.parseLong((String) reply.get(1)));
      case "INSUFFICIENT" -> throw Rules.insufficient(Long.parseLong((String) reply.get(1)));
      default -> throw new IllegalStateException("purchase.lua answered " + reply);
    };
  }

  public static ApiException reuse() {
    return new ApiException(ErrorCode.IDEMPOTENCY_KEY_REUSE, "Use a new Idempotency-Key for a new request");
  }

  /** Points moved, per program: counted once per effect, never for a replay. */
  private Reply count(Program program, Reply reply) {
    Counter.builder("loyalty.points.accrued").description("Points accrued by purchases").baseUnit("points")
        .tag("program", program.id()).register(registry).increment(reply.body().getLong("accrued_points", 0L));
    Counter.builder("loyalty.points.redeemed").description("Points redeemed by purchases").baseUnit("points")
        .tag("program", program.id()).register(registry).increment(reply.body().getLong("redeemed_points", 0L));
    return reply;
  }

  private static JsonObject render(Mode mode, String outcome) {
    return mode == Mode.PURCHASE ? render(outcome) : renderAuthorization(outcome);
  }

  /** The purchase answer, rebuilt from the outcome the script stored (so a replay is the same answer). */
  public static JsonObject render(String outcome) {
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
        .put("balance", MemberView.balance(o[8], o[9], o[10]))
        .put("lifetime_spend_minor", Long.parseLong(o[11]))
        .put("tier", Program.tierJson(o[12].isEmpty() ? null : o[12], o[13].isEmpty() ? null : o[13],
            toNext < 0 ? null : toNext));
  }

  private static JsonObject renderAuthorization(String outcome) {
    String[] o = outcome.split("\\|", -1);
    return new JsonObject()
        .put("authorization_id", o[0])
        .put("member_id", o[1])
        .put("status", "authorized")
        .put("held_points", Long.parseLong(o[2]))
        .put("expected_accrual_points", Long.parseLong(o[3]))
        .put("expires_at", Instant.ofEpochMilli(Long.parseLong(o[4])).toString())
        .put("balance", MemberView.balance(o[5], o[6], o[7]));
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
