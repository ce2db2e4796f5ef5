package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class InTurnTest {
  @Test
  void aHundredThousandStepsEndingAtOnceBehindOneThatEndsLaterRunInOrderOnABoundedStack() throws Exception {
    Promise<Void> first = Promise.promise();
    List<Integer> ran = new ArrayList<>();
    Future<Void> all = InTurn.each(IntStream.range(0, 100_000).boxed().iterator(), i -> {
      ran.add(i);
      return i == 0 ? first.future() : Future.succeededFuture();
    });
    assertThat(ran).containsExactly(0);
    Thread later = new Thread(first::complete); // on a fresh stack of its own, as an I/O answer would
    later.start();
    later.join();
    assertThat(all.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isNull();
    assertThat(ran).hasSize(100_000).isSorted();
  }

  @Test
  void aStepThatFailsEndsTheRunWithItsFailureAndNoLaterStepRuns() {
    List<Integer> ran = new ArrayList<>();
    Future<Void> all = InTurn.each(List.of(1, 2, 3, 4).iterator(), i -> {
      ran.add(i);
      return i == 2 ? Future.failedFuture(new IllegalStateException("step 2")) : Future.succeededFuture();
    });
    assertThat(all.failed()).isTrue();
    assertThat(all.cause()).hasMessage("step 2");
    assertThat(ran).containsExactly(1, 2);
  }
}
