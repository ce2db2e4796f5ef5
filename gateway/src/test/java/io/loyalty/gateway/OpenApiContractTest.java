package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.admin.AdminRoutes;
import io.loyalty.gateway.http.Api;
import io.loyalty.gateway.member.MemberRoutes;
import io.loyalty.gateway.purchase.Purchases;
import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.openapi.contract.OpenAPIContract;
import io.vertx.openapi.contract.Operation;
import io.vertx.openapi.validation.ResponseValidator;
import io.vertx.openapi.validation.ValidatableResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The served OpenAPI file lints clean, documents exactly the routes there are, declares every status the gateway
 * answers on each of them, and real answers match its schemas.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class OpenApiContractTest extends GatewayTest {
  static final String PROBLEM = "application/problem+json";
  static final String YAML = "application/yaml";
  static final String CSV = "text/csv";
  static Vertx vertx;
  static OpenAPIContract contract;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    // vertx-openapi 5.0 validates only a fixed set of media types; problem+json bodies are JSON and the YAML
    // document and the CSV reports are text, so the validator gets a copy with those media types renamed.
    String served = java.nio.file.Files.readString(java.nio.file.Path.of("src/main/resources/openapi.yaml"));
    java.nio.file.Path copy = java.nio.file.Files.createTempFile("openapi", ".yaml");
    java.nio.file.Files.writeString(copy, served.replace(PROBLEM, "application/json").replace(YAML, "text/plain")
        .replace(CSV, "text/plain"));
    contract = OpenAPIContract.from(vertx, copy.toString()).toCompletionStage()
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  /**
   * Lint: the file parses as OpenAPI 3.1 with no message from swagger-parser, and meets the rules a reader relies
   * on (those of Redocly's recommended set it does not check): a license, tags described, every operation with a
   * summary and a 4xx answer, an example on every parameter, request body and response body.
   */
  @Test
  void theFileLintsCleanAndEveryPartHasAnExample() {
    io.swagger.v3.parser.core.models.ParseOptions options = new io.swagger.v3.parser.core.models.ParseOptions();
    options.setResolve(true);
    io.swagger.v3.parser.core.models.SwaggerParseResult parsed = new io.swagger.v3.parser.OpenAPIV3Parser()
        .readLocation("src/main/resources/openapi.yaml", null, options);
    assertThat(parsed.getMessages()).as("swagger-parser").isEmpty();
    io.swagger.v3.oas.models.OpenAPI api = parsed.getOpenAPI();
    List<String> problems = new ArrayList<>();
    if (api.getInfo().getLicense() == null) {
      problems.add("info: no license");
    }
    api.getTags().stream().filter(t -> t.getDescription() == null).forEach(t -> problems.add("tag " + t.getName() + ": no description"));
    api.getServers().stream().filter(s -> s.getUrl().contains("localhost") || s.getUrl().contains("example.com"))
        .forEach(s -> problems.add("server " + s.getUrl()));
    api.getComponents().getSchemas().forEach((name, schema) -> propertyNames(name, schema, problems));
    api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
      String where = method + " " + path;
      if (op.getRequestBody() != null) {
        op.getRequestBody().getContent().forEach((type, media) -> propertyNames(where, media.getSchema(), problems));
      }
      if (op.getSummary() == null) {
        problems.add(where + ": no summary");
      }
      if (op.getResponses().keySet().stream().noneMatch(code -> code.startsWith("4"))) {
        problems.add(where + ": no 4xx answer");
      }
      List<io.swagger.v3.oas.models.parameters.Parameter> parameters = new ArrayList<>();
      if (item.getParameters() != null) {
        parameters.addAll(item.getParameters());
      }
      if (op.getParameters() != null) {
        parameters.addAll(op.getParameters());
      }
      for (var parameter : parameters) {
        var resolved = parameter.get$ref() == null ? parameter
            : api.getComponents().getParameters().get(parameter.get$ref().replace("#/components/parameters/", ""));
        if (resolved.getExample() == null && resolved.getExamples() == null
            && (resolved.getSchema() == null || resolved.getSchema().getExample() == null)) {
          problems.add(where + ": parameter " + resolved.getName() + " has no example");
        }
      }
      if (op.getRequestBody() != null) {
        op.getRequestBody().getContent().forEach((type, media) -> {
          if (media.getExample() == null && media.getExamples() == null) {
            problems.add(where + ": request body " + type + " has no example");
          }
        });
      }
      op.getResponses().forEach((code, response) -> {
        var resolved = response.get$ref() == null ? response
            : api.getComponents().getResponses().get(response.get$ref().replace("#/components/responses/", ""));
        if (resolved.getContent() != null) {
          resolved.getContent().forEach((type, media) -> {
            if (media.getExample() == null && media.getExamples() == null) {
              problems.add(where + ": response " + code + " " + type + " has no example");
            }
          });
        }
      });
    }));
    assertThat(problems).isEmpty();
  }

  /** Property names are snake_case identifiers: anything else is a YAML slip (an unquoted ': ' in a description). */
  @SuppressWarnings("rawtypes")
  static void propertyNames(String where, io.swagger.v3.oas.models.media.Schema schema, List<String> problems) {
    if (schema == null) {
      return;
    }
    if (schema.getProperties() != null) {
      ((java.util.Map<String, io.swagger.v3.oas.models.media.Schema>) schema.getProperties()).forEach((name, property) -> {
        if (!name.matches("[a-z][a-z0-9_]*")) {
          problems.add(where + ": property '" + name + "'");
        }
        propertyNames(where + "." + name, property, problems);
      });
    }
    propertyNames(where + "[]", schema.getItems(), problems);
    if (schema.getAllOf() != null) {
      for (Object part : schema.getAllOf()) {
        propertyNames(where, (io.swagger.v3.oas.models.media.Schema) part, problems);
      }
    }
  }

  /**
   * Provokes, on every documented operation, the answers any route can give (a malformed URI, no credentials, a
   * form body, a body over the limit, too many requests), then checks that every status the gateway counted on a
   * route (these, and every answer of the other tests of this class) is declared on that operation.
   */
  @Test
  @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
  void everyStatusAnsweredOnARouteIsDeclared() {
    io.swagger.v3.oas.models.OpenAPI api = new io.swagger.v3.parser.OpenAPIV3Parser()
        .read("src/main/resources/openapi.yaml");
    String till = gw.till(gw.program(new JsonObject()));
    try (TestGateway throttled = TestGateway.start(java.util.Map.of("TILL_RATE_LIMIT_PER_SECOND", "1",
        "TILL_RATE_LIMIT_BURST", "1"))) {
      String throttledTill = throttled.till(throttled.program(new JsonObject()));
      api.getPaths().forEach((path, item) -> item.readOperationsMap().forEach((method, op) -> {
        String target = path.replaceAll("\\{member_id}|\\{authorization_id}", java.util.UUID.randomUUID().toString())
            .replaceAll("\\{[a-z_]+}", "x");
        String line = method + " " + target;
        boolean api1 = path.startsWith("/v1/");
        gw.raw(line + "?q=%ZZ HTTP/1.1", null);
        if (api1) {
          gw.raw(line + " HTTP/1.1", null);
          gw.raw(line + " HTTP/1.1\r\nAuthorization: Bearer " + till + "\r\nContent-Type: application/x-www-form-urlencoded", "a=b");
          for (int i = 0; i < 3 && !path.startsWith("/v1/admin/"); i++) {
            throttled.raw(line + " HTTP/1.1\r\nAuthorization: Bearer " + throttledTill + "\r\nIdempotency-Key: t-" + i, null);
          }
        }
        if (op.getRequestBody() != null) {
          gw.raw(line + " HTTP/1.1\r\nAuthorization: Bearer " + (path.startsWith("/v1/admin/") ? TestGateway.ADMIN_TOKEN : till)
              + "\r\nIdempotency-Key: big\r\nContent-Type: application/json\r\nContent-Length: 5000000", null);
        }
      }));
      List<String> undeclared = new ArrayList<>();
      for (TestGateway g : List.of(gw, throttled)) {
        g.call("GET", "/metrics", null, null, null).raw().body().lines()
            .filter(l -> l.startsWith("loyalty_http_request_duration_seconds_count{")).forEach(l -> {
              java.util.Map<String, String> tags = new java.util.HashMap<>();
              java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\w+)=\"([^\"]*)\"").matcher(l);
              while (m.find()) {
                tags.put(m.group(1), m.group(2));
              }
              String path = tags.get("route").replaceAll(":(\\w+)", "{$1}");
              var item = api.getPaths().get(path);
              var op = item == null ? null : item.readOperationsMap().get(
                  io.swagger.v3.oas.models.PathItem.HttpMethod.valueOf(tags.get("method").equals("OTHER") ? "TRACE" : tags.get("method")));
              if (op != null && !op.getResponses().containsKey(tags.get("status")) && !op.getResponses().containsKey("default")) {
                undeclared.add(tags.get("method") + " " + path + " answered " + tags.get("status") + " " + tags.get("code"));
              }
            });
      }
      assertThat(undeclared).isEmpty();
      assertThat(throttled.metric("loyalty_http_request_duration_seconds_count{code=\"rate_limited\",method=\"POST\","
          + "route=\"/v1/purchases\",status=\"429\"}")).as("the sweep did provoke 429s").isPositive();
    }
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    Api.Handlers handlers = new Api.Handlers(new AdminRoutes(null, null, null, null),
        new io.loyalty.gateway.report.ReportRoutes(null, null, null, null), new MemberRoutes(null, null, null),
        new Purchases(null, null, null, null, null),
        new io.loyalty.gateway.authorization.Authorizations(null, null, null, null, null, null),
        new io.loyalty.gateway.refund.Refunds(null, null, null, null, null),
        new io.loyalty.gateway.batch.Batches(null, null, null, null),
        new io.loyalty.gateway.webhook.WebhookRoutes(null, null, null, null));
    Set<String> routed = new TreeSet<>();
    Api.endpoints(handlers).forEach(e -> routed.add(e.method() + " " + e.path().replaceAll(":(\\w+)", "{$1}")));
    Api.OPERATIONAL_PATHS.forEach(path -> routed.add("GET " + path));
    Set<String> documented = contract.operations().stream()
        .map(o -> o.getHttpMethod() + " " + o.getOpenAPIPath()).collect(Collectors.toCollection(TreeSet::new));
    assertThat(documented).isEqualTo(routed);
  }

  @Test
  void realAnswersMatchTheirSchemas() {
    String program = gw.program(new JsonObject().put("expiry_days", 365));
    String till = gw.till(program);
    String phone = TestGateway.randomPhone();
    List<Response> answers = new ArrayList<>();
    answers.add(gw.call("GET", "/v1/admin/programs/" + program, TestGateway.ADMIN_TOKEN, null, null));
    Response enrolled = gw.call("POST", "/v1/members", till, null, new JsonObject().put("phone", phone)
        .put("consents", new JsonObject().put("personal_data", true).put("marketing", false)).encode());
    answers.add(enrolled);
    String member = enrolled.json().getString("member_id");
    answers.add(gw.purchase(till, "a", TestGateway.purchase(member, "R-1", 100_000, null)));
    answers.add(gw.purchase(till, "b", TestGateway.purchase(member, "R-2", 100_000, "max")));
    answers.add(gw.purchase(till, "b", TestGateway.purchase(member, "R-2", 100_000, "max")));
    answers.add(gw.purchase(till, "c", TestGateway.purchase(member, "R-3", 100_000, 10_000)));
    answers.add(gw.call("GET", "/v1/members/" + member, till, null, null));
    answers.add(gw.call("GET", "/v1/members/lookup?phone=" + phone.replace("+", "%2B"), till, null, null));
    gw.awaitDrained();
    answers.add(gw.call("GET", "/v1/members/" + member + "/ledger?limit=2", till, null, null));
    answers.add(gw.call("POST", "/v1/members", till, null, "{}"));
    Response authorized = gw.call("POST", "/v1/authorizations", till, "auth-1",
        TestGateway.purchase(member, "A-1", 50_000, 10).encode());
    answers.add(authorized);
    String authorization = authorized.json().getString("authorization_id");
    answers.add(gw.call("GET", "/v1/authorizations/" + authorization, till, null, null));
    answers.add(gw.call("POST", "/v1/authorizations/" + authorization + "/capture", till, "cap-1", null));
    answers.add(gw.call("GET", "/v1/authorizations/" + authorization, till, null, null));
    answers.add(gw.call("POST", "/v1/authorizations/" + authorization + "/void", till, "void-1", null));
    String other = gw.call("POST", "/v1/authorizations", till, "auth-2",
        TestGateway.purchase(member, "A-2", 50_000, null).encode()).json().getString("authorization_id");
    answers.add(gw.call("POST", "/v1/authorizations/" + other + "/void", till, "void-2", null));
    answers.add(gw.call("POST", "/v1/refunds", till, "refund-1", new JsonObject()
        .put("transaction_id", authorization).put("amount_minor", 10_000).encode()));
    answers.add(gw.call("POST", "/v1/refunds", till, "refund-2", new JsonObject()
        .put("transaction_id", authorization).put("amount_minor", 1_000_000).encode()));
    answers.add(gw.call("GET", "/health/ready", null, null, null));
    answers.add(gw.call("PATCH", "/v1/members/" + member + "/consents", till, null, "{\"marketing\":true}"));
    answers.add(gw.call("PATCH", "/v1/members/" + member + "/consents", till, null, "{}"));
    String admin = "/v1/admin/programs/" + program;
    answers.add(gw.call("PUT", admin + "/webhooks/crm", TestGateway.ADMIN_TOKEN, null, new JsonObject()
        .put("url", "http://127.0.0.1:9/hooks").put("secret", "whsec-0123456789abcdef")
        .put("events", new io.vertx.core.json.JsonArray().add("tier.changed")).encode()));
    answers.add(gw.call("PUT", admin + "/webhooks/crm", TestGateway.ADMIN_TOKEN, null, "{\"url\":\"x\"}"));
    answers.add(gw.call("POST", admin + "/webhook-deliveries/" + java.util.UUID.randomUUID() + "/retry",
        TestGateway.ADMIN_TOKEN, null, null));
    gw.awaitDrained();
    for (String path : List.of("", admin + "/tills", admin + "/liability", admin + "/liability.csv",
        admin + "/analytics?group_by=week", admin + "/analytics.csv", admin + "/analytics?group_by=store",
        admin + "/usage", admin + "/members?phone=" + phone.replace("+", "%2B"), admin + "/members/" + member
        + "/ledger?limit=3", admin + "/analytics?from=2026-02-01&to=2026-01-01", admin + "/webhooks",
        admin + "/webhook-deliveries?status=pending", admin + "/webhook-deliveries?status=lost")) {
      answers.add(gw.call("GET", path.isEmpty() ? "/v1/admin/programs" : path, TestGateway.ADMIN_TOKEN, null, null));
    }

    ResponseValidator validator = ResponseValidator.create(vertx, contract);
    for (Response answer : answers) {
      String path = answer.raw().request().uri().getPath();
      Operation operation = contract.findOperation(path, HttpMethod.valueOf(answer.raw().request().method()));
      assertThat(operation).as(path).isNotNull();
      if (answer.header("content-type").startsWith(CSV)) { // text: the validator checks JSON bodies only
        assertThat(operation.getResponse(answer.status()).getContent()).containsKey("text/plain");
        continue;
      }
      String contentType = answer.header("content-type").split(";")[0].replace(PROBLEM, "application/json");
      ValidatableResponse response = ValidatableResponse.create(answer.status(),
          Buffer.buffer(answer.raw().body()), contentType);
      assertThat(validator.validate(response, operation.getOperationId()).toCompletionStage().toCompletableFuture())
          .as(operation.getOperationId() + " " + answer.status() + " " + answer.raw().body())
          .succeedsWithin(java.time.Duration.ofSeconds(10));
    }
  }
}
