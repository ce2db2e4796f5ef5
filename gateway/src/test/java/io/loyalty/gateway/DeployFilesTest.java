package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

/**
 * The files in deploy/ parse as what they claim to be, and every meter the alert rules and the dashboard query
 * is one a running gateway really exports: a renamed meter must not silently blind a dashboard or an alert.
 */
class DeployFilesTest {
  static final Path DEPLOY = Path.of("..", "deploy");
  static final Pattern METER = Pattern.compile("\\b((?:loyalty|vertx|jvm|process|system)_[a-z0-9_]+)");

  @Test
  void deployFilesParse() throws IOException {
    List<Path> files = deployFiles();
    assertThat(files).extracting(f -> DEPLOY.relativize(f).toString())
        .contains("prometheus/alerts.yml", "grafana/dashboards/loyalty-gateway.json", "kubernetes/gateway.yaml");
    for (Path file : files) {
      String text = Files.readString(file);
      if (file.toString().endsWith(".json")) {
        assertThat(new JsonObject(text).getJsonArray("panels")).as(file.toString()).isNotEmpty();
      } else {
        assertThat(new Yaml().loadAll(text)).as(file.toString()).isNotEmpty();
      }
    }
  }

  @Test
  void everyMeterTheAlertsAndTheDashboardQueryIsExported() throws IOException {
    Set<String> queried = new TreeSet<>();
    for (Path file : deployFiles()) {
      Matcher m = METER.matcher(Files.readString(file));
      while (m.find()) {
        queried.add(m.group(1));
      }
    }
    assertThat(queried).contains("loyalty_writebehind_lag_seconds", "loyalty_http_request_duration_seconds_bucket",
        "loyalty_writebehind_dead_letters_waiting", "loyalty_ledger_points_total");

    try (TestGateway gw = TestGateway.start()) {
      String till = gw.till(gw.program(new JsonObject()));
      String member = gw.member(till);
      assertThat(gw.purchase(till, "a", TestGateway.purchase(member, "R-1", 100_000, null)).status()).isEqualTo(201);
      assertThat(gw.purchase(till, "b", TestGateway.purchase(member, "R-2", 10_000, 10)).status()).isEqualTo(201);
      gw.awaitDrained();
      // the GC pause meters appear once a collection after the gateway started has been reported, asynchronously
      System.gc();
      Set<String> exported = Set.of();
      for (int attempt = 0; attempt < 50 && !exported.containsAll(queried); attempt++) {
        TestGateway.sleep(attempt == 0 ? 0 : 100);
        exported = gw.call("GET", "/metrics", null, null, null).raw().body().lines()
            .filter(l -> !l.startsWith("#") && !l.isBlank()).map(l -> l.split("[{ ]", 2)[0])
            .collect(Collectors.toSet());
      }
      assertThat(exported).containsAll(queried);
      // Prometheus conventions for our own meters: one unit, said once; durations named as such
      for (String name : exported) {
        if (name.startsWith("loyalty_")) {
          assertThat(name).as("doubled unit").doesNotContainPattern("_([a-z]+)_\\1(_|$)");
          if (name.matches(".*_seconds_(bucket|count|sum|max)")) {
            assertThat(name).as("a timer").containsPattern("_duration_seconds_(bucket|count|sum|max)$");
          }
        }
      }
    }
  }

  static List<Path> deployFiles() throws IOException {
    try (Stream<Path> walk = Files.walk(DEPLOY)) {
      return walk.filter(f -> f.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList();
    }
  }
}
