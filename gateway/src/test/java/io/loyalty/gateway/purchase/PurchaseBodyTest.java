package io.loyalty.gateway.purchase;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

/** The streaming reader of purchase bodies agrees with the tree parser, or steps aside. */
class PurchaseBodyTest {
  static final Program PROGRAM = Program.parse("p", new JsonObject().put("currency", "RUB"));
  static final String ROUTE = "POST /v1/purchases";

  @Property(tries = 2000)
  void whatTheStreamingReaderAcceptsTheTreeParserAcceptsAlikeWithTheSameFingerprint(@ForAll("bodies") String body) {
    PurchaseBody.Parsed fast = PurchaseBody.read(body.getBytes(StandardCharsets.UTF_8), ROUTE);
    Statistics.label("streamed").collect(fast != null);
    Statistics.label("streamed").coverage(c -> c.check(true).percentage(p -> p > 3));
    if (fast == null) {
      return; // the tree parser decides, as it always did
    }
    JsonObject tree = new JsonObject(body);
    PurchaseRequest request;
    try {
      request = PurchaseRequest.parse(tree, PROGRAM);
    } catch (ApiException refused) {
      throw new AssertionError("the streaming reader accepted what the tree parser refuses: " + body, refused);
    }
    assertThat(fast.request()).as(body).isEqualTo(request);
    assertThat(fast.fingerprint()).as(body).isEqualTo(Purchases.fingerprint(ROUTE, tree));
  }

  @Property(tries = 500)
  void everyValidBodyIsStreamedWithTheTreesRequestAndFingerprint(@ForAll("validBodies") String body) {
    PurchaseBody.Parsed fast = PurchaseBody.read(body.getBytes(StandardCharsets.UTF_8), ROUTE);
    assertThat(fast).as(body).isNotNull();
    JsonObject tree = new JsonObject(body);
    assertThat(fast.request()).as(body).isEqualTo(PurchaseRequest.parse(tree, PROGRAM));
    assertThat(fast.fingerprint()).as(body).isEqualTo(Purchases.fingerprint(ROUTE, tree));
  }

  @Provide
  Arbitrary<String> validBodies() {
    Arbitrary<String> printable = Arbitraries.strings().withCharRange('!', '~').ofMinLength(1).ofMaxLength(64);
    Arbitrary<String> category = Arbitraries.strings().withChars("abcxyzабвгд0123456789_.-").ofMinLength(1)
        .ofMaxLength(64);
    Arbitrary<JsonObject> line = Combinators.combine(printable, category, Arbitraries.longs().between(1, 1_000_000),
        Arbitraries.of(true, false)).as((sku, c, amount, withCategory) -> {
          JsonObject l = new JsonObject().put("sku", sku).put("amount_minor", amount);
          return withCategory ? l.put("category", c) : l;
        });
    Arbitrary<JsonObject> member = Arbitraries.oneOf(
        Arbitraries.create(() -> new JsonObject().put("id", UUID.randomUUID().toString())),
        Arbitraries.strings().withChars("ABCxyz0123456789-").ofMinLength(4).ofMaxLength(64)
            .map(card -> new JsonObject().put("card", card)));
    Arbitrary<Object> redeem = Arbitraries.oneOf(Arbitraries.just((Object) "max"),
        Arbitraries.longs().between(0, 1_000_000).map(n -> (Object) n), Arbitraries.just((Object) null));
    return Combinators.combine(member, printable.map(n -> n.replace('~', ' ')), line.list().ofMinSize(1).ofMaxSize(6),
        redeem, Arbitraries.of(true, false)).as((m, number, lines, r, pretty) -> {
          long total = lines.stream().mapToLong(l -> l.getLong("amount_minor")).sum();
          JsonObject body = new JsonObject().put("receipt", new JsonObject().put("lines", new JsonArray(List.copyOf(lines)))
              .put("total_minor", total).put("number", number)).put("member", m);
          if (r != null) {
            body.put("redeem_points", r);
          }
          return pretty ? body.encodePrettily() : body.encode();
        });
  }

  @Test
  void everydayBodiesTakeTheStreamingPath() {
    for (JsonObject body : List.of(
        purchase(new JsonObject().put("id", UUID.randomUUID().toString()), null),
        purchase(new JsonObject().put("card", "CARD-0001"), "max"),
        purchase(new JsonObject().put("id", UUID.randomUUID().toString()), 30L).put("enroll_if_missing", false))) {
      PurchaseBody.Parsed fast = PurchaseBody.read(body.encodePrettily().getBytes(StandardCharsets.UTF_8), ROUTE);
      assertThat(fast).as(body.encode()).isNotNull();
      assertThat(fast.fingerprint()).isEqualTo(Purchases.fingerprint(ROUTE, body));
    }
  }

  static JsonObject purchase(JsonObject member, Object redeem) {
    JsonObject body = new JsonObject().put("member", member).put("receipt", new JsonObject().put("number", "R-1")
        .put("total_minor", 3000).put("lines", new JsonArray()
            .add(new JsonObject().put("sku", "milk").put("category", "dairy").put("amount_minor", 1000))
            .add(new JsonObject().put("sku", "cigs").put("amount_minor", 2000))));
    return redeem == null ? body : body.put("redeem_points", redeem);
  }

  /** Mostly what a till sends, sometimes anything: most bodies must be ones the streaming reader takes. */
  static Arbitrary<String> mostly(String... usual) {
    return Arbitraries.frequencyOf(Tuple.of(9, Arbitraries.of(usual)),
        Tuple.of(1, Arbitraries.strings().ascii().ofMinLength(0).ofMaxLength(70)));
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> number = mostly("R-1", "a\"b", "a\\b", "x/y", "R 7/2");
    Arbitrary<String> sku = mostly("milk", "a\"b", "a\\b", "x/y", "sku-1");
    Arbitrary<String> category = mostly("dairy", "молоко", "food.fresh", "a-b");
    Arbitrary<Object> odd = Arbitraries.of((Object) 0L, 1L, -1L, 100_000_000_001L, 1.5, true, false, "max", "MAX",
        "", new JsonObject(), new JsonArray(), "молоко");
    Arbitrary<JsonObject> member = Arbitraries.frequencyOf(
        Tuple.of(6, Arbitraries.create(() -> new JsonObject().put("id", UUID.randomUUID().toString()))),
        Tuple.of(3, mostly("CARD-0001", "abcd").map(card -> new JsonObject().put("card", card))),
        Tuple.of(1, odd.map(id -> new JsonObject().put("id", id))),
        Tuple.of(1, Arbitraries.just(new JsonObject().put("phone", "+79120000000"))),
        Tuple.of(1, Arbitraries.just(new JsonObject().put("id", UUID.randomUUID().toString()).put("card", "CARD-0001"))));
    Arbitrary<JsonObject> line = Combinators.combine(sku, category, Arbitraries.longs().between(-1, 200_000), odd,
        Arbitraries.integers().between(0, 19)).as((s, c, amount, o, shape) -> {
          JsonObject l = new JsonObject().put("sku", s).put("amount_minor", amount);
          switch (shape) {
            case 0 -> l.put("category", o);
            case 1 -> l.put("extra", o);
            case 2 -> l.remove("sku");
            case 3 -> l.put("amount_minor", o);
            default -> {
              if (shape % 2 == 0) {
                l.put("category", c);
              }
            }
          }
          return l;
        });
    Arbitrary<JsonObject> receipt = Combinators.combine(number, Arbitraries.longs().between(-1, 500_000),
        line.list().ofMinSize(0).ofMaxSize(3), odd, Arbitraries.integers().between(0, 19))
        .as((n, total, lines, o, shape) -> {
          JsonObject r = new JsonObject().put("number", n).put("total_minor", total)
              .put("lines", new JsonArray(List.copyOf(lines)));
          switch (shape) {
            case 0 -> r.remove("number");
            case 1 -> r.put("total_minor", o);
            case 2 -> r.put("note", o);
            case 3 -> r.put("number", o);
            default -> { }
          }
          return r;
        });
    return Combinators.combine(member, receipt, odd, Arbitraries.integers().between(0, 19),
        Arbitraries.integers().between(0, 9)).as((m, r, o, shape, format) -> {
          JsonObject body = new JsonObject().put("member", m).put("receipt", r);
          switch (shape) {
            case 0 -> body.put("redeem_points", o);
            case 1, 2, 3 -> body.put("redeem_points", "max");
            case 4, 5 -> body.put("redeem_points", 7);
            case 6 -> body.put("enroll_if_missing", o);
            case 7 -> body.put("enroll_if_missing", false);
            case 8 -> body.remove("member");
            case 9 -> body.put("unknown", o);
            default -> { }
          }
          return switch (format) {
            case 0 -> body.encodePrettily();
            case 1 -> body.encode().replace("\"receipt\":", "\"receipt\" :  ").replace(",", ", ");
            case 2 -> body.encode().replaceFirst("\"member\":", "\"member\":{\"id\":\"x\"},\"member\":");
            default -> body.encode();
          };
        });
  }
}
