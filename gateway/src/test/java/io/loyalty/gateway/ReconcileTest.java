package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.reconcile.Reconciliation;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reconcile command finds drift between Redis and PostgreSQL, and repairs the hot copy from PostgreSQL. */
class ReconcileTest extends GatewayTest {

  @Test
  void driftIsReportedAndTheHotCopyIsRepairedFromPostgres() throws Exception {
    String till = gw.till(gw.program(new JsonObject()));
    String tampered = gw.member(till);
    String badLedger = gw.member(till);
    String healthy = gw.member(till);
    for (String member : List.of(tampered, badLedger, healthy)) {
      gw.purchase(till, "p-" + member, TestGateway.purchase(member, "R-1", 100_000, null)); // 50 points each
    }
    gw.awaitDrained();
    // drift the ledger cannot explain: 949 more points, in a lot of their own, at the same seq
    MemberState s = gw.state(tampered);
    List<Lot> lots = new java.util.ArrayList<>(s.availableLots());
    lots.add(new Lot(s.seq() + 1000, 949, 949, 0, Lot.NEVER));
    // (a gateway trusts the states it committed itself, so the drift shows through a gateway that did not)
    gw.restart(() -> gw.putState(new MemberState(s.id(), s.programId(), s.seq(), 999, s.pending(), s.held(), s.debt(),
        s.spendMinor(), s.pendingLots(), List.copyOf(lots), s.authorizations(), s.profile(), s.expired(),
        s.visits())));
    try (Connection sql = gw.sql(); var st = sql.prepareStatement(
        "DELETE FROM ledger WHERE member_id = ?::uuid AND kind = 'accrue'")) {
      st.setString(1, badLedger);
      assertThat(st.executeUpdate()).isEqualTo(1);
    }

    Reconciliation.Report report = reconcile(false);
    assertThat(drifts(report, tampered)).containsExactly("redis_differs");
    assertThat(drifts(report, badLedger)).containsExactly("postgres_ledger_mismatch");
    assertThat(drifts(report, healthy)).isEmpty();
    assertThat(gw.memberView(till, tampered).getJsonObject("balance").getLong("available")).isEqualTo(999);

    Reconciliation.Report repaired = reconcile(true);
    assertThat(repaired.repaired()).isGreaterThanOrEqualTo(1);
    assertThat(gw.memberView(till, tampered).getJsonObject("balance").getLong("available")).isEqualTo(50);
    assertThat(drifts(reconcile(false), tampered)).isEmpty();
    assertThat(drifts(reconcile(false), badLedger)).containsExactly("postgres_ledger_mismatch"); // not Redis' to fix
    gw.assertPostgresExplainsEveryBalance(Map.of(tampered, till, healthy, till));
  }

  static Reconciliation.Report reconcile(boolean repair) throws Exception {
    ByteArrayOutputStream printed = new ByteArrayOutputStream();
    Reconciliation.Report report = Reconciliation.run(gw.config().redisUrl(), gw.config().databaseUrl(), repair,
        new PrintStream(printed, true, StandardCharsets.UTF_8));
    assertThat(printed.toString(StandardCharsets.UTF_8)).contains("checked " + report.checked() + " members");
    return report;
  }

  static List<String> drifts(Reconciliation.Report report, String member) {
    return report.drifts().stream().filter(d -> d.memberId().equals(member)).map(Reconciliation.Drift::kind).toList();
  }
}
