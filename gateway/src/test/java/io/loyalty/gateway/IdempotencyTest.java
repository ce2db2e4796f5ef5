package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Retries, concurrent duplicates and concurrent redemptions: every effect exactly once. */
class IdempotencyTest extends GatewayTest {

  @Test
  void replayReturnsTheOriginalAnswerMarkedReplayed() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    JsonObject body = TestGateway.purchase(member, "R-1", 100_000, null);
    Response first = gw.purchase(till, "same", body);
    Response again = gw.purchase(till, "same", body);
    assertThat(first.status()).isEqualTo(201);
    assertThat(first.header("idempotent-replayed")).isNull();
    assertThat(again.status()).isEqualTo(201);
    assertThat(again.header("idempotent-replayed")).isEqualTo("true");
    assertThat(again.raw().body()).isEqualTo(first.raw().body());
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(50);
  }

  @Test
  void replayWithDifferentBodyIsRejected() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    gw.purchase(till, "k", TestGateway.purchase(member, "R-1", 100_000, null));
    Response reuse = gw.purchase(till, "k", TestGateway.purchase(member, "R-1", 200_000, null));
    assertThat(reuse.status()).isEqualTo(422);
    assertThat(reuse.json().getString("code")).isEqualTo("idempotency_key_reuse");
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(50);
  }

  @Test
  void keysAreScopedToTheTill() {
    String program = gw.program(new JsonObject());
    String tillA = gw.till(program);
    String tillB = gw.till(program);
    String member = gw.member(tillA);
    assertThat(gw.purchase(tillA, "shared", TestGateway.purchase(member, "R-1", 100_000, null)).status()).isEqualTo(201);
    Response fromB = gw.purchase(tillB, "shared", TestGateway.purchase(member, "R-1", 100_000, null));
    assertThat(fromB.status()).isEqualTo(201);
    assertThat(fromB.header("idempotent-replayed")).isNull();
    assertThat(gw.memberView(tillA, member).getJsonObject("balance").getLong("available")).isEqualTo(100);
  }

  @Test
  void hundredConcurrentRequestsWithOneKeyHaveExactlyOneEffect() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    String body = TestGateway.purchase(member, "R-1", 100_000, null).encode();
    List<CompletableFuture<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(gw.send("POST", "/v1/purchases", till, "storm", body));
    }
    List<Response> responses = calls.stream().map(CompletableFuture::join).toList();
    List<Response> created = responses.stream().filter(r -> r.status() == 201).toList();
    assertThat(responses).allSatisfy(r -> assertThat(r.status()).isIn(201, 409));
    assertThat(created).isNotEmpty();
    assertThat(created.stream().filter(r -> r.header("idempotent-replayed") == null)).hasSize(1);
    assertThat(created.stream().map(r -> r.json().getString("transaction_id")).distinct()).hasSize(1);
    responses.stream().filter(r -> r.status() == 409)
        .forEach(r -> assertThat(r.json().getString("code")).isEqualTo("idempotency_key_in_use"));
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(50);
    gw.awaitDrained();
    assertThat(ledgerRows(member)).isEqualTo(1);
  }

  @Test
  void twoHundredConcurrentRedemptionsAgainstFiftyPointsSucceedExactlyFiftyTimes() {
    // 5% of 1 000 ₽ = 50 points; then each 1 ₽ receipt is paid wholly by 1 point, so it accrues nothing
    String till = gw.till(gw.program(new JsonObject().put("max_redeem_share_bp", 10_000)));
    String member = gw.member(till);
    assertThat(gw.purchase(till, "grant", TestGateway.purchase(member, "R-0", 100_000, null))
        .json().getJsonObject("balance").getLong("available")).isEqualTo(50);
    List<CompletableFuture<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      calls.add(gw.send("POST", "/v1/purchases", till, "redeem-" + i,
          TestGateway.purchase(member, "R-" + i, 100, 1).encode()));
    }
    List<Response> responses = calls.stream().map(CompletableFuture::join).toList();
    assertThat(responses.stream().filter(r -> r.status() == 201)).hasSize(50);
    assertThat(responses.stream().filter(r -> r.status() == 422))
        .hasSize(150)
        .allSatisfy(r -> assertThat(r.json().getString("code")).isEqualTo("insufficient_points"));
    assertThat(responses.stream().filter(r -> r.status() == 201)
        .mapToLong(r -> r.json().getJsonObject("balance").getLong("available")))
        .allSatisfy(balance -> assertThat(balance).isBetween(0L, 49L))
        .doesNotHaveDuplicates();
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isZero();
  }

  @Test
  void aStormOfTenThousandRequestsOverFiveHundredKeysHasExactlyFiveHundredEffects() {
    String till = gw.till(gw.program(new JsonObject()));
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      members.add(gw.member(till));
    }
    java.util.Random random = new java.util.Random(500);
    java.util.Map<String, java.util.Set<String>> transactionsByKey = new java.util.concurrent.ConcurrentHashMap<>();
    List<CompletableFuture<Void>> window = new ArrayList<>();
    for (int i = 0; i < 10_000; i++) {
      int k = random.nextInt(500);
      String key = "storm-" + k;
      String body = TestGateway.purchase(members.get(k % 20), "S-" + k, 10_000 + k, null).encode();
      window.add(gw.send("POST", "/v1/purchases", till, key, body).thenAccept(r -> {
        assertThat(r.status()).as(r.raw().body()).isIn(201, 409);
        if (r.status() == 201) {
          transactionsByKey.computeIfAbsent(key, x -> java.util.concurrent.ConcurrentHashMap.newKeySet())
              .add(r.json().getString("transaction_id"));
        }
      }));
      if (window.size() == 64) {
        window.forEach(CompletableFuture::join);
        window.clear();
      }
    }
    window.forEach(CompletableFuture::join);
    assertThat(transactionsByKey).hasSize(500); // 10 000 draws over 500 keys reach them all
    assertThat(transactionsByKey.values()).allSatisfy(ids -> assertThat(ids).hasSize(1));
    gw.awaitDrained();
    try (var sql = gw.sql(); var st = sql.prepareStatement(
        "SELECT count(*) FROM transactions t JOIN members m ON m.id = t.member_id WHERE m.program_id = "
            + "(SELECT program_id FROM members WHERE id = ?::uuid)")) {
      st.setString(1, members.get(0));
      var rs = st.executeQuery();
      rs.next();
      assertThat(rs.getLong(1)).isEqualTo(transactionsByKey.size());
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    long accrued = members.stream().mapToLong(m -> gw.memberView(till, m).getJsonObject("balance").getLong("available")).sum();
    // 5% of (100 ₽ + k kopecks), in 1 ₽ points, once per key
    long expected = transactionsByKey.keySet().stream().mapToLong(key -> (10_000 + Long.parseLong(key.substring(6))) / 2_000).sum();
    assertThat(accrued).isEqualTo(expected);
  }

  static long ledgerRows(String member) {
    try (var sql = gw.sql(); var st = sql.prepareStatement("SELECT count(*) FROM ledger WHERE member_id = ?::uuid")) {
      st.setString(1, member);
      var rs = st.executeQuery();
      rs.next();
      return rs.getLong(1);
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
