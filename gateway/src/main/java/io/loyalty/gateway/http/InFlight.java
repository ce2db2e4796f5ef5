package io.loyalty.gateway.http;

import io.loyalty.gateway.program.Till;
import io.vertx.core.Future;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The (till, idempotency key) pairs this gateway is processing: a concurrent duplicate gets 409
 * {@code idempotency_key_in_use} instead of racing the first. Across gateways the Redis scripts serialise
 * duplicates, and the later one is answered as a replay.
 */
public final class InFlight {
  private final Set<String> keys = ConcurrentHashMap.newKeySet();

  public <T> Future<T> guard(Till till, String idempotencyKey, Supplier<Future<T>> work) {
    String flight = till.ref() + " " + idempotencyKey;
    if (!keys.add(flight)) {
      return Future.failedFuture(new ApiException(ErrorCode.IDEMPOTENCY_KEY_IN_USE,
          "Retry once the first request has been answered"));
    }
    Future<T> result;
    try {
      result = work.get();
    } catch (RuntimeException e) {
      result = Future.failedFuture(e);
    }
    return result.onComplete(done -> keys.remove(flight));
  }
}
