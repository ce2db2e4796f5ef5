package io.loyalty.gateway.authorization;

import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Voids authorisations whose hold expired uncaptured, without waiting for someone to touch the member: every
 * second, each shard's members with a hold due are matured through the usual change (which releases their expired
 * holds with a ledger entry, and files the member under its next hold). Several gateways may sweep at once; the
 * commit's version check makes the release happen exactly once.
 */
public final class HoldSweeper {
  public static final long PERIOD_MILLIS = 1000;
  /** Members matured per shard per sweep. */
  private static final int BATCH = 200;

  private final Redis redis;
  private final MemberStore store;
  private final ProgramRegistry programs;
  private final Clock clock;

  public HoldSweeper(Redis redis, MemberStore store, ProgramRegistry programs, Clock clock) {
    this.redis = redis;
    this.store = store;
    this.programs = programs;
    this.clock = clock;
  }

  public Future<Void> sweep() {
    long now = clock.millis();
    List<Future<?>> shards = new ArrayList<>();
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      String due = Keys.holdsDue(shard);
      shards.add(redis.call(c -> c.zrangebyscore(due, Range.create(Double.NEGATIVE_INFINITY, (double) now),
          Limit.create(0, BATCH))).compose(members -> {
            List<Future<?>> swept = new ArrayList<>();
            for (byte[] member : members) {
              swept.add(mature(due, UUID.fromString(new String(member, StandardCharsets.US_ASCII)), now));
            }
            return Future.all(swept);
          }));
    }
    return Future.all(shards).mapEmpty();
  }

  private Future<Void> mature(String due, UUID member, long now) {
    return store.read(member).compose(state -> {
      Program program = programs.requireProgram(state.programId());
      return store.change(member, program.id(), null,
          s -> Future.succeededFuture(Rules.decide(s, new Command.Mature(), program, now)))
          .compose(outcome -> refile(due, outcome.decision().state()));
    });
  }

  /** A member whose due hold was already released elsewhere (say, before Redis lost the index) is filed anew. */
  private Future<Void> refile(String due, MemberState state) {
    long next = state.nextHoldExpiry();
    byte[] member = state.id().toString().getBytes(StandardCharsets.US_ASCII);
    return (next == Lot.NEVER ? redis.call(c -> c.zrem(due, member))
        : redis.call(c -> c.zadd(due, (double) next, member))).mapEmpty();
  }
}
