package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.store.Keys;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * What this gateway committed that its write-behind worker has not taken yet. A commit's stream entry is handed
 * over as it was written (its id, as Redis named it, and its bytes), so the worker need not read it back from
 * Redis; while the worker is behind by more than {@link #BATCHES} batches, or when a commit's outcome is not known
 * (a timeout, a replay, a conflict), only its shard is marked, and the worker reads that stream. Entries other
 * gateways left behind are found by the worker's periodic sweep of every stream. An entry held here is still in
 * its stream, so nothing is lost with this memory.
 */
public final class Handoff {
  /**
   * Batches' worth of entries held for the worker, at most (~300 KB a batch of 500), all taken at once: at
   * saturation on the benchmark box a poll finds about a thousand (BENCHMARKS.md), and a larger batch costs less per
   * entry (one delete per shard, one PostgreSQL transaction).
   */
  static final int BATCHES = 8;
  private final AtomicIntegerArray marked = new AtomicIntegerArray(Keys.SHARDS);
  private final BlockingQueue<StreamEntry> entries;
  private final Counter missed;

  /** @param batchSize the entries the worker takes at a time */
  public Handoff(int batchSize, MeterRegistry registry) {
    entries = new ArrayBlockingQueue<>(BATCHES * batchSize);
    missed = Counter.builder("loyalty.writebehind.handoff.missed")
        .description("Commits whose entry the worker was not handed (it was too far behind, or the outcome was "
            + "unknown, a replay or a conflict): their shard's stream is read back from Redis")
        .register(registry);
  }

  /**
   * A committed entry of {@code shard}'s stream, with id {@code id}: the event the script wrote from its
   * {@link Event#head}, state and record, held as those three parts (the worker decodes them in place).
   */
  public void committed(int shard, String id, byte[] head, byte[] state, byte[] record) {
    if (!entries.offer(new StreamEntry(shard, id, head, state, record))) {
      missed(shard);
    }
  }

  /** A commit of {@code shard} whose entry, if it made one, was not handed over: the worker is to read the stream. */
  public void missed(int shard) {
    missed.increment();
    mark(shard);
  }

  /** The worker is to read {@code shard}'s stream. */
  void mark(int shard) {
    if (marked.get(shard) == 0) {
      marked.set(shard, 1);
    }
  }

  /** Up to {@code max} of the entries handed over, oldest first, no longer held. */
  List<StreamEntry> take(int max) {
    List<StreamEntry> taken = new ArrayList<>(Math.min(max, entries.size()));
    entries.drainTo(taken, max);
    return taken;
  }

  /** True while entries are held. */
  boolean holding() {
    return !entries.isEmpty();
  }

  /** The shards marked since the last call, unmarked. */
  int[] drain() {
    int[] found = new int[Keys.SHARDS];
    int n = 0;
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      if (marked.get(shard) != 0 && marked.getAndSet(shard, 0) != 0) {
        found[n++] = shard;
      }
    }
    return java.util.Arrays.copyOf(found, n);
  }
}
