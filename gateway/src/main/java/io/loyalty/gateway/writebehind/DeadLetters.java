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
import io.loyalty.gateway.store.Database;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;

/**
 * The {@code dead-letters} command: lists the write-behind entries that were set aside because PostgreSQL refused
 * them, and with {@code replay} (once the cause is fixed) puts each back on its shard stream for the worker to
 * write like any other. Replaying is safe at any time: every write-behind statement is idempotent and only moves
 * forward in member seq, so an old entry cannot undo a newer one. An entry that still cannot be written is set
 * aside again. An entry that never can be written (its member never existed, say) is dropped with {@code drop},
 * which keeps a record of it in PostgreSQL.
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
          byte[] body = body(letter);
          out.printf("%d:%s  (was %s)  %s%n    %s%n", shard, letter.getId(), text(letter, "id"),
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

  /**
   * Removes one dead letter for good ({@code shard:id}, as listed), first recording it in PostgreSQL's
   * {@code dropped_dead_letters} (its bytes, its error, a summary, the reason given). For an entry that can never be
   * written. Safe to repeat. Returns false when there is no such letter.
   */
  public static boolean drop(String redisUrl, String databaseUrl, String letter, String reason, PrintStream out)
      throws SQLException {
    int colon = letter.indexOf(':');
    if (colon < 1) {
      throw new IllegalArgumentException("name the letter as listed: <shard>:<id>, e.g. 17:1732450000000-0");
    }
    int shard = Integer.parseInt(letter.substring(0, colon));
    String id = letter.substring(colon + 1);
    RedisClient client = RedisClient.create(redisUrl);
    try (StatefulRedisConnection<String, byte[]> connection = client.connect(Redis.CODEC);
         Connection sql = Database.connect(databaseUrl);
         PreparedStatement record = sql.prepareStatement("""
             INSERT INTO dropped_dead_letters (shard, letter_id, entry_id, error, summary, body, reason)
             VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING""")) {
      RedisCommands<String, byte[]> redis = connection.sync();
      List<StreamMessage<String, byte[]>> found = redis.xrange(Keys.deadLetters(shard), Range.create(id, id));
      if (found.isEmpty()) {
        return false;
      }
      StreamMessage<String, byte[]> dead = found.get(0);
      byte[] body = body(dead);
      record.setInt(1, shard);
      record.setString(2, id);
      record.setString(3, text(dead, "id"));
      record.setString(4, text(dead, "error"));
      record.setString(5, describe(body));
      record.setBytes(6, body);
      record.setString(7, reason);
      record.executeUpdate(); // recorded first: a crash before the delete leaves the letter, and a repeat is harmless
      redis.xdel(Keys.deadLetters(shard), id);
      out.printf("dropped %s, recorded in dropped_dead_letters: %s%n", letter, describe(body));
      return true;
    } finally {
      client.shutdown();
    }
  }

  private static byte[] body(StreamMessage<String, byte[]> letter) {
    return letter.getBody().getOrDefault("e", new byte[0]);
  }
}
