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
   * Starts what the config leaves unset. {@code dataDir} null means throw-away data (tests); otherwise data lives
   * in {@code dataDir/postgres} and {@code dataDir/redis} (append-only file, fsync every second).
   */
  public static EmbeddedStores startMissing(Config config, Path dataDir) {
    try {
      EmbeddedPostgres postgres = null;
      String databaseUrl = config.databaseUrl();
      if (config.embeddedDatabase()) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder().setPort(freePort())
            .setServerConfig("max_connections", "200");
        if (dataDir != null) {
          Path pgData = Files.createDirectories(dataDir.resolve("postgres"));
          builder.setDataDirectory(pgData).setCleanDataDirectory(false);
        }
        postgres = builder.start();
        databaseUrl = "postgresql://postgres@127.0.0.1:" + postgres.getPort() + "/postgres";
      }
      RedisServer redis = null;
      String redisUrl = config.redisUrl();
      if (config.embeddedRedis()) {
        int port = freePort();
        var builder = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
            .setting("maxmemory-policy noeviction")
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
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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
