package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestStores;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The command line as a person meets it: a start that cannot succeed says why in one line (naming the variable to
 * change) and exits 1, with no stack trace; {@code --version} prints the version.
 */
class StartupTest {
  record Run(int exit, List<String> lines) {
  }

  static Run run(Map<String, String> env, String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName()));
    command.addAll(List.of(args));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.endsWith("_URL"));
    builder.environment().putAll(env);
    Process process = builder.start();
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
    return new Run(process.exitValue(), output.lines().filter(l -> !l.isBlank()).toList());
  }

  /** Exit 1 and exactly one line, which the caller checks further. */
  static String oneLineFailure(Run run) {
    assertThat(run.exit()).isEqualTo(1);
    assertThat(run.lines()).as("one line").hasSize(1);
    return run.lines().get(0);
  }

  static Map<String, String> stores() {
    Map<String, String> env = new HashMap<>();
    env.put("REDIS_URL", TestStores.get().redisUrl());
    env.put("DATABASE_URL", TestStores.get().databaseUrl());
    env.put("GATEWAY_ADMIN_TOKEN", TestGateway.ADMIN_TOKEN);
    return env;
  }

  @Test
  void aBusyPortIsOneLineNamingGatewayPort() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      Map<String, String> env = stores();
      env.put("GATEWAY_PORT", Integer.toString(taken.getLocalPort()));
      assertThat(oneLineFailure(run(env))).startsWith("loyalty-gateway: port " + taken.getLocalPort())
          .contains("in use").contains("GATEWAY_PORT");
    }
  }

  @Test
  void badValuesAndUnreachableStoresAreOneLineEach() throws Exception {
    Map<String, String> bad = stores();
    bad.put("GATEWAY_PORT", "eighty");
    bad.put("REDIS_TIMEOUT_MS", "1");
    assertThat(oneLineFailure(run(bad))).contains("GATEWAY_PORT must be a whole number").contains("REDIS_TIMEOUT_MS");

    Map<String, String> noDatabase = stores();
    noDatabase.put("DATABASE_URL", "postgresql://postgres@127.0.0.1:1/none");
    assertThat(oneLineFailure(run(noDatabase))).contains("DATABASE_URL").contains("127.0.0.1:1");

    Map<String, String> noToken = stores();
    noToken.remove("GATEWAY_ADMIN_TOKEN");
    assertThat(oneLineFailure(run(noToken))).isEqualTo("loyalty-gateway: GATEWAY_ADMIN_TOKEN is required when REDIS_URL and "
        + "DATABASE_URL are set (at least 16 characters, e.g. from openssl rand -hex 24)");
  }

  @Test
  void versionIsPrinted() throws Exception {
    Run version = run(Map.of(), "--version");
    assertThat(version.exit()).isZero();
    assertThat(version.lines()).hasSize(1);
    assertThat(version.lines().get(0)).startsWith("loyalty-gateway ");
  }
}
