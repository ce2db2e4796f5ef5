package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.store.Keys;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The shards whose write-behind streams this gateway wrote to since its worker last read them: the worker reads
 * those, not every stream (entries other gateways left behind are found by its periodic sweep of all of them).
 */
public final class DirtyShards {
  private final AtomicIntegerArray dirty = new AtomicIntegerArray(Keys.SHARDS);

  public void mark(int shard) {
    if (dirty.get(shard) == 0) {
      dirty.set(shard, 1);
    }
  }

  /** The shards marked since the last call, unmarked. */
  int[] drain() {
    int[] found = new int[Keys.SHARDS];
    int n = 0;
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      if (dirty.get(shard) != 0 && dirty.getAndSet(shard, 0) != 0) {
        found[n++] = shard;
      }
    }
    return java.util.Arrays.copyOf(found, n);
  }
}
