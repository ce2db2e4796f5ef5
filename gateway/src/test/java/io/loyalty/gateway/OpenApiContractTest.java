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

/** The served OpenAPI file documents exactly the routes there are, and real answers match its schemas. */
class OpenApiContractTest extends GatewayTest {
  static final String PROBLEM = "application/problem+json";
  static final String YAML = "application/yaml";
  static Vertx vertx;
  static OpenAPIContract contract;

  @BeforeAll
  static void start() throws Exception {
    vertx = Vertx.vertx();
    // vertx-openapi 5.0 validates only a fixed set of media types; problem+json bodies are JSON and the YAML
    // document is text, so the validator gets a copy with those two media types renamed.
    String served = java.nio.file.Files.readString(java.nio.file.Path.of("src/main/resources/openapi.yaml"));
    java.nio.file.Path copy = java.nio.file.Files.createTempFile("openapi", ".yaml");
    java.nio.file.Files.writeString(copy, served.replace(PROBLEM, "application/json").replace(YAML, "text/plain"));
    contract = OpenAPIContract.from(vertx, copy.toString()).toCompletionStage()
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() {
    vertx.close();
  }

  @Test
  void everyRouteIsDocumentedAndEveryDocumentedOperationIsRouted() {
    Api.Handlers handlers = new Api.Handlers(new AdminRoutes(null, "x".repeat(16)), new MemberRoutes(null, null),
        new Purchases(null, null, null, null, null),
        new io.loyalty.gateway.authorization.Authorizations(null, null, null, null, null, null),
        new io.loyalty.gateway.refund.Refunds(null, null, null, null, null),
        new io.loyalty.gateway.batch.Batches(null, null, null, null));
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

    ResponseValidator validator = ResponseValidator.create(vertx, contract);
    for (Response answer : answers) {
      String path = answer.raw().request().uri().getPath();
      Operation operation = contract.findOperation(path, HttpMethod.valueOf(answer.raw().request().method()));
      assertThat(operation).as(path).isNotNull();
      String contentType = answer.header("content-type").split(";")[0].replace(PROBLEM, "application/json");
      ValidatableResponse response = ValidatableResponse.create(answer.status(),
          Buffer.buffer(answer.raw().body()), contentType);
      assertThat(validator.validate(response, operation.getOperationId()).toCompletionStage().toCompletableFuture())
          .as(operation.getOperationId() + " " + answer.status() + " " + answer.raw().body())
          .succeedsWithin(java.time.Duration.ofSeconds(10));
    }
  }
}
