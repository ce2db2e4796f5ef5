package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.loyalty.gateway.support.ThreeMasters;
import io.vertx.core.json.JsonObject;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The gateway on a real three-master Redis Cluster: each member's commit lands on its slot's master. */
class RedisClusterTest {

  @Test
  void purchasesReplaysCapturesRefundsAndTheWriteBehindWorkOnAThreeMasterCluster() throws Exception {
    try (ThreeMasters cluster = ThreeMasters.start();
         TestGateway gw = TestGateway.start(Map.of("REDIS_URL", cluster.url(), "REDIS_CLUSTER", "true"))) {
      String till = gw.till(gw.program(new JsonObject()));
      List<String> members = new ArrayList<>();
      List<String> transactions = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        String member = gw.member(till);
        members.add(member);
        Response bought = gw.purchase(till, "p-" + i, TestGateway.purchase(member, "R-" + i, 100_000, null));
        assertThat(bought.status()).as(bought.raw().body()).isEqualTo(201);
        assertThat(bought.json().getLong("accrued_points")).isEqualTo(50);
        transactions.add(bought.json().getString("transaction_id"));
      }
      for (int port : cluster.ports()) {
        int states = cluster.onNode(port, node -> node.keys("lg:*:m:*").size());
        assertThat(states).as("member states on master " + port).isPositive();
      }

      Response replay = gw.purchase(till, "p-0", TestGateway.purchase(members.get(0), "R-0", 100_000, null));
      assertThat(replay.header("idempotent-replayed")).isEqualTo("true");
      assertThat(replay.json().getString("transaction_id")).isEqualTo(transactions.get(0));
      assertThat(gw.purchase(till, "p-0", TestGateway.purchase(members.get(0), "R-0", 99_999, null)).json()
          .getString("code")).isEqualTo("idempotency_key_reuse");

      String authorization = gw.call("POST", "/v1/authorizations", till, "a-1",
          TestGateway.purchase(members.get(1), "A-1", 10_000, 20).encode()).json().getString("authorization_id");
      Response captured = gw.call("POST", "/v1/authorizations/" + authorization + "/capture", till, "c-1", null);
      assertThat(captured.status()).as(captured.raw().body()).isEqualTo(200);
      assertThat(captured.json().getLong("redeemed_points")).isEqualTo(20);

      Response refunded = gw.call("POST", "/v1/refunds", till, "r-2", new JsonObject()
          .put("transaction_id", transactions.get(2)).put("amount_minor", 50_000).encode());
      assertThat(refunded.status()).as(refunded.raw().body()).isEqualTo(201);
      assertThat(refunded.json().getLong("reversed_accrual_points")).isEqualTo(25);

      // the write-behind drains every master's streams: PostgreSQL's ledger explains each balance shown
      long deadline = System.currentTimeMillis() + 30_000;
      List<String> unexplained = members;
      while (!unexplained.isEmpty()) {
        assertThat(System.currentTimeMillis()).as("ledger behind for " + unexplained).isLessThan(deadline);
        TestGateway.sleep(100);
        try (Connection sql = gw.sql()) {
          List<String> behind = new ArrayList<>();
          for (String member : members) {
            JsonObject balance = gw.memberView(till, member).getJsonObject("balance");
            if (WriteBehindTest.ledgerSums(sql, member)[0] != balance.getLong("available")) {
              behind.add(member);
            }
          }
          unexplained = behind;
        }
      }
      assertThat(gw.memberView(till, members.get(1)).getJsonObject("balance").getLong("available"))
          .isEqualTo(50 - 20 + 4); // 5% of the 80 ₽ paid
      assertThat(gw.memberView(till, members.get(2)).getJsonObject("balance").getLong("available")).isEqualTo(25);
    }
  }
}
