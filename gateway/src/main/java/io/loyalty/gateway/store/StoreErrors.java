package io.loyalty.gateway.store;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.vertx.core.VertxException;
import io.vertx.pgclient.PgException;
import java.io.IOException;

/** Decides which store failures are outages (503, retry with the same key) rather than bugs (500). */
public final class StoreErrors {
  private StoreErrors() {
  }

  public static ApiException asUnavailable(Throwable e) {
    if (e instanceof ApiException api) {
      return api;
    }
    return isOutage(e) ? new ApiException(ErrorCode.STORE_UNAVAILABLE, "Try again shortly") : null;
  }

  public static boolean isOutage(Throwable e) {
    if (e instanceof RedisCommandExecutionException ex) {
      String message = String.valueOf(ex.getMessage());
      return message.startsWith("OOM") || message.startsWith("LOADING") || message.startsWith("BUSY")
          || message.startsWith("MASTERDOWN") || message.startsWith("TRYAGAIN");
    }
    if (e instanceof RedisCommandTimeoutException || e instanceof RedisConnectionException
        || e instanceof RedisException || e instanceof IOException) {
      return true;
    }
    if (e instanceof PgException pg) {
      String state = String.valueOf(pg.getSqlState());
      // 08: connection exception, 53: insufficient resources, 57: operator intervention (e.g. shutdown)
      return state.startsWith("08") || state.startsWith("53") || state.startsWith("57");
    }
    if (e instanceof io.vertx.core.json.DecodeException) {
      return false;
    }
    return e instanceof VertxException || (e.getCause() != null && e.getCause() != e && isOutage(e.getCause()));
  }
}
