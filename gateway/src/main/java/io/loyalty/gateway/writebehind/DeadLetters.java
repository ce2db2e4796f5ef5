package io.loyalty.gateway.writebehind;

import io.lettuce.core.Range;
import io.lettuce.core.RedisClient;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.loyalty.gateway.store.Keys;
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

  /** Returns how many entries were found (and, with replay, put back). */
  public static int run(String redisUrl, boolean replay, PrintStream out) {
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      int found = 0;
      for (int shard = 0; shard < Keys.SHARDS; shard++) {
        String dead = Keys.deadLetters(shard);
        for (StreamMessage<String, String> letter : redis.xrange(dead, Range.create("-", "+"))) {
          found++;
          String body = letter.getBody().getOrDefault("e", "");
          out.printf("shard %d  %s  (was %s)  %s%n    %s%n", shard, letter.getId(), letter.getBody().get("id"),
              letter.getBody().get("error"), body.length() > BODY_SHOWN ? body.substring(0, BODY_SHOWN) + "…" : body);
          if (replay) {
            if (!body.isEmpty()) {
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
