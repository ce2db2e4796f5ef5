package io.loyalty.gateway.writebehind;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.io.PrintStream;
import java.util.Map;

/**
 * The {@code dead-letters} command: lists the write-behind entries that were set aside because PostgreSQL refused
 * them, and with {@code replay} (once the cause is fixed) puts each back on its shard stream for the worker to
 * write like any other. Replaying is safe at any time: every write-behind statement is idempotent and only moves
 * forward in member seq, so an old entry cannot undo a newer one. An entry that still cannot be written is set
 * aside again.
 */
public final class DeadLetters {
  private static final int BODY_SHOWN = 160;

  private DeadLetters() {
  }

  /** What an entry holds, for a person: the change it carries, or its first bytes when it does not decode. */
  public static String describe(byte[] body) {
    try {
      Event e = Event.decode(body);
      return "member " + e.member() + " of program " + e.programId() + " at seq " + e.seq() + ": "
          + e.entries().size() + " ledger entries, " + e.transactions().size() + " transaction records";
    } catch (RuntimeException notAnEvent) {
      String hex = HexFormat.of().formatHex(body, 0, Math.min(body.length, BODY_SHOWN / 2));
      return "undecodable (" + notAnEvent.getMessage() + "): " + hex + (body.length > BODY_SHOWN / 2 ? "…" : "");
    }
  }

  private static String text(StreamMessage<String, byte[]> letter, String field) {
    byte[] value = letter.getBody().get(field);
    return value == null ? null : new String(value, StandardCharsets.UTF_8);
  }

  /** Returns how many entries were found (and, with replay, put back). */
  public static int run(String redisUrl, boolean replay, PrintStream out) {
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, byte[]> connection = client.connect(Redis.CODEC)) {
      RedisCommands<String, byte[]> redis = connection.sync();
      int found = 0;
      for (int shard = 0; shard < Keys.SHARDS; shard++) {
        String dead = Keys.deadLetters(shard);
        for (StreamMessage<String, byte[]> letter : redis.xrange(dead, Range.create("-", "+"))) {
          found++;
          byte[] body = letter.getBody().getOrDefault("e", new byte[0]);
          out.printf("shard %d  %s  (was %s)  %s%n    %s%n", shard, letter.getId(), text(letter, "id"),
              text(letter, "error"), describe(body));
          if (replay) {
            if (body.length > 0) {
              redis.xadd(Keys.stream(shard), Map.of("e", body));
            }
            redis.xdel(dead, letter.getId());
          }
        }
      }
      out.printf("%d dead letter%s%s%n", found, found == 1 ? "" : "s",
          replay && found > 0 ? ", put back on their streams" : "");
      return found;
    } finally {
      client.shutdown();
    }
  }
}
