package io.loyalty.gateway.webhook;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** The gateway's clock readings as PostgreSQL timestamps. */
public final class Times {
  private Times() {
  }

  public static OffsetDateTime utc(long epochMillis) {
    return OffsetDateTime.ofInstant(Instant.ofEpochMilli(epochMillis), ZoneOffset.UTC);
  }
}
