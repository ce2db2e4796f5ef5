package io.loyalty.gateway.member;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.loyalty.gateway.codec.TransactionCodec;
import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.rules.Transaction;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Finds purchases and authorisations. Open authorisations live in their member's state (found through a Redis
 * index); every transaction's record lives in PostgreSQL, written behind with each change. A record is read only
 * once PostgreSQL has caught up with the member's state it is decided with, so it is never older than that state.
 */
public final class Transactions {
  static final String SELECT_OWNER =
      "SELECT member_id FROM ledger WHERE transaction_id = $1 AND record IS NOT NULL LIMIT 1";
  static final String SELECT_RECORD = """
      SELECT (SELECT seq FROM member_balances WHERE member_id = $1) AS member_seq,
             (SELECT record FROM ledger WHERE transaction_id = $2 AND record IS NOT NULL
               ORDER BY seq DESC LIMIT 1) AS record""";
  /** How long a read waits for the write-behind to bring PostgreSQL up to the member (then 503). */
  static final long CATCH_UP_MILLIS = 3000;
  static final long CATCH_UP_POLL_MILLIS = 10;
  private static final int MAX_CACHED = 1_000_000;

  private final Vertx vertx;
  private final Pool pool;
  private final Redis redis;
  /** Transaction to member: never changes, so it never goes stale. Upkeep as for {@code MemberStore}'s states. */
  private final Cache<UUID, UUID> owners = Caffeine.newBuilder().maximumSize(MAX_CACHED).executor(Runnable::run)
      .build();

  public Transactions(Vertx vertx, Pool pool, Redis redis) {
    this.vertx = vertx;
    this.pool = pool;
    this.redis = redis;
  }

  /** The member a transaction belongs to; 404 when there is no such transaction. */
  public Future<UUID> owner(UUID transaction) {
    UUID cached = owners.getIfPresent(transaction);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return redis.call(c -> c.get(Keys.authorization(transaction))).compose(indexed -> indexed != null
        ? Future.succeededFuture(UUID.fromString(new String(indexed, StandardCharsets.US_ASCII)))
        : storedOwner(transaction).compose(found -> found != null ? Future.succeededFuture(found)
            : afterFlushOf(transaction)))
        .onSuccess(member -> owners.put(transaction, member));
  }

  /**
   * A transaction PostgreSQL does not know may still be in its shard's write-behind stream. Everything committed
   * before now is at or before the stream's last entry; once that is written (or PostgreSQL has the
   * transaction), PostgreSQL's word is final.
   */
  private Future<UUID> afterFlushOf(UUID transaction) {
    String stream = Keys.stream(Keys.shard(transaction));
    return redis.call(c -> c.xrevrange(stream, Range.create("-", "+"), Limit.create(0, 1))).compose(last -> {
      if (last.isEmpty()) {
        // nothing waits to be written, so PostgreSQL has everything committed so far (perhaps only just)
        return storedOwner(transaction).compose(found -> found != null ? Future.succeededFuture(found)
            : Future.failedFuture(Answers.transactionNotFound()));
      }
      String lastId = last.get(0).getId();
      return poll(() -> storedOwner(transaction).compose(found -> found != null ? Future.succeededFuture(found)
          : redis.call(c -> c.xrange(stream, Range.create("-", "+"), Limit.create(0, 1))).compose(oldest ->
              oldest.isEmpty() || after(oldest.get(0), lastId) ? storedOwner(transaction).compose(again -> again != null
                  ? Future.succeededFuture(again) : Future.failedFuture(Answers.transactionNotFound()))
                  : Future.succeededFuture(null))));
    });
  }

  private static boolean after(StreamMessage<String, byte[]> message, String id) {
    String[] a = message.getId().split("-");
    String[] b = id.split("-");
    int ms = Long.compare(Long.parseLong(a[0]), Long.parseLong(b[0]));
    return ms > 0 || ms == 0 && Long.parseLong(a[1]) > Long.parseLong(b[1]);
  }

  private Future<UUID> storedOwner(UUID transaction) {
    return pool.preparedQuery(SELECT_OWNER).execute(Tuple.of(transaction))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next().getUUID("member_id"));
  }

  /**
   * The transaction's record as of the member's state at {@code memberSeq} (or newer), waiting for PostgreSQL to
   * catch up with that state; null when PostgreSQL has no such transaction.
   */
  public Future<Transaction> record(UUID member, UUID transaction, long memberSeq) {
    return poll(() -> pool.preparedQuery(SELECT_RECORD).execute(Tuple.of(member, transaction)).map(rows -> {
      Row row = rows.iterator().next();
      Long stored = row.getLong("member_seq");
      if ((stored == null ? 0 : stored) < memberSeq) {
        return null;
      }
      io.vertx.core.buffer.Buffer record = row.getBuffer("record");
      return new Found(record == null ? null : TransactionCodec.decode(record.getBytes()));
    })).map(Found::transaction);
  }

  private record Found(Transaction transaction) {
  }

  /** Runs {@code attempt} until it gives non-null, every few ms for at most {@link #CATCH_UP_MILLIS}, then 503. */
  private <T> Future<T> poll(Supplier<Future<T>> attempt) {
    Promise<T> result = Promise.promise();
    poll(attempt, System.nanoTime() + CATCH_UP_MILLIS * 1_000_000, result);
    return result.future();
  }

  private <T> void poll(Supplier<Future<T>> attempt, long deadlineNanos, Promise<T> result) {
    attempt.get().onComplete(done -> {
      if (done.failed() || done.result() != null) {
        result.handle(done);
      } else if (System.nanoTime() > deadlineNanos) {
        result.fail(new ApiException(ErrorCode.STORE_UNAVAILABLE,
            "PostgreSQL is behind the member's latest changes; retry with the same key"));
      } else {
        vertx.setTimer(CATCH_UP_POLL_MILLIS, id -> poll(attempt, deadlineNanos, result));
      }
    });
  }
}
