package io.loyalty.gateway;

import io.loyalty.gateway.program.Secrets;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the gateway from environment variables. Without REDIS_URL / DATABASE_URL it first starts embedded servers
 * keeping their data under GATEWAY_DATA_DIR, and a development admin token kept there too.
 */
public final class Main {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  private Main() {
  }

  public static void main(String[] args) throws Exception {
    Config config = Config.fromEnv(System.getenv());
    Path dataDir = Path.of(config.dataDir()).toAbsolutePath();
    EmbeddedStores stores = EmbeddedStores.startMissing(config, dataDir);
    Map<String, String> env = new HashMap<>(System.getenv());
    env.put("REDIS_URL", stores.redisUrl());
    env.put("DATABASE_URL", stores.databaseUrl());
    if (config.adminToken() == null) {
      if (!config.embeddedRedis() && !config.embeddedDatabase()) {
        throw new IllegalArgumentException("GATEWAY_ADMIN_TOKEN is required when REDIS_URL and DATABASE_URL are set");
      }
      env.put("GATEWAY_ADMIN_TOKEN", developmentToken(dataDir));
    }
    Config resolved = Config.fromEnv(env);
    Gateway gateway = Gateway.start(resolved, Clock.systemUTC()).toCompletionStage().toCompletableFuture().get();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        gateway.stop().toCompletionStage().toCompletableFuture().get();
      } catch (Exception e) {
        LOG.warn("error while stopping", e);
      }
      stores.close();
    }));
    System.out.printf("""

        Loyalty gateway listening on http://localhost:%d
          Redis:       %s%s
          PostgreSQL:  %s%s
          Admin token: %s
        %n""", resolved.httpPort(),
        resolved.redisUrl(), config.embeddedRedis() ? "  (embedded, data in " + dataDir.resolve("redis") + ")" : "",
        resolved.databaseUrl(), config.embeddedDatabase() ? "  (embedded, data in " + dataDir.resolve("postgres") + ")" : "",
        config.adminToken() == null ? resolved.adminToken() + "  (development token, kept in " + dataDir.resolve("admin-token") + ")"
            : "(from GATEWAY_ADMIN_TOKEN)");
  }

  /** A random admin token, generated on first start and kept in the data folder so restarts keep it. */
  private static String developmentToken(Path dataDir) throws IOException {
    Path file = dataDir.resolve("admin-token");
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    String token = Secrets.newApiKey("dev_");
    Files.createDirectories(dataDir);
    Files.writeString(file, token + "\n", StandardCharsets.UTF_8);
    return token;
  }
}
