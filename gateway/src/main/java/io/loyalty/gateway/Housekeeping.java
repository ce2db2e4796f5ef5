package io.loyalty.gateway;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A gateway's periodic work outside requests (configuration refresh, tills' last requests, expired holds, idle
 * members). A job does not start while its previous run is still going. Undeployed first when the gateway stops:
 * its timers end with it, and it waits for the runs in progress (up to a bound), so none runs against a closing pool
 * or client.
 */
final class Housekeeping extends VerticleBase {
  private static final Logger LOG = LoggerFactory.getLogger(Housekeeping.class);

  /** One job: what it is called in the log, how often it runs, what one run does. */
  record Job(String name, long periodMillis, Supplier<Future<?>> run) {
  }

  private final List<Job> jobs;
  /** Each job's latest run, by the job's index. */
  private final Future<?>[] latest;
  private final long stopMillis;

  /** @param stopMillis how long a stop waits for the runs in progress, at most */
  Housekeeping(List<Job> jobs, long stopMillis) {
    this.jobs = jobs;
    this.stopMillis = stopMillis;
    this.latest = new Future<?>[jobs.size()];
    Arrays.fill(latest, Future.succeededFuture());
  }

  @Override
  public Future<?> start() {
    for (int i = 0; i < jobs.size(); i++) {
      Job job = jobs.get(i);
      int index = i;
      vertx.setPeriodic(job.periodMillis(), id -> {
        if (latest[index].isComplete()) {
          latest[index] = job.run().get().onFailure(e -> LOG.warn("{} failed: {}", job.name(), e.toString()));
        }
      });
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<?> stop() {
    return StopBound.within(vertx, stopMillis, "the housekeeping runs in progress", Future.join(List.of(latest)));
  }
}
