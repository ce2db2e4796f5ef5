package io.loyalty.gateway;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How long a stopping part waits for its work in progress, so that a stop never hangs on a store that stopped
 * answering: past the bound the part is stopped anyway (what it had not finished is left where the next gateway
 * finds it).
 */
public final class StopBound {
  private static final Logger LOG = LoggerFactory.getLogger(StopBound.class);

  private StopBound() {
  }

  /** {@code work}'s outcome, or a success (logged) if {@code millis} pass first. */
  public static Future<Void> within(Vertx vertx, long millis, String what, Future<?> work) {
    Promise<Void> done = Promise.promise();
    long timer = vertx.setTimer(millis, id -> {
      if (done.tryComplete()) {
        LOG.warn("stopping: {} did not finish within {} ms (STOP_TIMEOUT_MS); stopped without it", what, millis);
      }
    });
    work.onComplete(outcome -> {
      vertx.cancelTimer(timer);
      if (outcome.succeeded()) {
        done.tryComplete();
      } else {
        done.tryFail(outcome.cause());
      }
    });
    return done.future();
  }
}
