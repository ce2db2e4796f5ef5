package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.RawResponse;
import io.vertx.core.json.JsonObject;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What arrives malformed at the HTTP level (broken percent-encodings, a request line or headers over the limit, a
 * body over it, a client that hangs up half-way) gets a problem+json answer with its own code, is counted in
 * {@code loyalty_http_request_duration_seconds} like any other answer, and leaves no request counted as active.
 */
class HttpEdgesTest extends GatewayTest {
  static String till;
  static String member;

  @BeforeAll
  static void setUp() {
    till = gw.till(gw.program(new JsonObject()));
    member = gw.member(till);
  }

  static RawResponse get(String target) {
    return gw.raw("GET " + target + " HTTP/1.1\r\nAuthorization: Bearer " + till, null);
  }

  static void assertProblem(RawResponse response, int status, String code) {
    assertThat(response.status()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(response.json().getString("code")).isEqualTo(code);
    assertThat(response.json().getInteger("status")).isEqualTo(status);
  }

  static double counted(String method, String route, int status, String code) {
    return gw.metric("loyalty_http_request_duration_seconds_count{code=\"" + code + "\",method=\"" + method
        + "\",route=\"" + route + "\",status=\"" + status + "\"}");
  }

  @Test
  void brokenPercentEncodingsAre400MalformedUriWherever() {
    double before = counted("GET", "/v1/members/lookup", 400, "malformed_uri");
    for (String target : new String[] {"/v1/members/lookup?phone=%ZZ", "/v1/members/lookup?card=%ZZ",
        "/v1/members/lookup?phone=%", "/v1/members/lookup?phone=%2", "/v1/members/lookup?phone=%FF%FE"}) {
      assertProblem(get(target), 400, "malformed_uri");
    }
    assertThat(counted("GET", "/v1/members/lookup", 400, "malformed_uri") - before).isEqualTo(5);
    assertProblem(get("/v1/members/%ZZ"), 400, "malformed_uri");
    assertProblem(get("/v1/members/" + member + "/ledger?limit=%ZZ"), 400, "malformed_uri");
    assertProblem(get("/v1/%C3%28"), 400, "malformed_uri"); // not UTF-8
    RawResponse post = gw.raw("POST /v1/purchases?x=%G1 HTTP/1.1\r\nAuthorization: Bearer " + till
        + "\r\nIdempotency-Key: k-%\r\nContent-Type: application/json", TestGateway.purchase(member, "R", 10_000, null).encode());
    assertProblem(post, 400, "malformed_uri");
    // well-formed encodings still work
    assertThat(get("/v1/members/lookup?phone=%2B79990000000").status()).isEqualTo(404);
    assertThat(get("/v1/members/" + member).status()).isEqualTo(200);
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isZero();
  }

  @Test
  void answersGivenBeforeAnyRouteAreProblemsAndCounted() {
    double tooLong = counted("GET", "unmatched", 414, "uri_too_long");
    assertProblem(get("/v1/members/" + "a".repeat(9000)), 414, "uri_too_long");
    assertThat(counted("GET", "unmatched", 414, "uri_too_long") - tooLong).isEqualTo(1);

    double headers = counted("GET", "unmatched", 431, "headers_too_large");
    assertProblem(gw.raw("GET /v1/members/" + member + " HTTP/1.1\r\nX-Big: " + "b".repeat(9000), null), 431,
        "headers_too_large");
    assertThat(counted("GET", "unmatched", 431, "headers_too_large") - headers).isEqualTo(1);

    double large = counted("POST", "/v1/purchases", 413, "payload_too_large");
    assertProblem(gw.raw("POST /v1/purchases HTTP/1.1\r\nAuthorization: Bearer " + till
        + "\r\nIdempotency-Key: big\r\nContent-Type: application/json", "x".repeat(300_000)),
        413, "payload_too_large");
    assertThat(counted("POST", "/v1/purchases", 413, "payload_too_large") - large).isEqualTo(1);

    double notFound = counted("GET", "unmatched", 404, "not_found");
    assertProblem(get("/v1/nothing/here"), 404, "not_found");
    assertThat(counted("GET", "unmatched", 404, "not_found") - notFound).isEqualTo(1);

    double notAllowed = counted("DELETE", "/v1/purchases", 405, "method_not_allowed");
    assertProblem(gw.raw("DELETE /v1/purchases HTTP/1.1\r\nAuthorization: Bearer " + till, null), 405,
        "method_not_allowed");
    assertThat(counted("DELETE", "/v1/purchases", 405, "method_not_allowed") - notAllowed).isEqualTo(1);

    double form = counted("POST", "/v1/purchases", 415, "unsupported_media_type");
    assertProblem(gw.raw("POST /v1/purchases HTTP/1.1\r\nAuthorization: Bearer " + till
        + "\r\nIdempotency-Key: form\r\nContent-Type: application/x-www-form-urlencoded", "a=b"), 415,
        "unsupported_media_type");
    assertThat(counted("POST", "/v1/purchases", 415, "unsupported_media_type") - form).isEqualTo(1);

    double garbage = counted("OTHER", "unmatched", 400, "bad_request");
    assertProblem(gw.raw("BREW /v1/purchases HTTP/1.1\r\nContent-Length: x", null), 400, "bad_request");
    assertThat(counted("OTHER", "unmatched", 400, "bad_request") - garbage).isEqualTo(1);
  }

  /**
   * The gateway refuses an oversized body as soon as its length is known, while the client is still sending it: the
   * connection is closed only once the body is in, so the client reads its 413 instead of a reset.
   */
  @Test
  void aClientStillSendingAnOversizedBodyReadsItsProblem() {
    String body = "{\"pad\":\"" + "x".repeat(4 * 1024 * 1024) + "\"}";
    for (int i = 0; i < 20; i++) {
      TestGateway.Response response = gw.call("POST", "/v1/purchases", till, "huge-" + i, body);
      assertThat(response.status()).isEqualTo(413);
      assertThat(response.json().getString("code")).isEqualTo("payload_too_large");
    }
  }

  @Test
  void noRequestStaysActiveAfterEarlyAnswersOrAClientHangingUp() throws Exception {
    get("/v1/members/" + "a".repeat(9000));
    gw.raw("GET / HTTP/1.1\r\nX-Big: " + "b".repeat(9000), null);
    for (int i = 0; i < 3; i++) {
      gw.raw("POST /v1/purchases HTTP/1.1\r\nAuthorization: Bearer " + till
          + "\r\nIdempotency-Key: big-" + i + "\r\nContent-Type: application/json", "x".repeat(300_000));
    }
    // a client that sends half a body and hangs up
    try (Socket socket = new Socket("127.0.0.1", gw.config().httpPort())) {
      OutputStream out = socket.getOutputStream();
      out.write(("POST /v1/purchases HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + till
          + "\r\nIdempotency-Key: half\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"member\"")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      TestGateway.sleep(200);
    }
    double active = Double.NaN;
    for (int attempt = 0; attempt < 50 && active != 1; attempt++) {
      TestGateway.sleep(attempt == 0 ? 0 : 100);
      active = gw.metric("loyalty_http_requests_active");
    }
    assertThat(active).as("only the scrape itself is active").isEqualTo(1);
  }

  @Test
  void headAnswersLikeGetOnTheOperationalRoutes() {
    RawResponse head = gw.raw("HEAD /health/live HTTP/1.1", null);
    assertThat(head.status()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
    assertThat(gw.raw("HEAD /health/ready HTTP/1.1", null).status()).isEqualTo(200);
    assertThat(gw.raw("HEAD /metrics HTTP/1.1", null).status()).isEqualTo(200);
  }
}
