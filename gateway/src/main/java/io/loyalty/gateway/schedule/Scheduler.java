package io.loyalty.gateway.schedule;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the background jobs, each on one gateway at a time: a job runs where its PostgreSQL lease is held, and a lease
 * that was not renewed in time (its gateway died) is taken over by the next gateway that asks. A pass of a job runs
 * in chunks; after each, the job's cursor is saved with the lease renewed, so a pass cut short resumes where it
 * stopped, on this gateway or another. Jobs read time from the one clock; leases use PostgreSQL's.
 */
public final class Scheduler {
  private static final Logger LOG = LoggerFactory.getLogger(Scheduler.class);
  static final String ACQUIRE = """
      INSERT INTO scheduler_leases AS l (job, owner, lease_until)
      VALUES ($1, $2, now() + $3 * interval '1 millisecond')
      ON CONFLICT (job) DO UPDATE SET owner = excluded.owner, lease_until = excluded.lease_until
       WHERE l.owner = excluded.owner OR l.lease_until < now()
      RETURNING cursor""";
  static final String SAVE = """
      UPDATE scheduler_leases SET cursor = $3, lease_until = now() + $4 * interval '1 millisecond'
       WHERE job = $1 AND owner = $2""";
  static final String RELEASE = "UPDATE scheduler_leases SET lease_until = now() WHERE owner = $1";
  /** Chunks one pass of a job may take; what is left waits for the next pass. */
  static final int MAX_CHUNKS_PER_PASS = 100_000;
  /** A lease outlives its last renewal by this many intervals (and at least {@link #MIN_LEASE_MILLIS}). */
  static final int LEASE_INTERVALS = 3;
  static final long MIN_LEASE_MILLIS = 1_000;

  /** A background job, run in chunks. */
  public interface Job {
    String name();

    /** One chunk from {@code cursor} (null at the start of a pass) at time {@code nowMillis}. */
    Future<Step> step(String cursor, long nowMillis);
  }

  /**
   * What a chunk did.
   *
   * @param cursor where the next chunk starts (saved with the lease)
   * @param more false when the pass is over (the cursor is still saved: the next pass starts from it)
   */
  public record Step(String cursor, int items, int failures, boolean more) {
  }

  private final Pool pool;
  private final Clock clock;
  private final List<Job> jobs;
  private final long intervalMillis;
  private final long leaseMillis;
  private final String owner = UUID.randomUUID().toString();
  private final MeterRegistry registry;
  private volatile boolean stopped;

  public Scheduler(Pool pool, Clock clock, List<Job> jobs, long intervalMillis, MeterRegistry registry) {
    this.pool = pool;
    this.clock = clock;
    this.jobs = jobs;
    this.intervalMillis = intervalMillis;
    this.leaseMillis = Math.max(MIN_LEASE_MILLIS, LEASE_INTERVALS * intervalMillis);
    this.registry = registry;
    for (Job job : jobs) {
      meters(job.name());
    }
  }

  /** Runs a pass of every job one interval from now, and again one interval after each pass ends. */
  public void start(Vertx vertx) {
    vertx.setTimer(intervalMillis, id -> loop(vertx));
  }

  private void loop(Vertx vertx) {
    if (stopped) {
      return;
    }
    pass().onComplete(done -> {
      if (!stopped) {
        vertx.setTimer(intervalMillis, id -> loop(vertx));
      }
    });
  }

  /** Stops after the chunk in progress and gives the leases up, so another gateway takes over at once. */
  public Future<Void> stop() {
    stopped = true;
    return pool.preparedQuery(RELEASE).execute(Tuple.of(owner)).<Void>mapEmpty().recover(e -> Future.succeededFuture());
  }

  /** One pass of every job whose lease this gateway holds or can take. */
  public Future<Void> pass() {
    Future<Void> chain = Future.succeededFuture();
    for (Job job : jobs) {
      chain = chain.eventually(() -> run(job).onFailure(e -> {
        meters(job.name()).failures.increment();
        LOG.warn("scheduled job {} failed: {}", job.name(), e.toString());
      }));
    }
    return chain;
  }

  private Future<Void> run(Job job) {
    return pool.preparedQuery(ACQUIRE).execute(Tuple.of(job.name(), owner, leaseMillis)).compose(rows -> {
      if (rows.size() == 0) {
        return Future.succeededFuture(); // another gateway holds it
      }
      Meters m = meters(job.name());
      long started = System.nanoTime();
      return chunk(job, rows.iterator().next().getString("cursor"), 1).onSuccess(v -> {
        m.duration.record(Duration.ofNanos(System.nanoTime() - started));
        m.lastRunSeconds.set(clock.millis() / 1000);
      });
    });
  }

  private Future<Void> chunk(Job job, String cursor, int chunk) {
    if (stopped) {
      return Future.succeededFuture();
    }
    return job.step(cursor, clock.millis()).compose(step -> {
      Meters m = meters(job.name());
      m.items.increment(step.items());
      m.failures.increment(step.failures());
      return pool.preparedQuery(SAVE).execute(Tuple.of(job.name(), owner, step.cursor(), leaseMillis))
          .compose(saved -> saved.rowCount() == 0 || !step.more() || chunk >= MAX_CHUNKS_PER_PASS
              ? Future.succeededFuture() // lease lost (the other gateway goes on), pass over, or enough for now
              : chunk(job, step.cursor(), chunk + 1));
    });
  }

  private record Meters(AtomicLong lastRunSeconds, Timer duration, Counter items, Counter failures) {
  }

  private final java.util.Map<String, Meters> meters = new java.util.concurrent.ConcurrentHashMap<>();

  private Meters meters(String job) {
    return meters.computeIfAbsent(job, name -> {
      AtomicLong last = new AtomicLong();
      Gauge.builder("loyalty.scheduler.last.run", last, AtomicLong::get).tag("job", name).baseUnit("seconds")
          .description("When the job last finished a pass on this gateway (Unix time)").register(registry);
      return new Meters(last,
          Timer.builder("loyalty.scheduler.pass.duration").tag("job", name)
              .description("Time one pass of the job took").register(registry),
          Counter.builder("loyalty.scheduler.items").tag("job", name)
              .description("Members (or events) the job handled").register(registry),
          Counter.builder("loyalty.scheduler.failures").tag("job", name)
              .description("Items, chunks or passes of the job that failed (retried on the next pass)")
              .register(registry));
    });
  }
}
