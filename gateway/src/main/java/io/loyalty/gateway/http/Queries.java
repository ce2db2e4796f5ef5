package io.loyalty.gateway.http;

import io.vertx.ext.web.RoutingContext;

/** Query-string parameters, checked like body fields: problems go to {@link Fields} and are reported together. */
public final class Queries {
  private Queries() {
  }

  /** A whole number from {@code min} to {@code max}, or {@code fallback} when absent. */
  public static long number(Fields f, RoutingContext ctx, String name, long fallback, long min, long max) {
    String value = ctx.queryParams().get(name);
    if (value == null) {
      return fallback;
    }
    try {
      long number = Long.parseLong(value);
      if (number >= min && number <= max) {
        return number;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    f.error(name, "must be a whole number from " + min + " to " + max);
    return fallback;
  }
}
