package io.loyalty.gateway.member;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs work for one key at a time, in arrival order, across event loops: work for a member waits for the work
 * before it. Keys with nothing queued take no memory.
 */
final class KeyedQueue<K> {
  private final Map<K, Future<Void>> tails = new ConcurrentHashMap<>();

  <T> Future<T> run(K key, Supplier<Future<T>> work) {
    Promise<Void> mine = Promise.promise();
    @SuppressWarnings("unchecked")
    Future<Void>[] previous = new Future[1];
    tails.compute(key, (k, tail) -> {
      previous[0] = tail;
      return mine.future();
    });
    Future<Void> ready = previous[0] == null ? Future.succeededFuture() : previous[0];
    Future<T> result = ready.transform(ignored -> {
      try {
        return work.get();
      } catch (RuntimeException e) {
        return Future.failedFuture(e);
      }
    });
    result.onComplete(done -> {
      tails.remove(key, mine.future());
      mine.complete();
    });
    return result;
  }
}
