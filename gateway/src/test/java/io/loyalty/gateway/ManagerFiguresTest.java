package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Rules;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.loyalty.gateway.writebehind.Event;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * What a loyalty manager reads: liability, analytics, usage, tills, member search. Every figure is checked against
 * what the members' own balances and the answers the tills got say, once the write-behind has drained.
 */
class ManagerFiguresTest extends GatewayTest {
  static final String ADMIN = TestGateway.ADMIN_TOKEN;

  record Shop(String program, String tillA, String tillB) {
    static Shop open(JsonObject config) {
      String program = gw.program(config);
      return new Shop(program, till(program, "store-a", "t1"), till(program, "store-b", "t2"));
    }

    static String till(String program, String store, String till) {
      Response r = gw.call("POST", "/v1/admin/programs/" + program + "/tills", ADMIN, null,
          new JsonObject().put("store_id", store).put("till_id", till).encode());
      assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
      return r.json().getString("api_key");
    }

    JsonObject get(String path) {
      Response r = gw.call("GET", "/v1/admin/programs/" + program + path, ADMIN, null, null);
      assertThat(r.status()).as(path + ": " + r.raw().body()).isEqualTo(200);
      return r.json();
    }
  }

  static JsonObject ok(Response r) {
    assertThat(r.status()).as(r.raw().body()).isIn(200, 201);
    return r.json();
  }

  @Test
  void figuresEqualWhatMembersBalancesAndAnswersSay() {
    Shop shop = Shop.open(new JsonObject().put("expiry_days", 30));
    LocalDate today = LocalDate.ofInstant(gw.clock.instant(), ZoneOffset.UTC);
    String a = gw.member(shop.tillA());
    String b = gw.member(shop.tillB());
    String c = gw.member(shop.tillA()); // enrolled, never buys
    long accrued = 0;
    accrued += ok(gw.purchase(shop.tillA(), "a1", TestGateway.purchase(a, "R-1", 100_000, null)))
        .getLong("accrued_points");
    JsonObject withPoints = ok(gw.purchase(shop.tillA(), "a2", TestGateway.purchase(a, "R-2", 40_000, 20)));
    assertThat(withPoints.getLong("redeemed_points")).isEqualTo(20);
    accrued += withPoints.getLong("accrued_points");
    accrued += ok(gw.purchase(shop.tillB(), "b1", TestGateway.purchase(b, "R-3", 200_000, null)))
        .getLong("accrued_points");
    String auth = ok(gw.call("POST", "/v1/authorizations", shop.tillB(), "b2",
        TestGateway.purchase(b, "A-1", 50_000, null).encode())).getString("authorization_id");
    accrued += ok(gw.call("POST", "/v1/authorizations/" + auth + "/capture", shop.tillB(), "b3", null))
        .getLong("accrued_points");
    String first = gw.purchase(shop.tillA(), "a1", TestGateway.purchase(a, "R-1", 100_000, null)) // a replay
        .json().getString("transaction_id");
    ok(gw.call("POST", "/v1/refunds", shop.tillA(), "a3",
        new JsonObject().put("transaction_id", first).put("amount_minor", 10_000).encode()));
    List<String> members = List.of(a, b, c);
    gw.awaitDrained();

    JsonObject liability = shop.get("/liability");
    assertBalancesAreTheMembers(shop, members, liability, today);
    assertThat(liability.getLong("value_minor")).isEqualTo(liability.getLong("available_points") * 100);
    assertThat(liability.getLong("members_total")).isEqualTo(3);
    assertThat(liability.getLong("dormant_members")).as("c never bought").isEqualTo(1);
    long bAvailable = balance(shop, b).getLong("available");
    assertThat(liability.getJsonObject("inactive")).as("b has points and never redeemed; a redeemed today")
        .isEqualTo(new JsonObject().put("points", bAvailable).put("members", 1));

    JsonObject day = only(shop.get("/analytics?from=" + today + "&to=" + today).getJsonArray("groups"));
    assertThat(day.getString("from")).isEqualTo(today.toString());
    assertThat(day.getLong("receipts")).isEqualTo(4);
    assertThat(day.getLong("revenue_minor")).isEqualTo(390_000);
    assertThat(day.getLong("average_receipt_minor")).isEqualTo(97_500);
    assertThat(day.getLong("average_receipt_with_points_minor")).isEqualTo(40_000);
    assertThat(day.getLong("average_receipt_without_points_minor")).as("350 000 / 3, rounded").isEqualTo(116_667);
    assertThat(day.getLong("members_active")).isEqualTo(2);
    assertThat(day.getLong("members_redeeming")).isEqualTo(1);
    assertThat(day.getLong("share_redeeming_bp")).isEqualTo(5_000);
    assertThat(day.getLong("repeat_members")).as("a bought twice; b bought and captured").isEqualTo(2);
    assertThat(day.getLong("points_accrued")).isEqualTo(accrued);
    assertThat(day.getLong("points_redeemed")).isEqualTo(20);
    assertThat(day.getLong("refunds_minor")).isEqualTo(10_000);

    JsonObject month = only(shop.get("/analytics?group_by=month&from=" + today + "&to=" + today)
        .getJsonArray("groups"));
    assertThat(month.getString("from")).isEqualTo(today.withDayOfMonth(1).toString());
    assertThat(month.copy().put("from", "").put("to", "")).isEqualTo(day.copy().put("from", "").put("to", ""));
    JsonArray stores = shop.get("/analytics?group_by=store").getJsonArray("groups");
    assertThat(stores.stream().map(g -> ((JsonObject) g).getString("store_id")).toList())
        .containsExactly("store-a", "store-b");
    JsonObject storeA = stores.getJsonObject(0);
    assertThat(storeA.getLong("receipts")).isEqualTo(2);
    assertThat(storeA.getLong("members_active")).isEqualTo(1);
    assertThat(storeA.getLong("refunds_minor")).isEqualTo(10_000);
    assertThat(stores.getJsonObject(1).getLong("revenue_minor")).isEqualTo(250_000);

    JsonObject usage = shop.get("/usage?month=" + today.toString().substring(0, 7));
    assertThat(usage.copy().put("program_id", "").put("month", "")).isEqualTo(new JsonObject().put("program_id", "")
        .put("month", "").put("tills_issued", 2).put("tills_active", 2).put("stores_active", 2)
        .put("members_active", 2).put("transactions", 6));
    assertThat(shop.get("/usage?month=" + today.minusMonths(1).toString().substring(0, 7))
        .getLong("transactions")).isZero();

    // a month later a's and b's points have expired (each when read); c still has none
    gw.clock.advance(Duration.ofDays(31));
    LocalDate later = LocalDate.ofInstant(gw.clock.instant(), ZoneOffset.UTC);
    members.forEach(m -> shop.get("/members?phone=" + enc(phone(shop, m)))); // a manager reads each: they mature
    gw.awaitDrained();
    JsonObject expired = shop.get("/liability?inactive_after_days=30");
    assertBalancesAreTheMembers(shop, members, expired, later);
    assertThat(expired.getLong("available_points")).isZero();
    long expiredPoints = shop.get("/analytics?from=" + today + "&to=" + later).getJsonArray("groups").stream()
        .mapToLong(g -> ((JsonObject) g).getLong("points_expired")).sum();
    assertThat(expiredPoints).as("everything accrued, less what was redeemed and clawed back by the refund")
        .isEqualTo(liability.getLong("available_points"));
    assertThat(expired.getLong("dormant_members")).isEqualTo(3);
  }

  @Test
  void aMemberWhoBuysOftenIsCountedOnceAndRedeemingFromItsFirstRedemption() {
    Shop shop = Shop.open(new JsonObject());
    LocalDate today = LocalDate.ofInstant(gw.clock.instant(), ZoneOffset.UTC);
    String a = gw.member(shop.tillA());
    // each receipt in its own write-behind batch, so each meets the member's rows as the last one left them
    for (int i = 1; i <= 6; i++) {
      Integer redeem = i >= 4 ? 10 : null; // past two receipts before the first redemption, then more of both
      ok(gw.purchase(shop.tillA(), "often-" + i, TestGateway.purchase(a, "R-" + i, 100_000, redeem)));
      gw.awaitDrained();
      JsonObject day = only(shop.get("/analytics?from=" + today + "&to=" + today).getJsonArray("groups"));
      assertThat(day.getLong("receipts")).isEqualTo(i);
      assertThat(day.getLong("members_active")).isEqualTo(1);
      assertThat(day.getLong("repeat_members")).isEqualTo(i >= 2 ? 1 : 0);
      assertThat(day.getLong("members_redeeming")).as("after receipt %d", i).isEqualTo(i >= 4 ? 1 : 0);
    }
    JsonObject store = only(shop.get("/analytics?group_by=store").getJsonArray("groups"));
    assertThat(store.getLong("members_active")).isEqualTo(1);
    assertThat(store.getLong("repeat_members")).isEqualTo(1);
    assertThat(store.getLong("members_redeeming")).isEqualTo(1);
  }

  /** A receipt as the member figures see it. */
  record Visit(String member, LocalDate day, String store, boolean redeemed) {
  }

  @Test
  void offlineReceiptsCountTheirMembersInTheirOwnPeriodsOnce() {
    Shop shop = Shop.open(new JsonObject());
    Instant now = gw.clock.instant();
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    String a = gw.member(shop.tillA());
    String b = gw.member(shop.tillA());
    List<Visit> visits = new java.util.ArrayList<>();
    ok(gw.purchase(shop.tillA(), "on-1", TestGateway.purchase(a, "R-1", 100_000, null)));
    visits.add(new Visit(a, today, "store-a", false));
    // then the other store's till comes back online with receipts of the last days, the later ones first
    JsonArray items = new JsonArray();
    Object[][] offline = {{a, 2, 10}, {a, 3, null}, {b, 3, null}, {a, 3, null}, {a, 2, null}};
    for (int i = 0; i < offline.length; i++) {
      String member = (String) offline[i][0];
      int daysBack = (Integer) offline[i][1];
      Integer redeem = (Integer) offline[i][2];
      items.add(BatchTest.item("off-" + i, "purchase", now.minus(Duration.ofDays(daysBack)),
          TestGateway.purchase(member, "B-" + i, 100_000, redeem)));
      visits.add(new Visit(member, today.minusDays(daysBack), "store-b", redeem != null));
    }
    Response batch = gw.call("POST", "/v1/batches", shop.tillB(), null, new JsonObject().put("items", items).encode());
    assertThat(batch.status()).as(batch.raw().body()).isEqualTo(200);
    assertThat(batch.json().getJsonArray("results").stream().map(r -> ((JsonObject) r).getInteger("status")))
        .containsOnly(201);
    ok(gw.purchase(shop.tillA(), "on-2", TestGateway.purchase(a, "R-2", 100_000, null)));
    visits.add(new Visit(a, today, "store-a", false));
    gw.awaitDrained();

    String range = "&from=" + today.minusDays(3) + "&to=" + today;
    Map<String, java.util.function.Function<Visit, Object>> groupings = Map.of(
        "day", v -> v.day(),
        "week", v -> v.day().with(java.time.temporal.TemporalAdjusters.previousOrSame(java.time.DayOfWeek.MONDAY)),
        "month", v -> v.day().withDayOfMonth(1),
        "store", v -> List.of(v.store(), v.day().withDayOfMonth(1)));
    groupings.forEach((groupBy, period) -> {
      JsonArray groups = shop.get("/analytics?group_by=" + groupBy + range).getJsonArray("groups");
      assertThat(groups.stream().mapToLong(g -> ((JsonObject) g).getLong("receipts")).sum()).as(groupBy)
          .isEqualTo(visits.size());
      for (Object g : groups) {
        JsonObject group = (JsonObject) g;
        LocalDate from = LocalDate.parse(group.getString("from"));
        Object key = groupBy.equals("store") ? List.of(group.getString("store_id"), from) : from;
        List<Visit> in = visits.stream().filter(v -> period.apply(v).equals(key)).toList();
        Map<String, List<Visit>> byMember = in.stream().collect(java.util.stream.Collectors.groupingBy(Visit::member));
        String where = groupBy + " " + key;
        assertThat(group.getLong("receipts")).as(where).isEqualTo(in.size());
        assertThat(group.getLong("members_active")).as(where).isEqualTo(byMember.size());
        assertThat(group.getLong("repeat_members")).as(where)
            .isEqualTo(byMember.values().stream().filter(v -> v.size() >= 2).count());
        assertThat(group.getLong("members_redeeming")).as(where)
            .isEqualTo(byMember.values().stream().filter(v -> v.stream().anyMatch(Visit::redeemed)).count());
      }
    });
  }

  @Test
  void aBatchWrittenTwiceIsCountedOnce() {
    Shop shop = Shop.open(new JsonObject());
    String member = gw.member(shop.tillA());
    MemberState state = gw.state(member);
    Decision bought = Rules.decide(state, new Command.Buy(UUID.randomUUID(), UUID.randomUUID(), "s9", "R-9", 300_000,
        300_000, List.of(), 0, gw.clock.millis(), false),
        Program.parse(shop.program(), new JsonObject().put("currency", "RUB")), gw.clock.millis());
    byte[] event = Event.encode(state, bought, StateCodec.encode(bought.state()), null, null, null);
    for (int i = 0; i < 2; i++) { // as a gateway that died before acknowledging would leave it
      gw.binaryRedis().xadd(Keys.stream(UUID.fromString(member)), Map.of("e", event));
      gw.awaitDrained();
    }
    JsonObject day = shop.get("/analytics").getJsonArray("groups").stream().map(g -> (JsonObject) g)
        .filter(g -> g.getLong("receipts") > 0).findFirst().orElseThrow();
    assertThat(day.getLong("receipts")).isEqualTo(1);
    assertThat(day.getLong("revenue_minor")).isEqualTo(300_000);
    assertThat(day.getLong("members_active")).isEqualTo(1);
    assertThat(shop.get("/liability").getLong("available_points")).isEqualTo(150);
  }

  @Test
  void tillsAreListedWithTheirLastRequest() {
    Shop shop = Shop.open(new JsonObject());
    Instant before = gw.clock.instant().truncatedTo(ChronoUnit.MILLIS);
    gw.member(shop.tillA());
    JsonArray tills = shop.get("/tills").getJsonArray("tills");
    assertThat(tills.stream().map(t -> ((JsonObject) t).getString("store_id") + "/" + ((JsonObject) t)
        .getString("till_id")).toList()).containsExactly("store-a/t1", "store-b/t2");
    assertThat(Instant.parse(tills.getJsonObject(0).getString("last_seen_at"))).isAfterOrEqualTo(before);
    assertThat(tills.getJsonObject(1).getString("last_seen_at")).as("t2 made no request").isNull();
    JsonObject page = shop.get("/tills?limit=1");
    assertThat(page.getJsonArray("tills")).hasSize(1);
    assertThat(shop.get("/tills?limit=1&cursor=" + enc(page.getString("next_cursor"))).getJsonArray("tills")
        .getJsonObject(0).getString("store_id")).isEqualTo("store-b");
    assertThat(gw.call("GET", "/v1/admin/programs", ADMIN, null, null).json().getJsonArray("programs").stream()
        .map(p -> ((JsonObject) p).getString("program_id"))).contains(shop.program());
  }

  @Test
  void badRangesAndParametersAreClearErrors() {
    Shop shop = Shop.open(new JsonObject());
    String base = "/v1/admin/programs/" + shop.program();
    Map<String, String> codes = Map.of(
        "/analytics?from=2026-02-01&to=2026-01-01", "invalid_range",
        "/analytics?from=2020-01-01&to=2026-01-01", "invalid_range",
        "/analytics?group_by=store&from=2025-01-01&to=2026-06-01", "invalid_range",
        "/analytics?group_by=year", "invalid_field",
        "/analytics?from=yesterday", "invalid_field",
        "/analytics?colour=red", "invalid_field",
        "/usage?month=2026-13", "invalid_field",
        "/liability?inactive_after_days=0", "invalid_field",
        "/members?phone=%2B7912&card=1234", "invalid_field",
        "/members/" + UUID.randomUUID() + "/ledger", "member_not_found");
    codes.forEach((path, code) -> {
      Response r = gw.call("GET", base + path, ADMIN, null, null);
      assertThat(r.json().getString("code")).as(path + ": " + r.raw().body()).isEqualTo(code);
      assertThat(r.header("content-type")).isEqualTo("application/problem+json");
    });
    assertThat(gw.call("GET", base + "/liability", shop.tillA(), null, null).status()).as("a till key").isEqualTo(401);
    assertThat(gw.call("GET", "/v1/admin/programs/nope/liability", ADMIN, null, null).json().getString("code"))
        .isEqualTo("program_not_found");
  }

  @Test
  void csvAndGaugesHoldTheSameFiguresAsJson() {
    Shop shop = Shop.open(new JsonObject());
    String member = gw.member(shop.tillA());
    ok(gw.purchase(shop.tillA(), "p", TestGateway.purchase(member, "R-1", 123_400, null)));
    gw.awaitDrained();
    Response csv = gw.call("GET", "/v1/admin/programs/" + shop.program() + "/liability.csv", ADMIN, null, null);
    assertThat(csv.header("content-type")).startsWith("text/csv");
    List<String> lines = csv.raw().body().lines().toList();
    assertThat(lines).hasSize(2);
    assertThat(lines.get(0)).startsWith("program_id,as_of,currency,available_points,pending_points,held_points,"
        + "value_minor,expiring_d7,expiring_d30,expiring_d90,");
    assertThat(lines.get(1)).startsWith(shop.program() + ",").contains(",RUB,61,0,0,6100,");
    // the SREs' gauges come from the same rollup
    assertThat(gw.metric("loyalty_program_points{program=\"" + shop.program() + "\",state=\"available\"}"))
        .isEqualTo(61);
    assertThat(gw.metric("loyalty_program_liability_minor{currency=\"RUB\",program=\"" + shop.program() + "\"}"))
        .isEqualTo(6100);
    List<String> days = gw.call("GET", "/v1/admin/programs/" + shop.program() + "/analytics.csv?group_by=week",
        ADMIN, null, null).raw().body().lines().toList();
    assertThat(days).hasSize(13); // a header and twelve weeks
    assertThat(days.get(0)).startsWith("from,to,receipts,revenue_minor,average_receipt_minor,");
    assertThat(days.get(12)).contains(",1,123400,123400,");
  }

  /** available, pending, held and expiring points in the liability equal the members' balances and lots. */
  static void assertBalancesAreTheMembers(Shop shop, List<String> members, JsonObject liability, LocalDate today) {
    long available = 0;
    long pending = 0;
    long held = 0;
    long[] expiring = new long[3];
    for (String m : members) {
      JsonObject view = shop.get("/members?phone=" + enc(phone(shop, m)));
      JsonObject balance = view.getJsonObject("balance");
      available += balance.getLong("available");
      pending += balance.getLong("pending");
      held += balance.getLong("held");
      for (Object o : view.getJsonArray("lots")) {
        JsonObject lot = (JsonObject) o;
        if (lot.getString("state").equals("available") && lot.getString("expires_at") != null) {
          long days = ChronoUnit.DAYS.between(today, LocalDate.ofInstant(Instant.parse(lot.getString("expires_at")),
              ZoneOffset.UTC));
          for (int i = 0; i < 3; i++) {
            expiring[i] += days >= 0 && days < new int[] {7, 30, 90}[i] ? lot.getLong("remaining") : 0;
          }
        }
      }
    }
    assertThat(liability.getLong("available_points")).isEqualTo(available);
    assertThat(liability.getLong("pending_points")).isEqualTo(pending);
    assertThat(liability.getLong("held_points")).isEqualTo(held);
    assertThat(liability.getJsonObject("expiring")).isEqualTo(new JsonObject().put("d7", expiring[0])
        .put("d30", expiring[1]).put("d90", expiring[2]));
  }

  static JsonObject balance(Shop shop, String member) {
    return shop.get("/members?phone=" + enc(phone(shop, member))).getJsonObject("balance");
  }

  static String phone(Shop shop, String member) {
    return gw.memberView(shop.tillA(), member).getString("phone");
  }

  static JsonObject only(JsonArray groups) {
    assertThat(groups).hasSize(1);
    return groups.getJsonObject(0);
  }

  static String enc(String s) {
    return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
  }
}
