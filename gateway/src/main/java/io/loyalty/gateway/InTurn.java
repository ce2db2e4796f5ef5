package io.loyalty.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.Iterator;
import java.util.function.Function;

/**
 * Asynchronous steps run one at a time, in order. A loop that waits only for a step still in progress, not a chain
 * of one future per step: steps that end at once (refused before any I/O) behind one that ended later would
 * complete the whole chain on one stack: thousands of them overflowed it, and the write-behind's worker was left
 * in its batch for good, writing nothing more and never stopping (WriteBehindTest).
 */
public final class InTurn {
  private InTurn() {
  }

  /** Runs {@code step} on each item until one fails; fails with that step's failure. */
  public static <T> Future<Void> each(Iterator<T> items, Function<T, Future<?>> step) {
    Promise<Void> done = Promise.promise();
    next(items, step, done);
    return done.future();
  }

  private static <T> void next(Iterator<T> items, Function<T, Future<?>> step, Promise<Void> done) {
    while (items.hasNext()) {
      Future<?> ran = step.apply(items.next());
      if (!ran.isComplete()) {
        ran.onComplete(r -> {
          if (r.succeeded()) {
            next(items, step, done);
          } else {
            done.fail(r.cause());
          }
        });
        return;
      }
      if (ran.failed()) {
        done.fail(ran.cause());
        return;
      }
    }
    done.complete();
  }
}
