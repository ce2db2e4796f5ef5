package io.loyalty.gateway.writebehind;

import io.lettuce.core.Consumer;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.StreamMessage;
import io.lettuce.core.XGroupCreateArgs;
import io.lettuce.core.XReadArgs;
import io.loyalty.gateway.InTurn;
import io.loyalty.gateway.StopBound;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.store.StoreErrors;
import io.loyalty.gateway.store.Redis;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains the shard streams into PostgreSQL. Each poll takes the entries this gateway's commits handed over
 * ({@link Handoff}), reads the streams of the shards it marked (every shard now and then), writes the batch in
 * one transaction, and only then deletes the entries from their streams: an entry still in a stream is one not yet
 * written. Reads go through a consumer group without acknowledgement (NOACK), so
 * gateways share the work but Redis keeps no pending list: no per-entry bookkeeping, no XCLAIM per entry in the
 * append-only file, no XACK. A failed batch is kept and written again with the next one; entries a dead
 * gateway had read but not written are found by the periodic sweep of every stream's oldest entries. Writing an
 * entry twice is harmless (every statement is idempotent). Deployed on a worker thread: parsing and packing a batch is
 * CPU work that must not hold up an event loop serving tills. It runs on wall-clock time (stream ids are Redis server
 * time), not on the gateway's business clock.
 */
public final class WriteBehind extends io.vertx.core.VerticleBase {
  public static final String GROUP = "writebehind";
  private static final Logger LOG = LoggerFactory.getLogger(WriteBehind.class);
  private static final long RETRY_DELAY_MILLIS = 1000;
  /** Tries of the consumer groups at start, RETRY_DELAY_MILLIS apart. */
  private static final int START_ATTEMPTS = 5;
  private static final long LAG_SAMPLE_MILLIS = 1000;

  private final Redis redis;
  private final Pool pool;
  private final int batchSize;
  private final long pollMillis;
  private final long claimIdleMillis;
  private final String consumer = "gw-" + ProcessHandle.current().pid() + "-" + UUID.randomUUID().toString().substring(0, 8);
  private final AtomicLong lagEntries = new AtomicLong();
  private final AtomicLong lagMillis = new AtomicLong();
  private final AtomicLong deadLettersWaiting = new AtomicLong();
  private final Counter flushedEntries;
  private final Counter failedBatches;
  private final Counter rewrittenBatches;
  private final Counter deadLetters;
  private final Timer batchTimer;
  private static final int[] ALL_SHARDS = java.util.stream.IntStream.range(0, Keys.SHARDS).toArray();
  private final Handoff handoff;
  /**
   * The entries of the batch in progress not yet deleted from their streams, but for those set aside as dead letters;
   * after a failure, written again in the next batch, with new entries (so an entry that cannot be written meets
   * entries that can, which is how it is told apart): at most a batch more per shard than it holds there, and new
   * entries handed over only while it holds less than a batch.
   */
  private List<StreamEntry> unwritten = List.of();
  private volatile boolean stopped;
  /** How long a stop waits for the batch in progress, at most (one PostgreSQL stopped answering would hang it). */
  private final long stopMillis;
  /** True while a poll (read, write, delete) is under way; only touched on this worker's context. */
  private boolean busy;
  /** Completed when the worker has stopped: at once if idle, else when the batch in progress is done. */
  private final io.vertx.core.Promise<Void> idle = io.vertx.core.Promise.promise();
  /**
   * By shard, the id (milliseconds, sequence) of the last entry this worker read from the stream. Every entry up to
   * it was then read (by the group's readers, or by the sweep's range from the stream's start) or already deleted,
   * that is written: an entry handed over with an id up to it is a copy, not taken again, so it is not written twice.
   * Should a stream start again below it (a replica promoted before it had the last entries), an entry dropped for
   * it is still in the stream, where a read of its shard or the sweep finds it. Only touched on this worker's
   * context.
   */
  private final long[][] readTo = new long[Keys.SHARDS][2];
  /** When the oldest entries of every stream were last read (0: never, so the first poll reads them all). */
  private long lastSweepMillis;
  /** Dates the webhook deliveries of the events a batch writes. */
  private final java.time.Clock clock;

  public WriteBehind(Redis redis, Pool pool, Handoff handoff, MeterRegistry registry, int batchSize,
      long pollMillis, long claimIdleMillis, long stopMillis, java.time.Clock clock) {
    this.redis = redis;
    this.stopMillis = stopMillis;
    this.clock = clock;
    this.handoff = handoff;
    this.pool = pool;
    this.batchSize = batchSize;
    this.pollMillis = pollMillis;
    this.claimIdleMillis = claimIdleMillis;
    Gauge.builder("loyalty.writebehind.lag.entries", lagEntries, AtomicLong::get)
        .description("Stream entries not yet written to PostgreSQL").baseUnit("entries").register(registry);
    Gauge.builder("loyalty.writebehind.lag", lagMillis, v -> v.get() / 1000.0)
        .description("Age of the oldest stream entry not yet written to PostgreSQL").baseUnit("seconds")
        .register(registry);
    Gauge.builder("loyalty.writebehind.dead.letters.waiting", deadLettersWaiting, AtomicLong::get)
        .description("Entries set aside in the dead-letter streams, waiting for an operator (dead-letters)")
        .register(registry);
    flushedEntries = Counter.builder("loyalty.writebehind.flushed").baseUnit("entries")
        .description("Stream entries written to PostgreSQL").register(registry);
    failedBatches = Counter.builder("loyalty.writebehind.failures")
        .description("Batches that failed and will be retried").register(registry);
    rewrittenBatches = Counter.builder("loyalty.writebehind.rewritten")
        .description("Batches written again, checking each ledger row, because some of their rows were in the ledger "
            + "already (entries a gateway wrote and died before deleting, or written by two gateways)")
        .register(registry);
    deadLetters = Counter.builder("loyalty.writebehind.dead.letters")
        .description("Entries that could not be written and were moved to a dead-letter stream").register(registry);
    batchTimer = Timer.builder("loyalty.writebehind.batch.duration")
        .description("Time to write one batch to PostgreSQL").publishPercentileHistogram().register(registry);
  }

  @Override
  public Future<?> start() {
    return groupsAtStart(START_ATTEMPTS).onSuccess(v -> {
      vertx.setPeriodic(LAG_SAMPLE_MILLIS, id -> sampleLag());
      poll();
    });
  }

  /**
   * The groups, tried again while Redis does not answer in time (a cluster whose nodes the client is still
   * connecting to, a Redis busy loading): a gateway fails to start only when Redis stays away.
   */
  private Future<Void> groupsAtStart(int attempts) {
    return ensureGroups().recover(e -> attempts <= 1 || !StoreErrors.isOutage(e) ? Future.failedFuture(e)
        : vertx.timer(RETRY_DELAY_MILLIS).compose(t -> groupsAtStart(attempts - 1)));
  }

  /** Creates the consumer group on every shard stream that lacks one (at start, and after Redis lost its data). */
  private Future<Void> ensureGroups() {
    List<Future<?>> groups = new ArrayList<>();
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      String stream = Keys.stream(shard);
      groups.add(redis.call(c -> c.xgroupCreate(XReadArgs.StreamOffset.from(stream, "0"), GROUP,
              XGroupCreateArgs.Builder.mkstream()))
          .recover(e -> String.valueOf(e.getMessage()).contains("BUSYGROUP") ? Future.succeededFuture()
              : Future.failedFuture(e)));
    }
    return Future.all(groups).mapEmpty();
  }

  /**
   * Lets the batch in progress be written and deleted, then the entries still handed over (the gateway stops its
   * requests first, so they are a bounded few), until a batch fails or the stop's bound passes; what is left stays in
   * Redis for a sweep (a batch cut short is written again whole: every statement is idempotent).
   */
  @Override
  public Future<?> stop() {
    stopped = true;
    poll();
    return StopBound.within(vertx, stopMillis, "the write-behind's batch in progress", idle.future());
  }

  private void poll() {
    if (busy) {
      return; // the batch in progress polls again when it is done
    }
    if (stopped && !handoff.holding()) {
      idle.tryComplete();
      return;
    }
    busy = true;
    read().compose(read -> read.entries().isEmpty() ? Future.succeededFuture(read) : flush(read.entries()).map(read))
        .onComplete(done -> {
          busy = false;
          if (stopped) {
            if (done.succeeded()) {
              poll();
            } else {
              idle.tryComplete();
            }
            return;
          }
          if (done.failed()) {
            failedBatches.increment();
            LOG.warn("write-behind batch failed, retrying in {} ms: {}", RETRY_DELAY_MILLIS, done.cause().toString());
            vertx.setTimer(RETRY_DELAY_MILLIS, id -> ensureGroups().onComplete(v -> poll()));
            return;
          }
          if (done.result().backlog()) {
            vertx.runOnContext(v -> poll());
          } else {
            // caught up: wait, so the next batch gathers a poll interval's worth of entries instead of a few
            // (every batch costs a PostgreSQL transaction and a delete per shard, whatever its size)
            vertx.setTimer(pollMillis, id -> poll());
          }
        });
  }

  /**
   * The entries a failed batch left unwritten, those handed over (none while a batch's worth is unwritten), up to
   * one batch per marked shard of new entries (those no gateway of the group has read) and, when a sweep is due, the
   * oldest entries of every stream: at the first poll all of them (this gateway's previous life may have read and
   * not written them), later those older than the claim threshold (a dead gateway's). An entry read twice is taken
   * once, and one handed over after a read of its stream took it is not taken again ({@link #readTo}).
   */
  private Future<Read> read() {
    long now = System.currentTimeMillis();
    boolean sweep = now - lastSweepMillis >= claimIdleMillis / 2;
    String sweepTo = lastSweepMillis == 0 ? "+" : String.valueOf(now - claimIdleMillis);
    int[] toRead = sweep ? ALL_SHARDS : handoff.drain();
    if (sweep) {
      lastSweepMillis = now;
    }
    int[] held = new int[Keys.SHARDS];
    for (StreamEntry entry : unwritten) {
      held[entry.shard()]++;
    }
    int handOver = Handoff.BATCHES * batchSize;
    List<StreamEntry> handed = handoff.take(unwritten.size() < batchSize ? handOver : 0);
    List<Future<List<StreamMessage<String, byte[]>>>> reads = new ArrayList<>();
    List<Integer> shards = new ArrayList<>();
    for (int shard : toRead) {
      if (held[shard] >= batchSize) {
        handoff.mark(shard); // a full retry there already: its new entries wait for the next batch
        continue;
      }
      XReadArgs.StreamOffset<String> from = XReadArgs.StreamOffset.lastConsumed(Keys.stream(shard));
      reads.add(redis.call(c -> c.xreadgroup(Consumer.from(GROUP, consumer),
          XReadArgs.Builder.count(batchSize).noack(true), from)));
      shards.add(shard);
    }
    if (sweep) {
      for (int shard : ALL_SHARDS) {
        String stream = Keys.stream(shard);
        reads.add(redis.call(c -> c.xrange(stream, Range.create("-", sweepTo), Limit.create(0, batchSize))));
        shards.add(shard);
      }
    }
    return Future.all(reads).map(all -> {
      Map<String, StreamEntry> batch = new LinkedHashMap<>();
      for (StreamEntry entry : unwritten) {
        batch.put(entry.shard() + " " + entry.id(), entry);
      }
      for (StreamEntry entry : handed) {
        if (!upTo(entry.id(), readTo[entry.shard()])) {
          batch.putIfAbsent(entry.shard() + " " + entry.id(), entry);
        }
      }
      boolean backlog = handed.size() == handOver; // it was full
      for (int i = 0; i < reads.size(); i++) {
        if (reads.get(i).result().size() == batchSize) {
          backlog = true;
          handoff.mark(shards.get(i)); // more waits there
        }
        List<StreamMessage<String, byte[]>> messages = reads.get(i).result();
        if (!messages.isEmpty()) {
          String last = messages.get(messages.size() - 1).getId();
          if (!upTo(last, readTo[shards.get(i)])) {
            readTo[shards.get(i)] = streamId(last);
          }
        }
        for (StreamMessage<String, byte[]> message : messages) {
          // an entry without a body (written by something else) fails to decode and is set aside like any other
          byte[] body = message.getBody() == null ? null : message.getBody().get("e");
          batch.putIfAbsent(shards.get(i) + " " + message.getId(),
              StreamEntry.read(shards.get(i), message.getId(), body == null ? new byte[0] : body));
        }
      }
      return new Read(List.copyOf(batch.values()), backlog);
    });
  }

  private Future<Integer> flush(List<StreamEntry> batch) {
    long started = System.nanoTime();
    unwritten = batch;
    return write(batch)
        .recover(e -> StoreErrors.isOutage(e) ? Future.failedFuture(e) : isolate(batch, e))
        .compose(v -> delete(batch)).map(v -> {
          unwritten = List.of();
          batchTimer.record(Duration.ofNanos(System.nanoTime() - started));
          flushedEntries.increment(batch.size());
          return batch.size();
        });
  }

  private Future<Void> write(List<StreamEntry> entries) {
    List<Event> events;
    try {
      events = entries.stream().map(StreamEntry::event).toList();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    return events.isEmpty() ? Future.succeededFuture()
        : pool.withTransaction(conn -> Batch.write(conn, events, clock.millis(), false)).recover(e -> {
          if (!Batch.alreadyWritten(e)) {
            return Future.failedFuture(e);
          }
          rewrittenBatches.increment();
          return pool.withTransaction(conn -> Batch.write(conn, events, clock.millis(), true));
        });
  }

  /**
   * After a batch failed for a reason other than an outage: writes its entries one by one. An entry that fails alone
   * is poison, and goes to its shard's dead-letter stream instead of blocking every write behind it, when its own
   * data is the cause: PostgreSQL called it a data or integrity error, it does not decode, or other entries of the
   * same batch were written. Otherwise (the cause is PostgreSQL's state: a missing table, a permission) the batch
   * fails and is retried.
   */
  private Future<Void> isolate(List<StreamEntry> batch, Throwable cause) {
    Map<StreamEntry, Throwable> failed = new LinkedHashMap<>();
    Future<Void> tried = InTurn.each(batch.iterator(), entry -> write(List.of(entry)).recover(e -> {
      if (StoreErrors.isOutage(e)) {
        return Future.failedFuture(e); // the tries end
      }
      failed.put(entry, e);
      return Future.succeededFuture();
    }));
    return tried.compose(v -> {
      boolean othersWritten = failed.size() < batch.size();
      Set<StreamEntry> aside = new LinkedHashSet<>();
      List<Future<?>> moved = new ArrayList<>();
      failed.forEach((entry, error) -> {
        if (!othersWritten && !ownFault(error)) {
          return;
        }
        LOG.error("write-behind entry {} on shard {} cannot be written; moved to {}: {}", entry.id(), entry.shard(),
            Keys.deadLetters(entry.shard()), error.toString());
        deadLetters.increment();
        aside.add(entry);
        moved.add(redis.call(c -> c.xadd(Keys.deadLetters(entry.shard()), Map.of("id", bytes(entry.id()),
            "e", entry.body(), "error", bytes(String.valueOf(error.getMessage()))))));
      });
      // set aside for good at once (deleted from the stream), even if the rest of the batch is to be retried
      Future<Void> setAside = Future.all(moved).compose(all -> delete(aside))
          .onSuccess(done -> unwritten = batch.stream().filter(e -> !aside.contains(e)).toList());
      return aside.size() == failed.size() ? setAside : setAside.compose(all -> Future.failedFuture(cause));
    });
  }

  /** True when the failure is the entry's own: it would fail the same way however often it is retried. */
  static boolean ownFault(Throwable error) {
    if (error instanceof PgException pg) {
      String state = String.valueOf(pg.getSqlState());
      return state.startsWith("22") || state.startsWith("23"); // data exception, integrity constraint violation
    }
    return !StoreErrors.isOutage(error); // it did not decode
  }

  /** Deletes the batch's entries from their streams, one XDEL per shard. */
  private Future<Void> delete(Collection<StreamEntry> batch) {
    Map<Integer, List<String>> byShard = new LinkedHashMap<>();
    for (StreamEntry entry : batch) {
      byShard.computeIfAbsent(entry.shard(), shard -> new ArrayList<>()).add(entry.id());
    }
    List<Future<?>> calls = new ArrayList<>();
    byShard.forEach((shard, ids) -> calls.add(redis.call(c -> c.xdel(Keys.stream(shard), ids.toArray(String[]::new)))));
    return Future.all(calls).mapEmpty();
  }

  /**
   * The backlog (entries in all streams) and the age of the oldest: lengths first, then the heads of the non-empty;
   * and the dead letters waiting.
   */
  private void sampleLag() {
    List<Future<Long>> lengths = new ArrayList<>();
    List<Future<Long>> dead = new ArrayList<>();
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      String stream = Keys.stream(shard);
      String letters = Keys.deadLetters(shard);
      lengths.add(redis.call(c -> c.xlen(stream)));
      dead.add(redis.call(c -> c.xlen(letters)));
    }
    Future.all(dead).onSuccess(all -> deadLettersWaiting.set(dead.stream().mapToLong(Future::result).sum()));
    Future.all(lengths).compose(all -> {
      long entries = 0;
      List<Future<List<StreamMessage<String, byte[]>>>> heads = new ArrayList<>();
      for (int shard = 0; shard < Keys.SHARDS; shard++) {
        entries += lengths.get(shard).result();
        if (lengths.get(shard).result() > 0) {
          String stream = Keys.stream(shard);
          heads.add(redis.call(c -> c.xrange(stream, Range.create("-", "+"), Limit.create(0, 1))));
        }
      }
      lagEntries.set(entries);
      return Future.all(heads).onSuccess(done -> {
        long oldestMillis = Long.MAX_VALUE;
        for (Future<List<StreamMessage<String, byte[]>>> head : heads) {
          for (StreamMessage<String, byte[]> message : head.result()) {
            oldestMillis = Math.min(oldestMillis, Long.parseLong(message.getId().substring(0, message.getId().indexOf('-'))));
          }
        }
        lagMillis.set(oldestMillis == Long.MAX_VALUE ? 0 : Math.max(0, System.currentTimeMillis() - oldestMillis));
      });
    });
  }

  /** A stream entry id ("milliseconds-sequence") as its two numbers. */
  private static long[] streamId(String id) {
    int dash = id.indexOf('-');
    return new long[] {Long.parseLong(id, 0, dash, 10), Long.parseLong(id, dash + 1, id.length(), 10)};
  }

  /** True when stream entry id {@code id} is not after {@code last} (its two numbers). */
  private static boolean upTo(String id, long[] last) {
    int dash = id.indexOf('-');
    long millis = Long.parseLong(id, 0, dash, 10);
    return millis < last[0] || millis == last[0] && Long.parseLong(id, dash + 1, id.length(), 10) <= last[1];
  }

  /** A batch to write; {@code backlog} when some shard had more than a batch waiting. */
  private record Read(List<StreamEntry> entries, boolean backlog) {
  }

  private static byte[] bytes(String text) {
    return text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }
}
