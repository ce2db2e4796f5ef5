package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile input, generated: random methods, paths, headers and bodies (garbage, and valid purchases with one
 * field mutated). Whatever arrives: a 2xx, or a 4xx problem+json with a code that changed nothing. Never a 5xx.
 */
class FuzzTest {
  static TestGateway gw;
  static String till;
  static String member;

  @BeforeContainer
  static void start() {
    gw = TestGateway.start();
    till = gw.till(gw.program(new JsonObject()));
    member = gw.member(till);
    gw.purchase(till, "seed", TestGateway.purchase(member, "R-0", 100_000, null));
    gw.awaitDrained(); // the snapshots count stream entries: the seed's must not drain during the first try
  }

  @AfterContainer
  static void stop() {
    gw.close();
  }

  record Request(String method, String path, boolean authorized, String key, String contentType, String body) {
  }

  @Property(tries = 400)
  void anyRequestIsA2xxOrAProblemThatChangedNothing(@ForAll("requests") Request request) {
    Snapshot before = Snapshot.settled();
    Response response;
    try {
      response = gw.send(request.method(), request.path(), request.authorized() ? till : null, request.key(),
          request.body(), request.contentType()).join();
    } catch (IllegalArgumentException | java.util.concurrent.CompletionException unsendable) {
      Assume.that(false); // the HTTP client itself refuses to send it (an invalid header or URI)
      return;
    }
    assertThat(response.status()).as(request + " -> " + response.raw().body()).isLessThan(500);
    if (response.status() >= 400) {
      assertThat(response.header("content-type")).as(request.toString()).isEqualTo("application/problem+json");
      assertThat(response.json().getString("code")).as(request.toString()).isNotBlank();
      assertThat(Snapshot.take()).as(request.toString()).isEqualTo(before);
    }
  }

  /**
   * Broken percent-encodings (a '%' without two hex digits, or bytes that are not UTF-8) anywhere in a path or a
   * query string, sent raw since HTTP clients refuse to: always 400 {@code malformed_uri}, nothing changed.
   */
  @Property(tries = 150)
  void brokenEncodingsAreMalformedUriAnywhere(@ForAll("brokenTargets") String target,
      @ForAll("methods") String method) {
    Snapshot before = Snapshot.settled();
    TestGateway.RawResponse response = gw.raw(method + " " + target + " HTTP/1.1\r\nAuthorization: Bearer " + till
        + "\r\nIdempotency-Key: fuzz-encoding\r\nContent-Type: application/json",
        TestGateway.purchase(member, "R-enc", 10_000, null).encode());
    assertThat(response.status()).as(target + " -> " + response.body()).isEqualTo(400);
    assertThat(response.headers().get("content-type")).isEqualTo("application/problem+json");
    assertThat(response.json().getString("code")).as(target).isEqualTo("malformed_uri");
    assertThat(Snapshot.take()).as(target).isEqualTo(before);
  }

  @Provide
  Arbitrary<String> methods() {
    return Arbitraries.of("GET", "POST", "PUT", "DELETE", "PATCH");
  }

  @Provide
  Arbitrary<String> brokenTargets() {
    Arbitrary<String> base = Arbitraries.of("/v1/purchases", "/v1/authorizations", "/v1/refunds", "/v1/batches",
        "/v1/members", "/v1/members/lookup", "/v1/members/" + member, "/v1/members/" + member + "/ledger",
        "/v1/authorizations/" + UUID.randomUUID() + "/capture", "/v1/admin/programs/p", "/v1/nothing", "/health/live");
    Arbitrary<String> broken = Arbitraries.oneOf(
        Arbitraries.of("%", "%Z", "%ZZ", "%G0", "%0", "%%", "%-1", "%FF", "%C3%28", "%E2%82", "%F0%28%8C%28", "%80"),
        Arbitraries.strings().withChars('%').withCharRange('g', 'z').ofMinLength(1).ofMaxLength(3)
            .filter(t -> t.startsWith("%")));
    Arbitrary<Integer> where = Arbitraries.integers().between(0, 3);
    return Combinators.combine(base, broken, where).as((path, bad, at) -> switch (at) {
      case 0 -> path + "/" + bad;                            // a path segment of its own
      case 1 -> path + bad;                                  // glued to the last segment
      case 2 -> path + "?phone=" + bad + "&limit=5";         // a query value
      default -> path + "?" + bad + "=1";                    // a query name
    });
  }

  /** What a refused request must leave as it was. */
  record Snapshot(JsonObject balance, long streamEntries, long redisKeys) {
    /**
     * Once the write-behind has drained what earlier tries wrote (a purchase for another member, say), so that an
     * entry the request itself added is not hidden by another's leaving meanwhile.
     */
    static Snapshot settled() {
      gw.awaitDrained();
      return take();
    }

    static Snapshot take() {
      return new Snapshot(gw.memberView(till, member).getJsonObject("balance"), gw.streamEntries(),
          gw.redis().dbsize());
    }
  }

  @Provide
  Arbitrary<Request> requests() {
    Arbitrary<String> method = Arbitraries.of("POST", "POST", "POST", "GET", "PUT", "DELETE", "PATCH");
    Arbitrary<String> path = Arbitraries.oneOf(
        Arbitraries.of("/v1/purchases", "/v1/authorizations", "/v1/refunds", "/v1/batches", "/v1/members",
            "/v1/members/lookup?phone=%2B7912", "/v1/members/lookup?card=x&phone=y", "/v1/members/" + member,
            "/v1/members/" + member + "/ledger?limit=-1&cursor=abc", "/v1/members/not-a-uuid",
            "/v1/authorizations/" + UUID.randomUUID() + "/capture", "/v1/authorizations/x/void",
            "/v1/admin/programs/fuzz", "/v1/admin/programs/x/tills/a/b", "/v1/nothing", "/v1/%2e%2e/admin"),
        Arbitraries.strings().withCharRange('a', 'z').withChars('/', '%', '.', '-', '?', '=').ofMaxLength(40)
            .map(tail -> "/v1/" + tail));
    Arbitrary<String> key = Arbitraries.oneOf(Arbitraries.just(null), Arbitraries.strings().ofMinLength(1)
        .ofMaxLength(200).withCharRange(' ', '~'), Arbitraries.strings().alpha().numeric().ofLength(20));
    Arbitrary<String> contentType = Arbitraries.of("application/json", "application/json", "text/plain",
        "application/json; charset=utf-8", "application/x-www-form-urlencoded");
    Arbitrary<String> body = Arbitraries.oneOf(mutatedPurchase(), garbage(), Arbitraries.just(""),
        Arbitraries.just("{}"), Arbitraries.just("[]"), Arbitraries.just("null"));
    return Combinators.combine(method, path, Arbitraries.of(true, true, false), key, contentType, body)
        .as(Request::new);
  }

  Arbitrary<String> garbage() {
    return Arbitraries.oneOf(Arbitraries.strings().ofMaxLength(500),
        Arbitraries.strings().withChars('{', '}', '[', ']', '"', ':', ',', '1', 'e', '-', '.', 'n', 'u', 'l')
            .ofMaxLength(200));
  }

  /** A valid purchase with one field replaced by something hostile. */
  Arbitrary<String> mutatedPurchase() {
    Arbitrary<Object> hostile = Arbitraries.oneOf(Arbitraries.just(null), Arbitraries.just(-1L),
        Arbitraries.just(0L), Arbitraries.just(Long.MAX_VALUE), Arbitraries.just(1e308), Arbitraries.just(0.5),
        Arbitraries.just(true), Arbitraries.just(""), Arbitraries.just("x".repeat(10_000)),
        Arbitraries.just(new JsonArray()), Arbitraries.just(new JsonObject()), Arbitraries.strings().ofMaxLength(30)
            .map(s -> (Object) s), Arbitraries.longs().map(l -> (Object) l));
    Arbitrary<String> field = Arbitraries.of("member", "member.id", "member.phone", "receipt", "receipt.number",
        "receipt.total_minor", "receipt.lines", "line.sku", "line.category", "line.amount_minor", "redeem_points",
        "enroll_if_missing", "unknown");
    return Combinators.combine(field, hostile).as((name, value) -> {
      JsonObject body = TestGateway.purchase(member, "R-fuzz", 10_000, null);
      JsonObject receipt = body.getJsonObject("receipt");
      JsonObject line = receipt.getJsonArray("lines").getJsonObject(0);
      switch (name) {
        case "member.id", "member.phone" -> body.put("member", new JsonObject().put(name.substring(7), value));
        case "receipt.number", "receipt.total_minor", "receipt.lines" -> receipt.put(name.substring(8), value);
        case "line.sku", "line.category", "line.amount_minor" -> line.put(name.substring(5), value);
        default -> body.put(name, value);
      }
      return body.encode();
    });
  }

}
