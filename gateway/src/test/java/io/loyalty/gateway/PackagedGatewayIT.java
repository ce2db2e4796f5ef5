package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The shaded jar as the README's run command starts it (embedded stores, a fresh data folder): it starts, is
 * ready, serves the API document and the admin page with its chart library, and stops on SIGTERM. Run by failsafe
 * after {@code package}, so packaging faults (a resource the shade plugin dropped) fail the build.
 */
class PackagedGatewayIT {
  @Test
  void theJarStartsServesTheAdminPageAndStops() throws Exception {
    Path jar = Path.of("target", "loyalty-gateway.jar");
    assertThat(jar).exists();
    int port;
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    Path data = Files.createTempDirectory("gateway-it");
    Path log = data.resolve("gateway.log");
    ProcessBuilder builder = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString()).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().keySet().removeIf(k -> k.startsWith("GATEWAY_") || k.endsWith("_URL"));
    builder.environment().put("GATEWAY_PORT", Integer.toString(port));
    builder.environment().put("GATEWAY_DATA_DIR", data.resolve("data").toString());
    Process gateway = builder.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      int ready = 0;
      for (int i = 0; i < 120 && ready != 200 && gateway.isAlive(); i++) {
        Thread.sleep(500);
        try {
          ready = get(http, base + "/health/ready").statusCode();
        } catch (java.io.IOException notYet) {
          // still starting
        }
      }
      assertThat(ready).as(Files.readString(log)).isEqualTo(200);
      assertThat(get(http, base + "/openapi.yaml").body()).startsWith("openapi: 3.1.0");
      HttpResponse<String> page = get(http, base + "/admin/");
      assertThat(page.body()).contains("Loyalty Gateway");
      assertThat(page.headers().firstValue("content-security-policy")).hasValueSatisfying(
          csp -> assertThat(csp).contains("default-src 'none'"));
      assertThat(get(http, base + "/admin/vendor/chart.umd.js").body()).contains("Chart");
    } finally {
      gateway.destroy(); // SIGTERM
      assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("stopped on SIGTERM").isTrue();
    }
  }

  static HttpResponse<String> get(HttpClient http, String url) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
