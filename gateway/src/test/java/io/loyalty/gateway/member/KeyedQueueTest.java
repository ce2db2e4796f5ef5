package io.loyalty.gateway.member;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class KeyedQueueTest {
  private final Vertx vertx = Vertx.vertx();

  @AfterEach
  void close() {
    vertx.close().await();
  }

  @Test
  void thousandsQueuedForOneKeyThatEndAtOnceRunInOrderOnABoundedStack() throws Exception {
    KeyedQueue<String> queue = new KeyedQueue<>();
    Context first = vertx.getOrCreateContext();
    Context others = vertx.getOrCreateContext();
    Promise<Void> firstWork = Promise.promise();
    List<Integer> ran = new ArrayList<>();
    int n = 50_000;
    int[] nestedMost = new int[1];
    CompletableFuture<Void> all = new CompletableFuture<>();
    first.runOnContext(v -> queue.run("member", () -> {
      ran.add(0);
      return firstWork.future();
    }));
    others.runOnContext(v -> {
      List<Future<Void>> results = new ArrayList<>();
      for (int i = 1; i < n; i++) {
        int index = i;
        results.add(queue.run("member", () -> {
          ran.add(index);
          nestedMost[0] = Math.max(nestedMost[0], new Throwable().getStackTrace().length);
          return Future.succeededFuture(); // ends at once, as a refusal decided from a cached state does
        }));
      }
      Future.all(results).onComplete(done -> all.complete(null));
      first.runOnContext(w -> firstWork.complete()); // the first ends later, on its own context
    });
    all.get(30, TimeUnit.SECONDS);
    assertThat(ran).hasSize(n).isSorted();
    // at most MAX_NESTED ends deep, each a few dozen frames: far from the thousands of frames that overflowed
    assertThat(nestedMost[0]).isLessThan(2_000);
  }

  @Test
  void workForOtherKeysDoesNotWait() throws Exception {
    KeyedQueue<String> queue = new KeyedQueue<>();
    Promise<Void> never = Promise.promise();
    CompletableFuture<String> other = new CompletableFuture<>();
    vertx.runOnContext(v -> {
      queue.run("a", never::future);
      queue.run("b", () -> Future.succeededFuture("b ran")).onSuccess(other::complete);
    });
    assertThat(other.get(10, TimeUnit.SECONDS)).isEqualTo("b ran");
  }
}
