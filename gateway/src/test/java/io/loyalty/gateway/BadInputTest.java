package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Every client error gets a precise problem+json with its stable code, and changes nothing: not the balance,
 * not Redis, not the write-behind stream, not PostgreSQL.
 */
class BadInputTest extends GatewayTest {
  static String till;
  static String otherTill;
  static String member;
  static String memberPhone;
  static String otherMember;

  @BeforeAll
  static void start() {
    till = gw.till(gw.program(new JsonObject()));
    otherTill = gw.till(gw.program(new JsonObject()));
    memberPhone = TestGateway.randomPhone();
    member = gw.enrol(till, memberPhone).getString("member_id");
    otherMember = gw.member(otherTill);
    gw.purchase(till, "seed", TestGateway.purchase(member, "R-0", 100_000, null)); // 50 points
    gw.memberView(otherTill, otherMember);
    gw.awaitDrained();
  }

  record Case(String name, int status, String code, Supplier<Response> request) {
  }

  static Response purchase(JsonObject body) {
    return gw.purchase(till, UUID.randomUUID().toString(), body);
  }

  static Response purchaseRaw(String body) {
    return gw.call("POST", "/v1/purchases", till, UUID.randomUUID().toString(), body);
  }

  static JsonObject valid() {
    return TestGateway.purchase(member, "R-1", 10_000, null);
  }

  static JsonObject withLine(JsonObject line) {
    JsonObject body = valid();
    body.getJsonObject("receipt").put("lines", new JsonArray().add(line));
    return body;
  }

  static List<Case> cases() {
    List<Case> cases = new ArrayList<>();
    cases.add(new Case("malformed JSON", 400, "malformed_json", () -> purchaseRaw("{\"member\": ")));
    cases.add(new Case("a JSON array", 400, "malformed_json", () -> purchaseRaw("[]")));
    cases.add(new Case("an empty body", 400, "malformed_json", () -> purchaseRaw("")));
    cases.add(new Case("not JSON content type", 415, "unsupported_media_type", () -> gw.send("POST", "/v1/purchases",
        till, "ct", valid().encode(), "text/plain").join()));
    cases.add(new Case("body over the size limit", 413, "payload_too_large",
        () -> purchaseRaw("{\"pad\":\"" + "x".repeat(300_000) + "\"}")));
    cases.add(new Case("missing receipt", 422, "invalid_field", () -> purchase(valid().copy().put("receipt", null))));
    cases.add(new Case("missing member", 422, "invalid_field", () -> purchase(valid().copy().put("member", null))));
    cases.add(new Case("member named twice", 422, "invalid_field", () -> purchase(valid().copy()
        .put("member", new JsonObject().put("id", member).put("phone", memberPhone)))));
    cases.add(new Case("member id not a UUID", 422, "invalid_field", () -> purchase(valid().copy()
        .put("member", new JsonObject().put("id", "42")))));
    cases.add(new Case("unknown field", 422, "invalid_field", () -> purchase(valid().copy().put("redeem_point", 5))));
    cases.add(new Case("receipt number too long", 422, "invalid_field", () -> {
      JsonObject body = valid();
      body.getJsonObject("receipt").put("number", "R".repeat(65));
      return purchase(body);
    }));
    cases.add(new Case("sku too long", 422, "invalid_field", () -> purchase(withLine(new JsonObject()
        .put("sku", "s".repeat(1000)).put("amount_minor", 10_000)))));
    cases.add(new Case("too many lines", 422, "invalid_field", () -> {
      JsonArray lines = new JsonArray();
      for (int i = 0; i < 501; i++) {
        lines.add(new JsonObject().put("sku", "s").put("amount_minor", 1));
      }
      JsonObject body = valid();
      body.getJsonObject("receipt").put("total_minor", 501).put("lines", lines);
      return purchase(body);
    }));
    cases.add(new Case("zero total", 422, "invalid_field", () -> purchase(TestGateway.purchase(member, "R", 0, null))));
    cases.add(new Case("negative line", 422, "invalid_field", () -> purchase(withLine(new JsonObject()
        .put("sku", "s").put("amount_minor", -10_000)))));
    cases.add(new Case("fractional amount", 422, "invalid_field", () -> purchase(withLine(new JsonObject()
        .put("sku", "s").put("amount_minor", 100.5)))));
    cases.add(new Case("amount as a string", 422, "invalid_field", () -> purchase(withLine(new JsonObject()
        .put("sku", "s").put("amount_minor", "10000")))));
    cases.add(new Case("huge amount", 422, "invalid_field", () -> purchase(TestGateway.purchase(member, "R",
        1_000_000_000_000_000L, null))));
    cases.add(new Case("lines not adding up", 422, "lines_total_mismatch", () -> {
      JsonObject body = valid();
      body.getJsonObject("receipt").put("total_minor", 10_001);
      return purchase(body);
    }));
    cases.add(new Case("redeem_points neither number nor max", 422, "invalid_field",
        () -> purchase(valid().copy().put("redeem_points", "all"))));
    cases.add(new Case("negative redeem_points", 422, "invalid_field",
        () -> purchase(valid().copy().put("redeem_points", -1))));
    cases.add(new Case("redeem above the cap", 422, "redeem_cap_exceeded",
        () -> purchase(TestGateway.purchase(member, "R", 10_000, 31))));
    cases.add(new Case("redeem above the balance", 422, "insufficient_points",
        () -> purchase(TestGateway.purchase(member, "R", 1_000_000, 51))));
    cases.add(new Case("unknown member id", 404, "member_not_found",
        () -> purchase(TestGateway.purchase(UUID.randomUUID().toString(), "R", 10_000, null))));
    cases.add(new Case("unknown phone without enrolment", 404, "member_not_found", () -> purchase(valid().copy()
        .put("member", new JsonObject().put("phone", "+79990000000")))));
    cases.add(new Case("enrolment without a phone", 422, "invalid_field",
        () -> purchase(valid().copy().put("enroll_if_missing", true))));
    cases.add(new Case("no Authorization", 401, "unauthorized",
        () -> gw.call("POST", "/v1/purchases", null, "k", valid().encode())));
    cases.add(new Case("wrong till key", 401, "unauthorized",
        () -> gw.call("POST", "/v1/purchases", "lgk_wrong", "k", valid().encode())));
    cases.add(new Case("admin token as till key", 401, "unauthorized",
        () -> gw.call("POST", "/v1/purchases", TestGateway.ADMIN_TOKEN, "k", valid().encode())));
    cases.add(new Case("till key on an admin call", 401, "unauthorized", () -> gw.call("PUT",
        "/v1/admin/programs/x", till, null, new JsonObject().put("currency", "EUR").encode())));
    cases.add(new Case("no Idempotency-Key", 400, "idempotency_key_missing",
        () -> gw.call("POST", "/v1/purchases", till, null, valid().encode())));
    cases.add(new Case("Idempotency-Key with spaces", 400, "idempotency_key_missing",
        () -> gw.call("POST", "/v1/purchases", till, "two words", valid().encode())));
    cases.add(new Case("another program's member: purchase", 404, "member_not_found",
        () -> gw.purchase(otherTill, "x", TestGateway.purchase(member, "R", 10_000, null))));
    cases.add(new Case("another program's member: read", 404, "member_not_found",
        () -> gw.call("GET", "/v1/members/" + member, otherTill, null, null)));
    cases.add(new Case("another program's member: ledger", 404, "member_not_found",
        () -> gw.call("GET", "/v1/members/" + member + "/ledger", otherTill, null, null)));
    cases.add(new Case("another program's member: lookup", 404, "member_not_found",
        () -> gw.call("GET", "/v1/members/lookup?phone=" + memberPhone.replace("+", "%2B"), otherTill, null, null)));
    cases.add(new Case("ledger limit out of range", 422, "invalid_field",
        () -> gw.call("GET", "/v1/members/" + member + "/ledger?limit=100000", till, null, null)));
    cases.add(new Case("enrolment without consents", 422, "invalid_field", () -> gw.call("POST", "/v1/members", till,
        null, new JsonObject().put("phone", TestGateway.randomPhone()).encode())));
    cases.add(new Case("enrolment with an invalid phone", 422, "invalid_field", () -> gw.call("POST", "/v1/members",
        till, null, new JsonObject().put("phone", "12").put("consents",
            new JsonObject().put("personal_data", true).put("marketing", false)).encode())));
    cases.add(new Case("unknown path", 404, "not_found", () -> gw.call("GET", "/v1/nothing", till, null, null)));
    cases.add(new Case("wrong method", 405, "method_not_allowed",
        () -> gw.call("DELETE", "/v1/purchases", till, null, null)));
    cases.add(new Case("program with every field wrong", 422, "invalid_field", () -> {
      Response r = gw.call("PUT", "/v1/admin/programs/bad", TestGateway.ADMIN_TOKEN, null, new JsonObject()
          .put("currency", "XXZ").put("point_value_minor", 0).put("accrual_rate_bp", -5).put("accrue_on", "both")
          .put("max_redeem_share_bp", 20_000).put("pending_days", 1000).put("expiry_days", 0)
          .put("tiers", new JsonArray().add(new JsonObject().put("name", "")))
          .put("excluded_categories", new JsonArray().add(7)).put("colour", "red").encode());
      assertThat(r.json().getJsonArray("errors").stream().map(e -> ((JsonObject) e).getString("field")))
          .contains("currency", "point_value_minor", "accrual_rate_bp", "accrue_on", "max_redeem_share_bp",
              "pending_days", "expiry_days", "tiers[0].name", "tiers[0].min_spend_minor",
              "tiers[0].accrual_rate_bp", "excluded_categories[0]", "colour");
      assertThat(gw.call("GET", "/v1/admin/programs/bad", TestGateway.ADMIN_TOKEN, null, null).status())
          .isEqualTo(404);
      return r;
    }));
    return cases;
  }

  @TestFactory
  Stream<DynamicTest> eachBadRequestIsAPreciseProblemAndChangesNothing() {
    return cases().stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Snapshot before = Snapshot.take();
      Response response = c.request().get();
      assertThat(response.status()).as(response.raw().body()).isEqualTo(c.status());
      assertThat(response.header("content-type")).isEqualTo("application/problem+json");
      assertThat(response.json().getString("code")).isEqualTo(c.code());
      assertThat(response.json().getInteger("status")).isEqualTo(c.status());
      assertThat(response.json().getString("type")).endsWith("/" + c.code());
      assertThat(Snapshot.take()).isEqualTo(before);
    }));
  }

  /** What a bad request must not change. */
  record Snapshot(JsonObject memberView, JsonObject otherMemberView, long redisKeys, long streamEntries, long ledgerRows) {
    static Snapshot take() {
      try (var sql = gw.sql(); var rs = sql.createStatement().executeQuery("SELECT count(*) FROM ledger")) {
        rs.next();
        return new Snapshot(gw.memberView(till, member), gw.memberView(otherTill, otherMember), gw.redis().dbsize(),
            gw.streamEntries(), rs.getLong(1));
      } catch (java.sql.SQLException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
