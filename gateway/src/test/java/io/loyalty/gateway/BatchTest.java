package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Offline tills upload a day at once: every item answered as its single call, every effect exactly once. */
class BatchTest extends GatewayTest {

  @Test
  void aThousandItemsWithDuplicatesAreEachAnsweredOnceAndTheSameBatchTwiceGivesTheSameResults() throws Exception {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 365)));
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      members.add(gw.member(till));
    }
    Random random = new Random(7);
    Instant now = gw.clock.instant();
    Instant yesterday = now.minus(Duration.ofDays(1));

    // 50 purchases already sent online, before the till went offline
    Map<String, JsonObject> answered = new HashMap<>();
    JsonArray items = new JsonArray();
    for (int i = 0; i < 50; i++) {
      JsonObject body = TestGateway.purchase(members.get(i % 20), "S-" + i, 10_000 + random.nextInt(90_000), null);
      answered.put("s-" + i, gw.purchase(till, "s-" + i, body).json());
      items.add(item("s-" + i, "purchase", now.minusSeconds(60), body));
    }
    // 600 new purchases, half from yesterday, a third redeeming what they can
    List<JsonObject> purchases = new ArrayList<>();
    for (int i = 0; i < 600; i++) {
      Object redeem = i % 3 == 0 ? "max" : null;
      JsonObject body = TestGateway.purchase(members.get(random.nextInt(20)), "B-" + i, 5_000 + random.nextInt(200_000), redeem);
      JsonObject item = item("b-" + i, "purchase", i % 2 == 0 ? yesterday : now.minusSeconds(30), body);
      purchases.add(item);
      items.add(item);
    }
    // 200 resends of items earlier in this batch
    for (int i = 0; i < 200; i++) {
      items.add(purchases.get(random.nextInt(600)).copy());
    }
    // 100 refunds: 10% of each online purchase, each refund sent twice under its key
    for (int i = 0; i < 100; i++) {
      JsonObject original = answered.get("s-" + (i % 50));
      JsonObject body = new JsonObject().put("transaction_id", original.getString("transaction_id"))
          .put("amount_minor", original.getLong("total_minor") / 10);
      items.add(item("r-" + (i % 50), "refund", now, body));
    }
    // 50 that a till must not send: from the future, or older than the program allows
    for (int i = 0; i < 50; i++) {
      Instant when = i % 2 == 0 ? now.plus(Duration.ofHours(1)) : now.minus(Duration.ofDays(8));
      items.add(item("bad-" + i, "purchase", when, TestGateway.purchase(members.get(0), "X-" + i, 10_000, null)));
    }
    assertThat(items.size()).isEqualTo(1000);

    JsonObject batch = new JsonObject().put("items", items);
    Response first = gw.call("POST", "/v1/batches", till, null, batch.encode());
    assertThat(first.status()).as(first.raw().body()).isEqualTo(200);
    JsonArray results = first.json().getJsonArray("results");
    assertThat(results.size()).isEqualTo(1000);
    Map<String, JsonObject> firstAnswer = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      JsonObject result = results.getJsonObject(i);
      String key = items.getJsonObject(i).getString("idempotency_key");
      assertThat(result.getString("idempotency_key")).isEqualTo(key);
      if (key.startsWith("bad-")) {
        assertThat(result.getInteger("status")).isEqualTo(422);
        assertThat(result.getJsonObject("body").getString("code")).isEqualTo("invalid_field");
        continue;
      }
      assertThat(result.getInteger("status")).as(result.encode()).isEqualTo(201);
      if (key.startsWith("s-")) {
        assertThat(result.getJsonObject("body")).isEqualTo(answered.get(key));
      }
      firstAnswer.putIfAbsent(key, result.getJsonObject("body"));
      assertThat(result.getJsonObject("body")).isEqualTo(firstAnswer.get(key));
    }

    Response second = gw.call("POST", "/v1/batches", till, null, batch.encode());
    assertThat(second.json()).isEqualTo(first.json());

    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(count(sql, "SELECT count(*) FROM transactions WHERE program_id = ?", programOf(sql, members.get(0))))
          .isEqualTo(650);
      for (int i = 0; i < 50; i++) {
        JsonObject original = answered.get("s-" + i);
        assertThat(count(sql, "SELECT refunded_minor FROM transactions WHERE id = ?::uuid",
            original.getString("transaction_id"))).isEqualTo(original.getLong("total_minor") / 10);
      }
      // a receipt from yesterday accrued a lot dated yesterday
      String yesterdays = firstAnswer.get("b-0").getString("transaction_id");
      assertThat(text(sql, "SELECT to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
          + "FROM ledger WHERE transaction_id = ?::uuid AND kind = 'accrue'", yesterdays)).isEqualTo(yesterday.toString());
      Map<String, JsonObject> views = new HashMap<>();
      for (String member : members) {
        JsonObject view = gw.memberView(till, member);
        views.put(member, view);
        JsonObject balance = view.getJsonObject("balance");
        assertThat(WriteBehindTest.ledgerSums(sql, member)).containsExactly(balance.getLong("available"),
            balance.getLong("pending"), balance.getLong("held"));
      }
      gw.restart(() -> gw.redis().flushall());
      for (String member : members) {
        assertThat(gw.memberView(till, member)).isEqualTo(views.get(member));
      }
      // and the batch is still answered from the records reloaded out of PostgreSQL
      assertThat(gw.call("POST", "/v1/batches", till, null, batch.encode()).json()).isEqualTo(first.json());
    }
  }

  @Test
  void aPurchaseFollowedByNineHundredNinetyNineItemsRefusedAtOnceIsAnsweredItemByItem() {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 365)));
    String member = gw.member(till);
    Instant now = gw.clock.instant();
    // the first item waits for Redis; each of the others is refused before any I/O (from the future), when the one
    // before it is done
    JsonArray items = new JsonArray().add(item("ok-0", "purchase", now, TestGateway.purchase(member, "OK-0", 10_000,
        null)));
    for (int i = 1; i < 1000; i++) {
      items.add(item("future-" + i, "purchase", now.plus(Duration.ofHours(1)),
          TestGateway.purchase(member, "F-" + i, 10_000, null)));
    }
    Response response = gw.call("POST", "/v1/batches", till, null, new JsonObject().put("items", items).encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(200);
    JsonArray results = response.json().getJsonArray("results");
    assertThat(results.size()).isEqualTo(1000);
    assertThat(results.getJsonObject(0).getInteger("status")).isEqualTo(201);
    for (int i = 1; i < 1000; i++) {
      assertThat(results.getJsonObject(i).getInteger("status")).isEqualTo(422);
      assertThat(results.getJsonObject(i).getString("idempotency_key")).isEqualTo("future-" + i);
    }
  }

  static JsonObject item(String key, String kind, Instant occurredAt, JsonObject body) {
    return new JsonObject().put("idempotency_key", key).put("occurred_at", occurredAt.toString()).put("kind", kind)
        .put("body", body);
  }

  static String programOf(Connection sql, String member) throws Exception {
    return text(sql, "SELECT program_id FROM members WHERE id = ?::uuid", member);
  }

  static long count(Connection sql, String query, String parameter) throws Exception {
    return Long.parseLong(text(sql, query, parameter));
  }

  static String text(Connection sql, String query, String parameter) throws Exception {
    try (PreparedStatement st = sql.prepareStatement(query)) {
      st.setString(1, parameter);
      ResultSet rs = st.executeQuery();
      assertThat(rs.next()).as(query).isTrue();
      return rs.getString(1);
    }
  }
}
