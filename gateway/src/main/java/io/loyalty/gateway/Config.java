package io.loyalty.gateway;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Everything the gateway reads from its environment, read once at start-up and validated with clear messages.
 * A null {@code redisUrl} or {@code databaseUrl} means "start the embedded server".
 */
public record Config(
    String httpHost,
    int httpPort,
    String redisUrl,
    boolean redisCluster,
    String databaseUrl,
    String adminToken,
    String dataDir,
    int eventLoops,
    int databasePoolSize,
    long redisTimeoutMillis,
    long idempotencyTtlSeconds,
    int writeBehindBatchSize,
    long writeBehindPollMillis,
    long writeBehindClaimIdleMillis,
    long writeBehindMaxBacklogEntries,
    long configRefreshMillis,
    long tillRequestsPerSecond,
    long tillBurstRequests,
    long memberIdleSeconds,
    long memberEvictScanMillis,
    long schedulerIntervalMillis,
    long webhookPollMillis,
    long webhookTimeoutMillis,
    long stopTimeoutMillis,
    String tlsCertPath,
    String tlsKeyPath) {

  /** Keys must be kept at least this long (DESIGN.md, idempotency). */
  public static final long MIN_IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

  public static Config fromEnv(Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    Reader r = new Reader(env, problems);
    Config config = new Config(
        r.text("GATEWAY_HOST", "127.0.0.1"),
        r.integer("GATEWAY_PORT", 8080, 0, 65535),
        r.text("REDIS_URL", null),
        r.bool("REDIS_CLUSTER", false),
        r.text("DATABASE_URL", null),
        r.text("GATEWAY_ADMIN_TOKEN", null),
        r.text("GATEWAY_DATA_DIR", "data"),
        r.integer("GATEWAY_EVENT_LOOPS", Runtime.getRuntime().availableProcessors(), 1, 256),
        r.integer("DATABASE_POOL_SIZE", 8, 1, 200),
        r.longValue("REDIS_TIMEOUT_MS", 2000, 50, 60_000),
        r.longValue("IDEMPOTENCY_TTL_SECONDS", 48 * 3600, MIN_IDEMPOTENCY_TTL_SECONDS, 365L * 24 * 3600),
        r.integer("WRITE_BEHIND_BATCH_SIZE", 500, 1, 10_000),
        r.longValue("WRITE_BEHIND_POLL_MS", 20, 1, 10_000),
        r.longValue("WRITE_BEHIND_CLAIM_IDLE_MS", 30_000, 100, 3_600_000),
        r.longValue("WRITE_BEHIND_MAX_BACKLOG", 1_000_000, 1_000, 1_000_000_000),
        r.longValue("CONFIG_REFRESH_MS", 500, 10, 60_000),
        r.longValue("TILL_RATE_LIMIT_PER_SECOND", 100, 1, 1_000_000),
        r.longValue("TILL_RATE_LIMIT_BURST", 200, 1, 1_000_000),
        r.longValue("MEMBER_IDLE_EVICT_SECONDS", 7 * 24 * 3600, 0, 10L * 365 * 24 * 3600),
        r.longValue("MEMBER_EVICT_SCAN_MS", 1000, 10, 3_600_000),
        r.longValue("SCHEDULER_INTERVAL_MS", 60_000, 10, 24 * 3_600_000),
        r.longValue("WEBHOOK_POLL_MS", 1000, 10, 600_000),
        r.longValue("WEBHOOK_TIMEOUT_MS", 10_000, 100, 600_000),
        r.longValue("STOP_TIMEOUT_MS", 5_000, 100, 600_000),
        r.text("GATEWAY_TLS_CERT", null),
        r.text("GATEWAY_TLS_KEY", null));
    if ((config.tlsCertPath == null) != (config.tlsKeyPath == null)) {
      problems.add("GATEWAY_TLS_CERT and GATEWAY_TLS_KEY go together (PEM certificate chain and private key)");
    }
    if (config.redisCluster && config.redisUrl == null) {
      problems.add("REDIS_CLUSTER=true needs REDIS_URL naming a node of the cluster (there is no embedded cluster)");
    }
    if (config.adminToken != null && config.adminToken.length() < 16) {
      problems.add("GATEWAY_ADMIN_TOKEN must be at least 16 characters");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid configuration: " + String.join("; ", problems));
    }
    return config;
  }

  public boolean embeddedRedis() {
    return redisUrl == null;
  }

  public boolean embeddedDatabase() {
    return databaseUrl == null;
  }

  private record Reader(Map<String, String> env, List<String> problems) {
    String text(String name, String fallback) {
      String value = env.get(name);
      return value == null || value.isBlank() ? fallback : value.trim();
    }

    boolean bool(String name, boolean fallback) {
      String value = text(name, null);
      if (value == null) {
        return fallback;
      }
      if (!value.equals("true") && !value.equals("false")) {
        problems.add(name + " must be true or false, got '" + value + "'");
      }
      return value.equals("true");
    }

    int integer(String name, int fallback, int min, int max) {
      return (int) longValue(name, fallback, min, max);
    }

    long longValue(String name, long fallback, long min, long max) {
      String value = text(name, null);
      if (value == null) {
        return fallback;
      }
      try {
        long parsed = Long.parseLong(value);
        if (parsed < min || parsed > max) {
          problems.add(name + " must be between " + min + " and " + max + ", got " + parsed);
        }
        return parsed;
      } catch (NumberFormatException e) {
        problems.add(name + " must be a whole number, got '" + value + "'");
        return fallback;
      }
    }
  }
}
