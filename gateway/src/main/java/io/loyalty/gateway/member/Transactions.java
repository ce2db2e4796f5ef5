package io.loyalty.gateway.member;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.program.Till;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.Redis;
import io.loyalty.gateway.store.StoredJson;
import io.loyalty.gateway.store.Script;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Finds a purchase or authorisation by id: whose it is (the transaction index in Redis, else PostgreSQL) and its
 * record, put back into the member's hot copy when it had been pruned.
 */
public final class Transactions {
  static final String SELECT_TRANSACTION = "SELECT member_id, program_id, record::text AS record FROM transactions WHERE id = $1";
  private static final int MAX_CACHED = 1_000_000;

  private final Pool pool;
  private final Redis redis;
  private final Members members;
  /** Transaction to member: never changes, so it never goes stale. */
  private final Cache<UUID, UUID> owners = Caffeine.newBuilder().maximumSize(MAX_CACHED).build();

  public Transactions(Pool pool, Redis redis, Members members) {
    this.pool = pool;
    this.redis = redis;
    this.members = members;
  }

  /** A transaction and its member. */
  public record Located(UUID member, JsonObject record) {
  }

  /** The transaction, if it is one of this till's program; 404 otherwise (whatever the id, nothing leaks). */
  public Future<Located> locate(Till till, UUID transaction) {
    return owner(transaction).compose(member -> member == null ? Future.failedFuture(notFound())
        : record(member, transaction).compose(record -> record == null || !till.programId().equals(record.getString("p"))
            ? Future.failedFuture(notFound()) : Future.succeededFuture(new Located(member, record))));
  }

  /** Runs a transaction script, putting the record (or the whole member) back into Redis when it answers so. */
  public Future<List<Object>> run(UUID member, UUID transaction, Supplier<Future<List<Object>>> script) {
    return members.runLoading(member, script).compose(reply -> "TXLOAD".equals(reply.get(0))
        ? reload(member, transaction).compose(v -> members.runLoading(member, script))
        : Future.succeededFuture(reply));
  }

  public static ApiException notFound() {
    return new ApiException(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction in this program");
  }

  private Future<UUID> owner(UUID transaction) {
    UUID cached = owners.getIfPresent(transaction);
    if (cached != null) {
      return Future.succeededFuture(cached);
    }
    return redis.call(c -> c.get(Keys.transactionIndex(transaction))).compose(hit -> hit != null
        ? Future.succeededFuture(UUID.fromString(hit))
        : stored(transaction).map(row -> row == null ? null : row.getUUID("member_id")))
        .onSuccess(member -> {
          if (member != null) {
            owners.put(transaction, member);
          }
        });
  }

  private Future<JsonObject> record(UUID member, UUID transaction) {
    String[] keys = Keys.member(member);
    return redis.call(c -> c.hget(keys[4], transaction.toString())).compose(raw -> raw != null
        ? Future.succeededFuture(StoredJson.object(raw))
        : reload(member, transaction).compose(found -> !found ? Future.succeededFuture(null)
            : redis.call(c -> c.hget(keys[4], transaction.toString())).map(again -> again == null ? null : StoredJson.object(again))));
  }

  /** Puts the record back from PostgreSQL; false when PostgreSQL has no such transaction. */
  private Future<Boolean> reload(UUID member, UUID transaction) {
    return stored(transaction).compose(row -> {
      if (row == null) {
        return Future.succeededFuture(false);
      }
      String[] keys = Keys.member(member, Keys.transactionIndex(transaction));
      Supplier<Future<List<Object>>> load = () -> redis.run(Script.TXLOAD, keys, transaction.toString(),
          row.getString("record"));
      return members.runLoading(member, load).map(true);
    });
  }

  private Future<Row> stored(UUID transaction) {
    return pool.preparedQuery(SELECT_TRANSACTION).execute(Tuple.of(transaction))
        .map(rows -> rows.size() == 0 ? null : rows.iterator().next());
  }
}
