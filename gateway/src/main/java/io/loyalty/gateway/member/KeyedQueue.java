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
 * before it. Keys with nothing queued take no memory. Work that waited starts when the work before it ends, inside
 * that end, unless that end is itself nested in {@link #MAX_NESTED} others: then it starts as a task of its own on
 * the context that queued it. Thousands queued for one member that end at once (refusals decided from a cached
 * state) nested that deep overflowed the event loop's stack and left the member's queue stuck.
 */
final class KeyedQueue<K> {
  static final int MAX_NESTED = 16;
  /** How many ends of work this thread is inside. */
  private static final ThreadLocal<int[]> NESTED = ThreadLocal.withInitial(() -> new int[1]);
  private final Map<K, Future<Void>> tails = new ConcurrentHashMap<>();

  <T> Future<T> run(K key, Supplier<Future<T>> work) {
    Promise<Void> mine = Promise.promise();
    @SuppressWarnings("unchecked")
    Future<Void>[] previous = new Future[1];
    tails.compute(key, (k, tail) -> {
      previous[0] = tail;
      return mine.future();
    });
    Future<T> result = previous[0] == null ? start(work) : after(previous[0], Vertx.currentContext(), work);
    result.onComplete(done -> {
      if (tails.remove(key, mine.future())) {
        mine.complete(); // nobody waits for it: the common case costs nothing more
        return;
      }
      int[] nested = NESTED.get();
      nested[0]++;
      try {
        mine.complete();
      } finally {
        nested[0]--;
      }
    });
    return result;
  }

  /** The work once {@code previous} has ended: inside that end, or later on {@code context} if it is nested deep. */
  private static <T> Future<T> after(Future<Void> previous, Context context, Supplier<Future<T>> work) {
    return previous.transform(ignored ->
        NESTED.get()[0] < MAX_NESTED || context == null ? start(work) : later(context, work));
  }

  private static <T> Future<T> start(Supplier<Future<T>> work) {
    try {
      return work.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** The work, started as a task of its own on {@code context}: on a fresh stack. */
  private static <T> Future<T> later(Context context, Supplier<Future<T>> work) {
    Promise<T> done = Promise.promise();
    context.runOnContext(v -> start(work).onComplete(done));
    return done.future();
  }
}
