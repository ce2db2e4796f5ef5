package io.loyalty.load;

import static io.gatling.javaapi.core.CoreDsl.StringBody;
import static io.gatling.javaapi.core.CoreDsl.constantUsersPerSec;
import static io.gatling.javaapi.core.CoreDsl.global;
import static io.gatling.javaapi.core.CoreDsl.jsonPath;
import static io.gatling.javaapi.core.CoreDsl.scenario;
import static io.gatling.javaapi.http.HttpDsl.header;
import static io.gatling.javaapi.http.HttpDsl.http;
import static io.gatling.javaapi.http.HttpDsl.status;

import io.gatling.javaapi.core.Assertion;
import io.gatling.javaapi.core.ChainBuilder;
import io.gatling.javaapi.core.PopulationBuilder;
import io.gatling.javaapi.core.ScenarioBuilder;
import io.gatling.javaapi.core.Simulation;
import io.gatling.javaapi.http.HttpProtocolBuilder;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A fleet of tills against one gateway, as an open model (arrivals per second, not closed loops). The mix of
 * arrivals: 70% purchases (a third redeem as much as allowed), 15% member look-ups, 5% authorise + capture at a
 * lower total, 5% a purchase and its partial refund, 5% a purchase and its retry with the same key. Before the
 * load, it creates a program, the tills and the members through the admin and till APIs.
 *
 * <p>System properties: {@code gateway} (default http://127.0.0.1:8080; loopback only), {@code adminToken}
 * (default: env GATEWAY_ADMIN_TOKEN), {@code tills} (50), {@code members} (2000), {@code rate} (arrivals per
 * second, 200), {@code seconds} (60), {@code p99Ms} (fail the run when the 99th percentile exceeds it; off by
 * default), {@code mix} ({@code fleet}, the mix above; or {@code purchases}: only purchases, for finding the
 * highest sustained purchase rate).
 */
public class PosFleetSimulation extends Simulation {
  private static final String GATEWAY = System.getProperty("gateway", "http://127.0.0.1:8080");
  private static final String ADMIN_TOKEN = System.getProperty("adminToken", System.getenv("GATEWAY_ADMIN_TOKEN"));
  private static final int TILLS = Integer.getInteger("tills", 50);
  private static final int MEMBERS = Integer.getInteger("members", 2000);
  private static final double RATE = Double.parseDouble(System.getProperty("rate", "200"));
  private static final int SECONDS = Integer.getInteger("seconds", 60);
  private static final String P99_MS = System.getProperty("p99Ms");
  private static final boolean PURCHASES_ONLY = "purchases".equals(System.getProperty("mix", "fleet"));

  private final HttpClient setupClient = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private final List<String> tillKeys = new ArrayList<>();
  private final List<String[]> members = new ArrayList<>(); // {id, phone}

  {
    requireLoopback(GATEWAY);
    if (ADMIN_TOKEN == null) {
      throw new IllegalArgumentException("set -DadminToken=… or GATEWAY_ADMIN_TOKEN");
    }
    setUpFleet();

    // Tills keep their connection open (HTTP keep-alive); they do not connect anew for every receipt.
    HttpProtocolBuilder protocol = http.baseUrl(GATEWAY).contentTypeHeader("application/json")
        .acceptHeader("application/json").shareConnections();
    PopulationBuilder[] populations = PURCHASES_ONLY ? new PopulationBuilder[] {arrivals(purchase("purchase"), 1.0)}
        : new PopulationBuilder[] {
        arrivals(purchase("purchase"), 0.70),
        arrivals(scenario("lookup").feed(feeder()).exec(http("lookup")
            .get("/v1/members/lookup?phone=#{phoneQuery}").header("Authorization", "Bearer #{till}")
            .check(status().is(200))), 0.15),
        arrivals(scenario("authorize+capture").feed(feeder()).exec(
            http("authorize").post("/v1/authorizations").header("Authorization", "Bearer #{till}")
                .header("Idempotency-Key", "#{key}").body(StringBody("#{body}"))
                .check(status().is(201), jsonPath("$.authorization_id").saveAs("authorization")),
            http("capture").post("/v1/authorizations/#{authorization}/capture")
                .header("Authorization", "Bearer #{till}").header("Idempotency-Key", "#{key}-capture")
                .body(StringBody("{\"total_minor\":#{captureMinor}}")).check(status().is(200))), 0.05),
        arrivals(scenario("purchase+refund").feed(feeder()).exec(purchaseRequest("purchase (to refund)")
                .check(jsonPath("$.transaction_id").saveAs("transaction")),
            http("refund").post("/v1/refunds").header("Authorization", "Bearer #{till}")
                .header("Idempotency-Key", "#{key}-refund")
                .body(StringBody("{\"transaction_id\":\"#{transaction}\",\"amount_minor\":#{refundMinor}}"))
                .check(status().is(201))), 0.05),
        arrivals(scenario("purchase+retry").feed(feeder()).exec(purchaseRequest("purchase (to retry)"),
            purchaseRequest("retry").check(header("Idempotent-Replayed").is("true"))), 0.05)};
    setUp(populations)
        .protocols(protocol)
        .maxDuration(Duration.ofSeconds(SECONDS + 60))
        .assertions(assertions());
  }

  private ScenarioBuilder purchase(String name) {
    return scenario(name).feed(feeder()).exec(purchaseRequest(name));
  }

  private static io.gatling.javaapi.http.HttpRequestActionBuilder purchaseRequest(String name) {
    return http(name).post("/v1/purchases").header("Authorization", "Bearer #{till}")
        .header("Idempotency-Key", "#{key}").body(StringBody("#{body}")).check(status().is(201));
  }

  private static PopulationBuilder arrivals(ScenarioBuilder scenario, double share) {
    return scenario.injectOpen(constantUsersPerSec(RATE * share).during(Duration.ofSeconds(SECONDS)));
  }

  private static Assertion[] assertions() {
    List<Assertion> assertions = new ArrayList<>(List.of(global().failedRequests().percent().lt(1.0)));
    if (P99_MS != null) {
      assertions.add(global().responseTime().percentile(99.0).lt(Integer.parseInt(P99_MS)));
    }
    return assertions.toArray(Assertion[]::new);
  }

  /** One virtual user's data: a till, a member (the regulars more often), a fresh key, a 10-line receipt. */
  private Iterator<Map<String, Object>> feeder() {
    Supplier<Map<String, Object>> next = () -> {
      ThreadLocalRandom random = ThreadLocalRandom.current();
      // a few regulars shop often: pick with a bias towards the start of the list
      int index = (int) Math.min(MEMBERS - 1, Math.floor(Math.pow(random.nextDouble(), 3) * MEMBERS));
      String[] member = members.get(index);
      StringBuilder lines = new StringBuilder();
      long total = 0;
      for (int i = 0; i < 10; i++) {
        long amount = 5_000 + random.nextLong(150_000);
        total += amount;
        lines.append(i == 0 ? "" : ",").append("{\"sku\":\"sku-").append(random.nextInt(50_000))
            .append("\",\"category\":\"").append(i == 0 && random.nextInt(8) == 0 ? "tobacco" : "food")
            .append("\",\"amount_minor\":").append(amount).append('}');
      }
      String redeem = random.nextInt(3) == 0 ? ",\"redeem_points\":\"max\"" : "";
      String body = "{\"member\":{\"id\":\"" + member[0] + "\"},\"receipt\":{\"number\":\"R-" + random.nextInt(1_000_000_000)
          + "\",\"total_minor\":" + total + ",\"lines\":[" + lines + "]}" + redeem + "}";
      return Map.of("till", tillKeys.get(random.nextInt(tillKeys.size())), "key", UUID.randomUUID().toString(),
          "body", body, "phoneQuery", member[1].replace("+", "%2B"), "captureMinor", total * 9 / 10,
          "refundMinor", total / 3);
    };
    return Stream.generate(next).iterator();
  }

  private void setUpFleet() {
    String program = "fleet-" + UUID.randomUUID().toString().substring(0, 8);
    call("PUT", "/v1/admin/programs/" + program, ADMIN_TOKEN, "{\"currency\":\"RUB\",\"expiry_days\":365,"
        + "\"excluded_categories\":[\"tobacco\"],\"tiers\":[{\"name\":\"Base\",\"min_spend_minor\":0,\"accrual_rate_bp\":300},"
        + "{\"name\":\"Gold\",\"min_spend_minor\":5000000,\"accrual_rate_bp\":700}]}").join();
    for (int i = 0; i < TILLS; i++) {
      String response = call("POST", "/v1/admin/programs/" + program + "/tills", ADMIN_TOKEN,
          "{\"store_id\":\"store-" + (i / 10) + "\",\"till_id\":\"till-" + i + "\"}").join();
      tillKeys.add(field(response, "api_key"));
    }
    List<CompletableFuture<String[]>> enrolments = new ArrayList<>();
    for (int i = 0; i < MEMBERS; i++) {
      String phone = "+7999" + String.format("%07d", ThreadLocalRandom.current().nextInt(10_000_000));
      enrolments.add(call("POST", "/v1/members", tillKeys.get(i % TILLS), "{\"phone\":\"" + phone
          + "\",\"consents\":{\"personal_data\":true,\"marketing\":false}}")
          .thenApply(response -> new String[] {field(response, "member_id"), phone}));
      if (enrolments.size() % 100 == 0) {
        CompletableFuture.allOf(enrolments.toArray(CompletableFuture[]::new)).join();
      }
    }
    enrolments.forEach(e -> members.add(e.join()));
  }

  private CompletableFuture<String> call(String method, String path, String bearer, String body) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(GATEWAY + path))
        .header("Authorization", "Bearer " + bearer).header("Content-Type", "application/json")
        .method(method, HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build();
    return setupClient.sendAsync(request, HttpResponse.BodyHandlers.ofString()).thenApply(HttpResponse::body);
  }

  /** A string field of a flat JSON answer (member_id may also name the existing member of a 409). */
  private static String field(String json, String name) {
    int at = json.indexOf("\"" + name + "\":\"");
    if (at < 0) {
      throw new IllegalStateException("no " + name + " in " + json);
    }
    int start = at + name.length() + 4;
    return json.substring(start, json.indexOf('"', start));
  }

  private static void requireLoopback(String url) {
    try {
      if (!InetAddress.getByName(URI.create(url).getHost()).isLoopbackAddress()) {
        throw new IllegalArgumentException("load tests target loopback only, not " + url);
      }
    } catch (java.net.UnknownHostException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
