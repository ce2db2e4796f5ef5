package io.loyalty.gateway;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import redis.embedded.RedisServer;

/**
 * Real PostgreSQL and Redis servers run from jars (zonky, codemonstur), for the embedded default of the run
 * command and for hermetic tests. With a data folder their data survives a restart.
 */
public final class EmbeddedStores implements AutoCloseable {
  private final EmbeddedPostgres postgres;
  private final RedisServer redis;
  private final String redisUrl;
  private final String databaseUrl;

  private EmbeddedStores(EmbeddedPostgres postgres, RedisServer redis, String redisUrl, String databaseUrl) {
    this.postgres = postgres;
    this.redis = redis;
    this.redisUrl = redisUrl;
    this.databaseUrl = databaseUrl;
  }

  /**
   * Starts what the config leaves unset. {@code dataDir} null means throw-away data (tests: PostgreSQL without
   * fsync); otherwise data lives in {@code dataDir/postgres} (fsync and synchronous commit on, as in production)
   * and {@code dataDir/redis} (append-only file, fsync every second). The servers stop on {@link #close}, which
   * the owner calls (from its own shutdown hook, after the gateway has stopped using them).
   */
  public static EmbeddedStores startMissing(Config config, Path dataDir) {
    EmbeddedPostgres postgres = null;
    try {
      String databaseUrl = config.databaseUrl();
      if (config.embeddedDatabase()) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPort(freePort())
            .setRegisterShutdownHook(false)
            .setServerConfig("max_connections", "200");
        if (dataDir != null) {
          Path pgData = Files.createDirectories(dataDir.resolve("postgres"));
          builder.setDataDirectory(pgData).setCleanDataDirectory(false)
              .setServerConfig("fsync", "on").setServerConfig("synchronous_commit", "on")
              .setServerConfig("full_page_writes", "on");
        }
        postgres = start(builder, dataDir);
        databaseUrl = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
      }
      RedisServer redis = null;
      String redisUrl = config.redisUrl();
      if (config.embeddedRedis()) {
        int port = freePort();
        var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1").onShutdownForceStop(false)
            .setting("maxmemory-policy noeviction")
            .setting("rdbcompression no") // as deploy/docker-compose.yml runs it
            .setting("save \"\"");
        if (dataDir != null) {
          Path redisData = Files.createDirectories(dataDir.resolve("redis"));
          builder.setting("dir " + redisData.toAbsolutePath())
              .setting("appendonly yes")
              .setting("appendfsync everysec");
        } else {
          builder.setting("appendonly no");
        }
        redis = builder.build();
        redis.start();
        redisUrl = "redis://127.0.0.1:" + port;
      }
      return new EmbeddedStores(postgres, redis, redisUrl, databaseUrl);
    } catch (IOException | RuntimeException e) {
      if (postgres != null) {
        try {
          postgres.close();
        } catch (IOException ignored) {
          // stopping what started, on the way out
        }
      }
      if (e instanceof StartupException startup) {
        throw startup;
      }
      throw new StartupException("the embedded stores could not start (" + e.getMessage() + "); check "
          + (dataDir == null ? "the temporary folder" : "the data folder " + dataDir + " (GATEWAY_DATA_DIR)")
          + ", or set REDIS_URL and DATABASE_URL to servers of your own", e);
    }
  }

  /** Starts PostgreSQL, saying plainly when another gateway already runs on the same data folder. */
  private static EmbeddedPostgres start(EmbeddedPostgres.Builder builder, Path dataDir) throws IOException {
    try {
      return builder.start();
    } catch (IOException | RuntimeException e) {
      if (dataDir != null && String.valueOf(e.getMessage()).contains("lock")) {
        throw new StartupException("the data folder " + dataDir + " is in use by another running gateway: stop "
            + "that one, or set GATEWAY_DATA_DIR to another folder", e);
      }
      throw e;
    }
  }

  public String redisUrl() {
    return redisUrl;
  }

  public String databaseUrl() {
    return databaseUrl;
  }

  public static int freePort() {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public void close() {
    try {
      if (redis != null) {
        redis.stop();
      }
      if (postgres != null) {
        postgres.close();
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
