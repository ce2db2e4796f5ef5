package io.loyalty.gateway.member;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Runs work for one key at a time, in arrival order, across event loops: work for a member waits for the work
 * before it. Keys with nothing queued take no memory. Work that waited starts as a task of its own on the context
 * that queued it: on a stack of its own, not inside the end of the work before it (thousands queued for one member
 * that end at once, refusals decided from a cached state, nested that deep and overflowed the stack, leaving the
 * member's queue stuck), and on its own event loop, whose Redis connection and HTTP answer are its own.
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
    Future<Void> ready = previous[0] == null ? Future.succeededFuture() : turn(previous[0]);
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

  /** The end of the work before, seen on the caller's context (as it is, outside Vert.x). */
  private static Future<Void> turn(Future<Void> previous) {
    Context context = Vertx.currentContext();
    if (context == null) {
      return previous;
    }
    Promise<Void> turn = Promise.promise();
    previous.onComplete(done -> context.runOnContext(v -> turn.complete()));
    return turn.future();
  }
}
