package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.reconcile.Reconciliation;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.loyalty.gateway.support.WebhookReceiver;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Points members use: background expiry, reminders, digests, second life, consent, and the signed webhooks that
 * carry the events, against a real HTTP receiver, with the scheduler running every 100 ms and the clock moved by
 * the test.
 */
class EngagementTest {
  static final String SECRET = "whsec-0123456789abcdef";
  static final Duration WAIT = Duration.ofSeconds(20);
  static final Map<String, String> ENV = Map.of("SCHEDULER_INTERVAL_MS", "100", "WEBHOOK_POLL_MS", "50",
      "WEBHOOK_TIMEOUT_MS", "500");
  static TestGateway gw;
  static WebhookReceiver receiver;

  @BeforeAll
  static void start() throws Exception {
    gw = TestGateway.start(ENV);
    receiver = new WebhookReceiver();
  }

  @AfterAll
  static void stop() {
    gw.close();
    receiver.close();
  }

  @Test
  void aLotGetsOneReminderPerReminderDayAcrossRestarts() throws Exception {
    String program = gw.program(new JsonObject().put("expiry_days", 6).put("expiry_reminder_days", new JsonArray().add(1).add(7)));
    webhook(program, "crm", receiver.url("/reminders"), "points.expiring");
    String till = gw.till(program);
    String member = gw.member(till);
    gw.purchase(till, "r-1", TestGateway.purchase(member, "R-1", 100_000, null)); // 50 points, expiring in 6 days
    gw.awaitDrained();

    var first = receiver.await(r -> isAbout(r, member, "points.expiring"), 1, WAIT).get(0);
    JsonObject event = first.json();
    assertThat(event.getString("type")).isEqualTo("points.expiring");
    assertThat(event.getString("program_id")).isEqualTo(program);
    assertThat(event.getLong("points")).isEqualTo(50);
    assertThat(event.getLong("balance")).isEqualTo(50);
    assertThat(event.getInteger("reminder_days")).isEqualTo(7);
    assertThat(event.getString("phone")).startsWith("+7912"); // personal data consented
    assertThat(Instant.parse(event.getString("expires_at")))
        .isBetween(gw.clock.instant().plus(Duration.ofDays(6)).minusSeconds(60), gw.clock.instant().plus(Duration.ofDays(6)));
    assertThat(first.eventId()).isEqualTo(event.getString("id"));
    assertThat(verifies(first.signature(), first.body(), SECRET)).isTrue();
    assertThat(verifies(first.signature(), first.body(), "another-secret-0123456789")).isFalse();

    gw.restart(() -> { });
    TestGateway.sleep(1000); // ten scheduler intervals on the new gateway
    assertThat(receiver.received(r -> isAbout(r, member, "points.expiring"))).hasSize(1);

    gw.clock.advance(Duration.ofDays(5).plusMinutes(1)); // the day before
    var both = receiver.await(r -> isAbout(r, member, "points.expiring"), 2, WAIT);
    assertThat(both.get(1).json().getInteger("reminder_days")).isEqualTo(1);
    assertThat(both.get(1).eventId()).isNotEqualTo(first.eventId());
    TestGateway.sleep(1000);
    assertThat(receiver.received(r -> isAbout(r, member, "points.expiring"))).hasSize(2);
  }

  @Test
  void aDormantMembersPointsExpireInTheBackground() throws Exception {
    String program = gw.program(new JsonObject().put("expiry_days", 1));
    webhook(program, "crm", receiver.url("/expired"), "points.expired");
    String till = gw.till(program);
    String member = gw.member(till);
    String silent = enrol(till, new JsonObject().put("personal_data", true).put("marketing", false)
        .put("service_notices", false));
    for (String m : List.of(member, silent)) {
      gw.purchase(till, "e-" + m, TestGateway.purchase(m, "R-1", 100_000, null)); // 50 points for a day
    }
    gw.awaitDrained();

    gw.clock.advance(Duration.ofDays(1).plusMinutes(1)); // nobody touches the members from here on
    await(() -> ledgerRows(member, "expire") == 1 && ledgerRows(silent, "expire") == 1);
    gw.awaitDrained();
    assertThat(gw.state(member).available()).isZero();
    try (Connection sql = gw.sql(); ResultSet rs = sql.createStatement().executeQuery(
        "SELECT available, due_at FROM member_balances WHERE member_id = '" + member + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getLong("available")).isZero();
      assertThat(rs.getObject("due_at")).isNull();
    }
    Reconciliation.Report report = Reconciliation.run(gw.config().redisUrl(), gw.config().databaseUrl(), false,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertThat(report.drifts()).noneMatch(d -> Set.of(member, silent).contains(d.memberId()));

    var expired = receiver.await(r -> isAbout(r, member, "points.expired"), 1, WAIT);
    assertThat(expired.get(0).json().getLong("points")).isEqualTo(50);
    assertThat(expired.get(0).json().getLong("balance")).isZero();
    TestGateway.sleep(500);
    assertThat(receiver.received(r -> isAbout(r, member, "points.expired"))).hasSize(1);
    assertThat(receiver.received(r -> r.body().contains(silent))).as("no service notices, no event").isEmpty();
    assertThat(ledgerRows(member, "expire")).isEqualTo(1);
  }

  @Test
  void aFailingReceiverGetsTheSameEventAgainUntilItTakesIt() throws Exception {
    String program = gw.program(new JsonObject().put("tiers", new JsonArray().add(new JsonObject()
        .put("name", "Silver").put("min_spend_minor", 1_000).put("accrual_rate_bp", 700))));
    try (WebhookReceiver flaky = new WebhookReceiver(); WebhookReceiver dead = new WebhookReceiver()) {
      webhook(program, "flaky", flaky.url("/"), "tier.changed");
      String till = gw.till(program);
      String member = gw.member(till);
      flaky.answer(500, 500);
      gw.purchase(till, "t-1", TestGateway.purchase(member, "R-1", 2_000, null)); // reaches Silver
      String id = flaky.await(r -> true, 1, WAIT).get(0).eventId();
      awaitAttempts(program, id, 1);
      gw.clock.advance(Duration.ofSeconds(10)); // past the first pause (at most 5 s)
      flaky.await(r -> true, 2, WAIT);
      awaitAttempts(program, id, 2);
      gw.clock.advance(Duration.ofSeconds(20)); // past the second (at most 10 s)
      var tries = flaky.await(r -> true, 3, WAIT);
      assertThat(tries).extracting(WebhookReceiver.Received::answered).containsExactly(500, 500, 200);
      assertThat(tries.stream().map(WebhookReceiver.Received::eventId).distinct()).hasSize(1);
      JsonObject event = tries.get(2).json();
      assertThat(event.getString("from")).isNull();
      assertThat(event.getString("to")).isEqualTo("Silver");
      JsonObject delivered = awaitDelivery(program, "delivered", event.getString("id"));
      assertThat(delivered.getInteger("attempts")).isEqualTo(3);
      assertThat(delivered.getInteger("last_status")).isEqualTo(200);

      // a receiver that never answers: failed once the retry window is over, then delivered after a retry
      gw.call("DELETE", "/v1/admin/programs/" + program + "/webhooks/flaky", TestGateway.ADMIN_TOKEN, null, null);
      webhook(program, "dead", dead.url("/"), "tier.changed");
      dead.silent = true;
      String other = gw.member(till);
      gw.purchase(till, "t-2", TestGateway.purchase(other, "R-1", 2_000, null));
      awaitAttempts(program, dead.await(r -> true, 1, WAIT).get(0).eventId(), 1);
      gw.clock.advance(Duration.ofHours(25));
      dead.await(r -> true, 2, WAIT);
      String eventId = dead.received().get(0).eventId();
      JsonObject failed = awaitDelivery(program, "failed", eventId);
      assertThat(failed.getInteger("attempts")).isEqualTo(2);
      assertThat(failed.getString("last_error")).isNotBlank();
      assertThat(failed.getString("next_attempt_at")).isNull();

      dead.silent = false;
      Response retry = gw.call("POST", "/v1/admin/programs/" + program + "/webhook-deliveries/" + eventId + "/retry",
          TestGateway.ADMIN_TOKEN, null, null);
      assertThat(retry.status()).as(retry.raw().body()).isEqualTo(200);
      assertThat(retry.json().getJsonArray("webhooks")).containsExactly("dead");
      assertThat(dead.await(r -> r.answered() == 200, 1, WAIT).get(0).eventId()).isEqualTo(eventId);
      awaitDelivery(program, "delivered", eventId);

      Response unknown = gw.call("POST", "/v1/admin/programs/" + program + "/webhook-deliveries/" + UUID.randomUUID()
          + "/retry", TestGateway.ADMIN_TOKEN, null, null);
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.json().getString("code")).isEqualTo("event_not_found");
    }
  }

  @Test
  void expiredPointsComeBackOnceAtTheNextQualifyingPurchase() throws Exception {
    String program = gw.program(new JsonObject().put("point_value_minor", 1).put("accrual_rate_bp", 1_000)
        .put("expiry_days", 10).put("second_life", new JsonObject().put("window_days", 30).put("share_bp", 5_000)
            .put("min_receipt_minor", 10_000)));
    String till = gw.till(program);
    String member = gw.member(till);
    gw.purchase(till, "s-1", TestGateway.purchase(member, "R-1", 20_000, null)); // 2 000 points for 10 days
    gw.clock.advance(Duration.ofDays(11));

    Response small = gw.purchase(till, "s-2", TestGateway.purchase(member, "R-2", 5_000, null));
    assertThat(small.json().getLong("revived_points")).as("below the minimum receipt").isZero();
    assertThat(small.json().getJsonObject("balance").getLong("available")).isEqualTo(500);

    Response qualifying = gw.purchase(till, "s-3", TestGateway.purchase(member, "R-3", 10_000, null));
    assertThat(qualifying.json().getLong("revived_points")).isEqualTo(1_000); // half of the 2 000 expired
    assertThat(qualifying.json().getJsonObject("balance").getLong("available")).isEqualTo(500 + 1_000 + 1_000);
    Response replay = gw.purchase(till, "s-3", TestGateway.purchase(member, "R-3", 10_000, null));
    assertThat(replay.header("Idempotent-Replayed")).isEqualTo("true");
    assertThat(replay.json()).isEqualTo(qualifying.json());
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(2_500);

    Response again = gw.purchase(till, "s-4", TestGateway.purchase(member, "R-4", 10_000, null));
    assertThat(again.json().getLong("revived_points")).as("revived once per expiry").isZero();
    assertThat(again.json().getJsonObject("balance").getLong("available")).isEqualTo(3_500);

    // refunding the reviving receipt reverses its accrual; the revived points stay
    Response refund = gw.call("POST", "/v1/refunds", till, "s-5", new JsonObject()
        .put("transaction_id", qualifying.json().getString("transaction_id")).put("amount_minor", 10_000).encode());
    assertThat(refund.status()).as(refund.raw().body()).isEqualTo(201);
    assertThat(refund.json().getLong("reversed_accrual_points")).isEqualTo(1_000);
    assertThat(refund.json().getJsonObject("balance").getLong("available")).isEqualTo(2_500);
    gw.awaitDrained();
    assertThat(ledgerRows(member, "revive")).isEqualTo(1);
    assertThat(outboxRows(member, "points.revived")).isEqualTo(1);

    // outside the window: nothing comes back
    String late = gw.member(till);
    gw.purchase(till, "l-1", TestGateway.purchase(late, "R-1", 20_000, null));
    gw.clock.advance(Duration.ofDays(41)); // expired 31 days ago, the window is 30
    Response tooLate = gw.purchase(till, "l-2", TestGateway.purchase(late, "R-2", 10_000, null));
    assertThat(tooLate.json().getLong("revived_points")).isZero();
  }

  @Test
  void oneDigestPerMemberAndPeriodOnlyToMembersWhoTakeServiceNotices() throws Exception {
    String program = gw.program(new JsonObject().put("digest", "monthly").put("expiry_days", 365));
    webhook(program, "crm", receiver.url("/digest"), "balance.digest");
    String till = gw.till(program);
    String active = gw.member(till);
    String optedOut = enrol(till, new JsonObject().put("personal_data", true).put("marketing", true)
        .put("service_notices", false));
    String idle = gw.member(till);
    for (String m : List.of(active, optedOut)) {
      gw.purchase(till, "d-" + m, TestGateway.purchase(m, "R-1", 100_000, null)); // 50 points
    }
    gw.awaitDrained();
    YearMonth month = YearMonth.from(gw.clock.instant().atOffset(ZoneOffset.UTC));
    Instant nextMonth = month.plusMonths(1).atDay(2).atStartOfDay(ZoneOffset.UTC).toInstant();
    gw.clock.advance(Duration.between(gw.clock.instant(), nextMonth));

    JsonObject digest = receiver.await(r -> isAbout(r, active, "balance.digest"), 1, WAIT).get(0).json();
    assertThat(digest.getString("period")).isEqualTo(month.toString());
    assertThat(digest.getLong("balance")).isEqualTo(50);
    assertThat(digest.getLong("accrued_points")).isEqualTo(50);
    assertThat(digest.getLong("redeemed_points")).isZero();
    assertThat(digest.getLong("saved_minor")).isZero();
    assertThat(digest.getLong("expiring_30d_points")).isZero();
    assertThat(digest.containsKey("tier")).isTrue();

    // a second scan of the same period (its cursor forgotten) sends nothing new
    TestGateway.sleep(500);
    try (Connection sql = gw.sql()) {
      sql.createStatement().executeUpdate("UPDATE scheduler_leases SET cursor = NULL WHERE job = 'digest'");
    }
    TestGateway.sleep(1000);
    assertThat(receiver.received(r -> isAbout(r, active, "balance.digest"))).hasSize(1);
    assertThat(receiver.received(r -> r.body().contains(optedOut) || r.body().contains(idle))).isEmpty();
    assertThat(outboxRows(optedOut, "balance.digest") + outboxRows(idle, "balance.digest")).isZero();
  }

  @Test
  void consentsChangeByTillOrManagerWithAHistory() throws Exception {
    String program = gw.program(new JsonObject());
    String till = gw.till(program);
    String member = gw.member(till);
    assertThat(gw.memberView(till, member).getJsonObject("consents"))
        .isEqualTo(new JsonObject().put("personal_data", true).put("marketing", false).put("service_notices", true));

    Response byTill = gw.call("PATCH", "/v1/members/" + member + "/consents", till, null,
        new JsonObject().put("service_notices", false).encode());
    assertThat(byTill.status()).as(byTill.raw().body()).isEqualTo(200);
    assertThat(byTill.json().getJsonObject("consents").getBoolean("service_notices")).isFalse();
    Response byManager = gw.call("PATCH", "/v1/members/" + member + "/consents", TestGateway.ADMIN_TOKEN, null,
        new JsonObject().put("marketing", true).encode());
    assertThat(byManager.status()).as(byManager.raw().body()).isEqualTo(200);
    assertThat(byManager.json().getJsonObject("consents"))
        .isEqualTo(new JsonObject().put("personal_data", true).put("marketing", true).put("service_notices", false));
    assertThat(gw.memberView(till, member).getJsonObject("consents").getBoolean("marketing")).isTrue();

    for (String bad : List.of("{}", "{\"marketing\":\"yes\"}", "{\"newsletter\":true}")) {
      Response refused = gw.call("PATCH", "/v1/members/" + member + "/consents", till, null, bad);
      assertThat(refused.status()).as(bad).isEqualTo(422);
      assertThat(refused.json().getString("code")).isEqualTo("invalid_field");
    }
    String otherTill = gw.till(gw.program(new JsonObject()));
    assertThat(gw.call("PATCH", "/v1/members/" + member + "/consents", otherTill, null, "{\"marketing\":false}")
        .status()).isEqualTo(404);
    assertThat(gw.call("PATCH", "/v1/members/" + member + "/consents", null, null, "{\"marketing\":false}")
        .status()).isEqualTo(401);

    gw.awaitDrained();
    List<String> history = new ArrayList<>();
    try (Connection sql = gw.sql(); ResultSet rs = sql.createStatement().executeQuery(
        "SELECT source, personal_data, marketing, service_notices FROM member_consents WHERE member_id = '"
            + member + "' ORDER BY seq")) {
      while (rs.next()) {
        history.add(rs.getString(1) + ":" + rs.getBoolean(2) + "," + rs.getBoolean(3) + "," + rs.getBoolean(4));
      }
    }
    assertThat(history).containsExactly("till:true,false,true", "till:true,false,false", "admin:true,true,false");
    try (Connection sql = gw.sql(); ResultSet rs = sql.createStatement().executeQuery(
        "SELECT consent_marketing, consent_service_notices FROM members WHERE id = '" + member + "'")) {
      assertThat(rs.next()).isTrue();
      assertThat(rs.getBoolean(1)).isTrue();
      assertThat(rs.getBoolean(2)).isFalse();
    }
  }

  @Test
  void twoGatewaysSchedulingAtOnceNeverDuplicateAnEntryOrAnEvent() throws Exception {
    String program = gw.program(new JsonObject().put("expiry_days", 1));
    webhook(program, "crm", receiver.url("/two"), "points.expired");
    String till = gw.till(program);
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 450; i++) { // more than two chunks
      String member = gw.member(till);
      members.add(member);
      gw.send("POST", "/v1/purchases", till, "x-" + member, TestGateway.purchase(member, "R-1", 100_000, null).encode());
    }
    await(() -> countRows("SELECT count(*) FROM ledger WHERE program_id = '" + program + "' AND kind = 'accrue'") == 450);
    gw.awaitDrained();
    AtomicBoolean hopping = new AtomicBoolean(true);
    try (TestGateway second = TestGateway.start(ENV, gw.clock)) {
      // leases keep lapsing, so the jobs hop between the gateways mid-pass and their chunks overlap
      Thread lapse = new Thread(() -> {
        try (Connection sql = gw.sql()) {
          while (hopping.get()) {
            sql.createStatement().executeUpdate("UPDATE scheduler_leases SET lease_until = now() - interval '1 second'");
            TestGateway.sleep(5);
          }
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      lapse.start();
      gw.clock.advance(Duration.ofDays(1).plusMinutes(1));
      await(() -> countRows("SELECT count(*) FROM ledger WHERE program_id = '" + program + "' AND kind = 'expire'") >= 450);
      TestGateway.sleep(500);
      hopping.set(false);
      lapse.join();
      gw.awaitDrained();
    }
    assertThat(countRows("SELECT count(*) FROM ledger WHERE program_id = '" + program + "' AND kind = 'expire'"))
        .isEqualTo(450);
    assertThat(countRows("SELECT count(*) FROM (SELECT member_id FROM ledger WHERE program_id = '" + program
        + "' AND kind = 'expire' GROUP BY member_id HAVING count(*) > 1) d")).isZero();
    assertThat(countRows("SELECT count(*) FROM outbox WHERE program_id = '" + program + "' AND type = 'points.expired'"))
        .isEqualTo(450);
    var delivered = receiver.await(r -> r.body().contains(program), 450, WAIT);
    TestGateway.sleep(500);
    delivered = receiver.received(r -> r.body().contains(program));
    assertThat(delivered).hasSize(450);
    assertThat(delivered.stream().map(r -> r.json().getString("member_id")).collect(Collectors.toSet()))
        .isEqualTo(Set.copyOf(members));
  }

  @Test
  void webhooksAreValidatedListedWithoutSecretsAndRemoved() {
    String program = gw.program(new JsonObject());
    String path = "/v1/admin/programs/" + program + "/webhooks/";
    Response created = gw.call("PUT", path + "crm", TestGateway.ADMIN_TOKEN, null, new JsonObject()
        .put("url", "https://crm.example/hooks").put("secret", SECRET)
        .put("events", new JsonArray().add("points.expired").add("balance.digest")).encode());
    assertThat(created.status()).as(created.raw().body()).isEqualTo(201);
    assertThat(created.json().containsKey("secret")).isFalse();
    Response replaced = gw.call("PUT", path + "crm", TestGateway.ADMIN_TOKEN, null, new JsonObject()
        .put("url", "https://crm.example/v2").put("secret", SECRET).put("events", new JsonArray().add("tier.changed")).encode());
    assertThat(replaced.status()).isEqualTo(200);
    JsonObject list = gw.call("GET", "/v1/admin/programs/" + program + "/webhooks", TestGateway.ADMIN_TOKEN, null, null).json();
    assertThat(list.getJsonArray("webhooks")).hasSize(1);
    JsonObject listed = list.getJsonArray("webhooks").getJsonObject(0);
    assertThat(listed.getString("url")).isEqualTo("https://crm.example/v2");
    assertThat(listed.getJsonArray("events")).containsExactly("tier.changed");
    assertThat(listed.encode()).doesNotContain(SECRET);

    for (JsonObject bad : List.of(
        new JsonObject().put("url", "ftp://crm.example").put("secret", SECRET).put("events", new JsonArray().add("tier.changed")),
        new JsonObject().put("url", "https://crm.example").put("secret", "short").put("events", new JsonArray().add("tier.changed")),
        new JsonObject().put("url", "https://crm.example").put("secret", SECRET).put("events", new JsonArray().add("points.gone")),
        new JsonObject().put("url", "https://crm.example").put("secret", SECRET).put("events", new JsonArray()))) {
      Response refused = gw.call("PUT", path + "other", TestGateway.ADMIN_TOKEN, null, bad.encode());
      assertThat(refused.status()).as(bad.encode()).isEqualTo(422);
      assertThat(refused.json().getString("code")).isEqualTo("invalid_field");
    }
    assertThat(gw.call("PUT", path + "Bad%20Name", TestGateway.ADMIN_TOKEN, null, created.json().encode()).status())
        .isEqualTo(422);
    assertThat(gw.call("GET", "/v1/admin/programs/" + program + "/webhooks", "not-the-token", null, null).status())
        .isEqualTo(401);
    assertThat(gw.call("DELETE", path + "crm", TestGateway.ADMIN_TOKEN, null, null).status()).isEqualTo(200);
    Response gone = gw.call("DELETE", path + "crm", TestGateway.ADMIN_TOKEN, null, null);
    assertThat(gone.status()).isEqualTo(404);
    assertThat(gone.json().getString("code")).isEqualTo("webhook_not_found");
    Response badStatus = gw.call("GET", "/v1/admin/programs/" + program + "/webhook-deliveries?status=lost",
        TestGateway.ADMIN_TOKEN, null, null);
    assertThat(badStatus.status()).isEqualTo(422);
  }

  // ---- helpers --------------------------------------------------------------------------------------------

  static void webhook(String program, String name, String url, String... events) {
    Response response = gw.call("PUT", "/v1/admin/programs/" + program + "/webhooks/" + name, TestGateway.ADMIN_TOKEN,
        null, new JsonObject().put("url", url).put("secret", SECRET).put("events", new JsonArray(List.of(events))).encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
  }

  static String enrol(String till, JsonObject consents) {
    Response response = gw.call("POST", "/v1/members", till, null, new JsonObject()
        .put("phone", TestGateway.randomPhone()).put("consents", consents).encode());
    assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
    return response.json().getString("member_id");
  }

  static boolean isAbout(WebhookReceiver.Received r, String member, String type) {
    return type.equals(r.type()) && member.equals(r.json().getString("member_id"));
  }

  /** A receiver's check of {@code Loyalty-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">}. */
  static boolean verifies(String header, String body, String secret) throws Exception {
    String t = null;
    String v1 = null;
    for (String part : header.split(",")) {
      if (part.startsWith("t=")) {
        t = part.substring(2);
      } else if (part.startsWith("v1=")) {
        v1 = part.substring(3);
      }
    }
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    byte[] expected = mac.doFinal((t + "." + body).getBytes(StandardCharsets.UTF_8));
    return java.security.MessageDigest.isEqual(expected, HexFormat.of().parseHex(v1));
  }

  static JsonObject awaitDelivery(String program, String status, String eventId) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (System.nanoTime() < deadline) {
      Response page = gw.call("GET", "/v1/admin/programs/" + program + "/webhook-deliveries?status=" + status,
          TestGateway.ADMIN_TOKEN, null, null);
      assertThat(page.status()).as(page.raw().body()).isEqualTo(200);
      for (Object d : page.json().getJsonArray("deliveries")) {
        if (((JsonObject) d).getString("event_id").equals(eventId)) {
          return (JsonObject) d;
        }
      }
      TestGateway.sleep(50);
    }
    throw new AssertionError("no " + status + " delivery of " + eventId);
  }

  /** Waits until the delivery's attempt number {@code attempts} has been answered (or timed out) and recorded. */
  static void awaitAttempts(String program, String eventId, int attempts) {
    await(() -> {
      JsonObject d = awaitDelivery(program, "pending", eventId);
      return d.getInteger("attempts") == attempts && d.getString("last_error") != null;
    });
  }

  static void await(BooleanSupplier condition) {
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within " + WAIT);
      }
      TestGateway.sleep(50);
    }
  }

  static long ledgerRows(String member, String kind) {
    return countRows("SELECT count(*) FROM ledger WHERE member_id = '" + member + "' AND kind = '" + kind + "'");
  }

  static long outboxRows(String member, String type) {
    return countRows("SELECT count(*) FROM outbox WHERE member_id = '" + member + "' AND type = '" + type + "'");
  }

  static long countRows(String sql) {
    try (Connection c = gw.sql(); ResultSet rs = c.createStatement().executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
