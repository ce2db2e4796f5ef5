package io.loyalty.gateway;

import io.loyalty.gateway.program.Secrets;
import io.loyalty.gateway.reconcile.Reconciliation;
import io.loyalty.gateway.writebehind.DeadLetters;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The command line: with no command it serves (the gateway, from environment variables; without REDIS_URL /
 * DATABASE_URL it first starts embedded servers keeping their data under GATEWAY_DATA_DIR, and a development
 * admin token kept there too); {@code reconcile} compares Redis with PostgreSQL; {@code dead-letters} lists and
 * replays write-behind entries PostgreSQL refused.
 */
@Command(name = "loyalty-gateway", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    subcommands = {Main.Reconcile.class, Main.DeadLetterCommand.class},
    description = "Loyalty transaction gateway. Configured by environment variables (see README).")
public final class Main implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(Main.class);

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /**
   * The command line. What stops a start (a bad variable, a busy port, a data folder in use, a store out of reach)
   * is one line on stderr and exit code 1; the stack trace goes to the log at debug level only.
   */
  static CommandLine commandLine() {
    return new CommandLine(new Main()).setExecutionExceptionHandler((e, cmd, parsed) -> {
      Throwable cause = e instanceof java.util.concurrent.ExecutionException && e.getCause() != null ? e.getCause() : e;
      String message = cause instanceof StartupException || cause instanceof IllegalArgumentException
          ? cause.getMessage() : "could not start: " + cause;
      LOG.debug("start-up failed", cause);
      cmd.getErr().println("loyalty-gateway: " + message);
      return 1;
    });
  }

  /** The version from the jar's manifest. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"loyalty-gateway " + (version == null ? "(development build)" : version)};
    }
  }

  /** Serves until the process is stopped. */
  @Override
  public Integer call() throws Exception {
    Config config = Config.fromEnv(System.getenv());
    if (config.adminToken() == null && !config.embeddedRedis() && !config.embeddedDatabase()) {
      throw new StartupException("GATEWAY_ADMIN_TOKEN is required when REDIS_URL and DATABASE_URL are set "
          + "(at least 16 characters, e.g. from openssl rand -hex 24)");
    }
    Path dataDir = Path.of(config.dataDir()).toAbsolutePath();
    EmbeddedStores stores = EmbeddedStores.startMissing(config, dataDir);
    Config resolved;
    Gateway gateway;
    try {
      Map<String, String> env = new HashMap<>(System.getenv());
      env.put("REDIS_URL", stores.redisUrl());
      env.put("DATABASE_URL", stores.databaseUrl());
      if (config.adminToken() == null) {
        env.put("GATEWAY_ADMIN_TOKEN", developmentToken(dataDir));
      }
      resolved = Config.fromEnv(env);
      gateway = Gateway.start(resolved, Clock.systemUTC()).toCompletionStage().toCompletableFuture().get();
    } catch (Exception e) {
      stores.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        gateway.stop().get();
      } catch (Exception e) {
        LOG.warn("error while stopping", e);
      }
      stores.close();
      stopped.countDown();
    }));
    System.out.printf("""

        Loyalty gateway listening on %s://%s:%d%s
          Redis:       %s%s
          PostgreSQL:  %s%s
          Admin token: %s
        %n""", resolved.tlsCertPath() == null ? "http" : "https", resolved.httpHost(), resolved.httpPort(),
        resolved.httpHost().equals("0.0.0.0") ? "  (every interface; GATEWAY_HOST)" : "",
        resolved.redisUrl(), config.embeddedRedis() ? "  (embedded, data in " + dataDir.resolve("redis") + ")" : "",
        resolved.databaseUrl(), config.embeddedDatabase() ? "  (embedded, data in " + dataDir.resolve("postgres") + ")" : "",
        config.adminToken() == null ? resolved.adminToken() + "  (development token, kept in " + dataDir.resolve("admin-token") + ")"
            : "(from GATEWAY_ADMIN_TOKEN)");
    stopped.await();
    return 0;
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

  @Command(name = "reconcile", mixinStandardHelpOptions = true,
      description = "Compares every member's Redis state with PostgreSQL (REDIS_URL, DATABASE_URL) and prints the "
          + "drift; exits 1 when there is drift (0 once repaired).")
  static final class Reconcile implements Callable<Integer> {
    @Option(names = "--repair", description = "Drop drifting hot copies so they reload from PostgreSQL.")
    boolean repair;

    @Override
    public Integer call() throws Exception {
      Config config = Config.fromEnv(System.getenv());
      if (config.embeddedRedis() || config.embeddedDatabase()) {
        System.err.println("reconcile needs REDIS_URL and DATABASE_URL (the embedded servers belong to the running "
            + "gateway; their URLs are printed when it starts)");
        return 2;
      }
      Reconciliation.Report report = Reconciliation.run(config.redisUrl(), config.databaseUrl(), repair, System.out);
      return report.drifts().size() > report.repaired() ? 1 : 0;
    }
  }

  @Command(name = "dead-letters", mixinStandardHelpOptions = true,
      description = "Lists the write-behind entries PostgreSQL refused (REDIS_URL); exits 1 when there are any.")
  static final class DeadLetterCommand implements Callable<Integer> {
    @Option(names = "--replay", description = "Put them back on their streams (once the cause is fixed).")
    boolean replay;

    @Option(names = "--drop", paramLabel = "SHARD:ID", description = "Remove this letter (as listed) for good, "
        + "recording it in PostgreSQL's dropped_dead_letters (needs DATABASE_URL and --reason).")
    String drop;

    @Option(names = "--reason", description = "Why the letter is dropped; kept with its record.")
    String reason;

    @Override
    public Integer call() throws Exception {
      Config config = Config.fromEnv(System.getenv());
      if (config.embeddedRedis()) {
        System.err.println("dead-letters needs REDIS_URL (the running gateway prints it when it starts)");
        return 2;
      }
      if (drop == null) {
        int found = DeadLetters.run(config.redisUrl(), replay, System.out);
        return found > 0 && !replay ? 1 : 0;
      }
      if (config.embeddedDatabase() || reason == null || reason.isBlank() || replay) {
        System.err.println("--drop needs DATABASE_URL and --reason \"why\" (and no --replay)");
        return 2;
      }
      if (!DeadLetters.drop(config.redisUrl(), config.databaseUrl(), drop, reason, System.out)) {
        System.err.println("no dead letter " + drop + " (list them with dead-letters)");
        return 1;
      }
      return 0;
    }
  }
}
