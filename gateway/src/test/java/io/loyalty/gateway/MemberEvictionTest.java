package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Idle members leave Redis once PostgreSQL has all of them, and come back from PostgreSQL unchanged on their next
 * touch. A member holding points, or with a change PostgreSQL has not got, stays.
 */
class MemberEvictionTest {
  @Test
  void idleMembersLeaveRedisAndComeBackFromPostgresUnchanged() {
    try (TestGateway gw = TestGateway.start(Map.of("MEMBER_IDLE_EVICT_SECONDS", "1", "MEMBER_EVICT_SCAN_MS", "20"))) {
      String till = gw.till(gw.program(new JsonObject().put("max_redeem_share_bp", 10_000)));
      String idle = gw.member(till);
      String holding = gw.member(till);
      String undrained = gw.member(till);
      JsonObject firstBody = TestGateway.purchase(idle, "R-1", 100_000, null);
      JsonObject first = gw.purchase(till, "first", firstBody).json();
      for (String member : new String[] {holding, undrained}) {
        assertThat(gw.purchase(till, "p-" + member, TestGateway.purchase(member, "R-1", 100_000, null)).status())
            .isEqualTo(201);
      }
      assertThat(gw.call("POST", "/v1/authorizations", till, "hold",
          TestGateway.purchase(holding, "A-1", 50_000, 10).encode()).status()).isEqualTo(201);
      gw.awaitDrained();
      JsonObject idleView = gw.memberView(till, idle);
      // a change PostgreSQL has not got yet, as if still in the stream: the hot copy is ahead of the snapshot
      gw.putState(withSeq(gw.state(undrained), +1));
      // keys that are not members, so a tick's walk (several SCAN calls) must go past them to find the member
      Map<String, String> fillers = new java.util.HashMap<>();
      for (int i = 0; i < 5_000; i++) {
        fillers.put("lg:{" + (i % 256) + "}:i:filler-" + i, "x");
      }
      gw.redis().mset(fillers);

      for (int i = 0; gw.redis().exists(hash(idle)) == 1; i++) {
        assertThat(i).as("the idle member was not evicted").isLessThan(300);
        TestGateway.sleep(50);
      }
      TestGateway.sleep(1_000); // many more passes over the whole keyspace
      assertThat(gw.redis().exists(hash(holding))).as("holds points").isEqualTo(1);
      assertThat(gw.redis().exists(hash(undrained))).as("ahead of PostgreSQL").isEqualTo(1);
      assertThat(gw.call("GET", "/metrics", null, null, null).raw().body())
          .containsPattern("loyalty_members_evicted_total [1-9]");

      // back from PostgreSQL on the next touch, as it was; a late retry is still a replay
      assertThat(gw.memberView(till, idle)).isEqualTo(idleView);
      Response retry = gw.purchase(till, "first", firstBody);
      assertThat(retry.header("idempotent-replayed")).isEqualTo("true");
      assertThat(retry.json()).isEqualTo(first);
      assertThat(gw.purchase(till, "second", TestGateway.purchase(idle, "R-2", 100_000, "max")).status())
          .isEqualTo(201);
      gw.putState(withSeq(gw.state(undrained), -1));
      gw.assertPostgresExplainsEveryBalance(Map.of(idle, till, holding, till, undrained, till));
    }
  }

  static String hash(String member) {
    return Keys.member(UUID.fromString(member));
  }

  static MemberState withSeq(MemberState s, long by) {
    return new MemberState(s.id(), s.programId(), s.seq() + by, s.available(), s.pending(), s.held(), s.debt(),
        s.spendMinor(), s.pendingLots(), s.availableLots(), s.authorizations(), s.profile(), s.expired(),
        s.visits());
  }
}
