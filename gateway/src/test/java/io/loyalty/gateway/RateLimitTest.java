package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** One till over its rate is turned away with 429 and changes nothing; other tills are not slowed. */
class RateLimitTest {
  static TestGateway gw;

  @BeforeAll
  static void start() {
    gw = TestGateway.start(Map.of("TILL_RATE_LIMIT_PER_SECOND", "5", "TILL_RATE_LIMIT_BURST", "5"));
  }

  @AfterAll
  static void stop() {
    gw.close();
  }

  @Test
  void aTillOverItsRateGets429AndOtherTillsAreServed() {
    String program = gw.program(new JsonObject());
    String noisy = gw.till(program);
    String quiet = gw.till(program);
    String member = gw.member(quiet);
    List<CompletableFuture<Response>> burst = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      burst.add(gw.send("POST", "/v1/purchases", noisy, "burst-" + i,
          TestGateway.purchase(member, "R-" + i, 100_000, null).encode()));
    }
    List<Response> responses = burst.stream().map(CompletableFuture::join).toList();
    List<Response> served = responses.stream().filter(r -> r.status() == 201).toList();
    List<Response> limited = responses.stream().filter(r -> r.status() == 429).toList();
    assertThat(served.size() + limited.size()).isEqualTo(30);
    assertThat(served.size()).isBetween(5, 10); // the burst, plus what refills while they are answered
    assertThat(limited).allSatisfy(r -> {
      assertThat(r.json().getString("code")).isEqualTo("rate_limited");
      assertThat(r.header("retry-after")).isEqualTo("1");
    });
    assertThat(gw.purchase(quiet, "quiet", TestGateway.purchase(member, "Q", 100_000, null)).status()).isEqualTo(201);
    assertThat(gw.memberView(quiet, member).getJsonObject("balance").getLong("available"))
        .isEqualTo(50L * (served.size() + 1));
  }
}
