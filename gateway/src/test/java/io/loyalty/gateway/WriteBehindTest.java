package io.loyalty.gateway;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.Consumer;
import io.lettuce.core.XReadArgs;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.writebehind.Event;
import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.writebehind.DeadLetters;
import io.loyalty.gateway.writebehind.WriteBehind;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** PostgreSQL, the system of record, ends up explaining every balance, and Redis can be rebuilt from it. */
class WriteBehindTest extends GatewayTest {

  @Test
  void afterABurstPostgresAgreesWithTheApiAndAWipedRedisIsRebuiltFromIt() throws Exception {
    String till = gw.till(gw.program(new JsonObject().put("expiry_days", 365).put("pending_days", 0)
        .put("tiers", new JsonArray()
            .add(new JsonObject().put("name", "Base").put("min_spend_minor", 0).put("accrual_rate_bp", 300))
            .add(new JsonObject().put("name", "Gold").put("min_spend_minor", 2_000_000).put("accrual_rate_bp", 800)))));
    List<String> members = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      members.add(gw.member(till));
    }
    Random random = new Random(42);
    Map<String, JsonObject> firstAnswers = new HashMap<>();
    Map<String, String> bodies = new HashMap<>();
    for (int wave = 0; wave < 8; wave++) {
      List<CompletableFuture<Response>> calls = new ArrayList<>();
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        String member = members.get(random.nextInt(members.size()));
        Object redeem = random.nextInt(3) == 0 ? "max" : null;
        String key = "burst-" + wave + "-" + i;
        keys.add(key);
        bodies.put(key, TestGateway.purchase(member, "R-" + key, 1_000 + random.nextInt(200_000), redeem).encode());
        calls.add(gw.send("POST", "/v1/purchases", till, key, bodies.get(key)));
      }
      for (int i = 0; i < calls.size(); i++) {
        Response response = calls.get(i).join();
        assertThat(response.status()).as(response.raw().body()).isEqualTo(201);
        firstAnswers.put(keys.get(i), response.json());
      }
    }
    gw.awaitDrained();

    Map<String, JsonObject> before = new HashMap<>();
    try (Connection sql = gw.sql()) {
      for (String member : members) {
        JsonObject view = gw.memberView(till, member);
        before.put(member, view);
        JsonObject balance = view.getJsonObject("balance");
        long[] ledger = ledgerSums(sql, member);
        long[] snapshot = balanceRow(sql, member);
        assertThat(ledger).as("ledger sums of " + member).containsExactly(
            balance.getLong("available"), balance.getLong("pending"), balance.getLong("held"));
        assertThat(snapshot).as("balance snapshot of " + member).containsExactly(
            balance.getLong("available"), balance.getLong("pending"), balance.getLong("held"),
            view.getLong("lifetime_spend_minor"));
        assertThat(lotRemaining(sql, member)).isEqualTo(balance.getLong("available") + balance.getLong("pending"));
      }
    }
    assertThat(before.values().stream().filter(v -> "Gold".equals(v.getJsonObject("tier").getString("name"))))
        .as("the burst should lift some members into Gold").isNotEmpty();

    gw.restart(() -> gw.redis().flushall());

    for (String member : members) {
      assertThat(gw.memberView(till, member)).isEqualTo(before.get(member));
    }
    // idempotency records come back with the member: a retry after the wipe is still a replay
    for (String key : List.of("burst-0-0", "burst-3-7", "burst-7-49")) {
      Response retry = gw.call("POST", "/v1/purchases", till, key, bodies.get(key));
      assertThat(retry.header("idempotent-replayed")).isEqualTo("true");
      assertThat(retry.json()).isEqualTo(firstAnswers.get(key));
    }
    // and new writes continue the member's sequence, so PostgreSQL still explains every balance
    for (String member : members) {
      assertThat(gw.purchase(till, "after-" + member, TestGateway.purchase(member, "A", 50_000, "max")).status())
          .isEqualTo(201);
    }
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      for (String member : members) {
        JsonObject balance = gw.memberView(till, member).getJsonObject("balance");
        assertThat(ledgerSums(sql, member)).containsExactly(
            balance.getLong("available"), balance.getLong("pending"), balance.getLong("held"));
      }
    }
  }

  @Test
  void aMemberFirstTouchedByManyRequestsAtOnceIsLoadedOnceAndLosesNothing() {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    gw.purchase(till, "before", TestGateway.purchase(member, "R-0", 100_000, null));
    gw.awaitDrained();
    gw.restart(() -> gw.redis().flushall());

    List<CompletableFuture<Response>> calls = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      calls.add(gw.send("POST", "/v1/purchases", till, "cold-" + i,
          TestGateway.purchase(member, "R-" + i, 10_000, null).encode()));
    }
    assertThat(calls.stream().map(CompletableFuture::join)).allSatisfy(r -> assertThat(r.status()).isEqualTo(201));
    assertThat(gw.memberView(till, member).getJsonObject("balance").getLong("available")).isEqualTo(50 + 40 * 5);
  }

  @Test
  void entriesADeadGatewayReadButNeverWroteAreFoundAndWritten() throws Exception {
    String program = gw.program(new JsonObject());
    String till = gw.till(program);
    String member = gw.member(till);
    long now = gw.clock.millis();
    // A gateway read this event from the stream and died before writing it to PostgreSQL.
    gw.restart(() -> {
      String stream = Keys.stream(java.util.UUID.fromString(member));
      gw.binaryRedis().xadd(stream, Map.of("e",
          adjustment(java.util.UUID.fromString(member), program, 7, "left behind by a dead gateway", now)));
      // read as gateways read: without acknowledgement, so no gateway will be handed it again
      assertThat(gw.redis().xreadgroup(Consumer.from(WriteBehind.GROUP, "dead-gateway"),
          XReadArgs.Builder.noack(true), XReadArgs.StreamOffset.lastConsumed(stream))).hasSize(1);
    });
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(ledgerSums(sql, member)).containsExactly(7, 0, 0);
      assertThat(balanceRow(sql, member)).containsExactly(7, 0, 0, 0);
    }
  }

  @Test
  void anEntryWrittenTwiceCountsOnceAndIsNoDeadLetter() throws Exception {
    String program = gw.program(new JsonObject());
    String member = gw.member(gw.till(program));
    gw.awaitDrained();
    java.util.UUID id = java.util.UUID.fromString(member);
    byte[] event = adjustment(id, program, 7, "written twice", gw.clock.millis());
    long lettersBefore = deadLettersInRedis();
    // the same change twice in one batch (as a dead gateway's entry and its own rewrite would be), then once more
    // in a later batch (as an entry written but not deleted before its gateway died)
    gw.restart(() -> {
      gw.binaryRedis().xadd(Keys.stream(id), Map.of("e", event));
      gw.binaryRedis().xadd(Keys.stream(id), Map.of("e", event));
    });
    gw.awaitDrained();
    gw.binaryRedis().xadd(Keys.stream(id), Map.of("e", event));
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(ledgerSums(sql, member)).containsExactly(7, 0, 0);
      assertThat(balanceRow(sql, member)).containsExactly(7, 0, 0, 0);
      try (PreparedStatement st = sql.prepareStatement(
          "SELECT sum(available), sum(members_with_points) FROM program_balances WHERE program_id = ?")) {
        st.setString(1, program);
        ResultSet rs = st.executeQuery();
        rs.next();
        assertThat(new long[] {rs.getLong(1), rs.getLong(2)}).as("the managers' figures count it once")
            .containsExactly(7, 1);
      }
    }
    assertThat(deadLettersInRedis()).isEqualTo(lettersBefore);
  }

  @Test
  void anEntryAGatewayReadAndDiedWithIsWrittenByTheLiveOne() throws Exception {
    String program = gw.program(new JsonObject());
    String member = gw.member(gw.till(program));
    gw.awaitDrained(); // its enrolment is written: the entry below is the stream's only one
    // While this gateway runs, another one is handed an entry the moment it is added (one script, so this one cannot
    // read it first), and dies: only the sweep of entries older than the claim threshold can find it.
    String stream = Keys.stream(java.util.UUID.fromString(member));
    List<Object> handed = gw.binaryRedis().eval("redis.call('XADD', KEYS[1], '*', 'e', ARGV[1]) "
        + "return redis.call('XREADGROUP', 'GROUP', ARGV[2], 'dead-gateway', 'NOACK', 'STREAMS', KEYS[1], '>')",
        io.lettuce.core.ScriptOutputType.MULTI, new String[] {stream},
        adjustment(java.util.UUID.fromString(member), program, 7, "read by a gateway that died", gw.clock.millis()),
        WriteBehind.GROUP.getBytes(UTF_8));
    assertThat(handed).hasSize(1);
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(ledgerSums(sql, member)).containsExactly(7, 0, 0);
    }
  }

  @Test
  void anEntryThatCannotBeWrittenIsSetAsideAndDoesNotBlockTheOthers() throws Exception {
    String till = gw.till(gw.program(new JsonObject()));
    String member = gw.member(till);
    gw.awaitDrained();
    long lettersBefore = gw.redis().xlen(Keys.deadLetters(Keys.shard(java.util.UUID.fromString(member))));
    double countedBefore = deadLettersCounted();
    // Three entries that can never be written, in the shard of real purchases sent right behind them.
    gw.restart(() -> {
      String stream = Keys.stream(java.util.UUID.fromString(member));
      gw.redis().xadd(stream, Map.of("e", "{not an event"));
      gw.redis().xadd(stream, Map.of("not-e", "no event at all"));
      gw.binaryRedis().xadd(stream, Map.of("e",
          adjustment(java.util.UUID.randomUUID(), "nowhere", 1, "member that does not exist", 0)));
    });
    TestGateway.sleep(1500); // the worker meets the bad entries alone first, and fails
    buyAndAwaitLedger(till, member, "after-poison-", 5, 250);
    assertThat(gw.redis().xlen(Keys.deadLetters(Keys.shard(java.util.UUID.fromString(member)))) - lettersBefore)
        .isEqualTo(3);
    assertThat(deadLettersCounted() - countedBefore).isEqualTo(3);
  }

  @Test
  void aBatchOfThousandsThatCannotBeWrittenIsSetAsideWholeAndTheWorkerGoesOnAndStops() throws Exception {
    String program = gw.program(new JsonObject());
    String till = gw.till(program);
    String member = gw.member(till);
    gw.awaitDrained();
    long lettersBefore = deadLettersInRedis();
    double countedBefore = deadLettersCounted();
    // The first sweep after the restart reads all of these into one batch, which fails, so each entry is tried
    // alone, in shard order: first one PostgreSQL refuses (an adjustment of a member it does not know: its try
    // completes later, on PostgreSQL's answer), then thousands that fail at once (none decodes), every one of them
    // tried when the one before it is done.
    java.util.UUID orphan = java.util.UUID.randomUUID();
    orphan = new java.util.UUID(orphan.getMostSignificantBits(), orphan.getLeastSignificantBits() & -Keys.SHARDS);
    byte[] refused = adjustment(orphan, program, 7, "no such member", 0);
    int poison = 20_000;
    gw.restart(() -> {
      gw.binaryRedis().xadd(Keys.stream(0), Map.of("e", refused));
      for (int i = 0; i < poison; i++) {
        gw.redis().xadd(Keys.stream(i % Keys.SHARDS), Map.of("e", "{not an event " + i));
      }
    });
    buyAndAwaitLedger(till, member, "after-poison-batch-", 3, 150);
    assertThat(deadLetterFor(orphan)).isNotNull();
    assertThat(deadLettersInRedis() - lettersBefore).isEqualTo(poison + 1);
    assertThat(deadLettersCounted() - countedBefore).isEqualTo(poison + 1);
    // and the worker is idle, not stuck in a batch: a stop completes (the one after the test too)
    gw.restart(() -> { });
    buyAndAwaitLedger(till, member, "after-restart-", 1, 200);
  }

  @Test
  void anEntryFailingForAReasonNotItsOwnIsSetAsideOnceItMeetsEntriesThatCanBeWritten() throws Exception {
    String program = gw.program(new JsonObject());
    String till = gw.till(program);
    String member = gw.member(till);
    gw.awaitDrained();
    double countedBefore = deadLettersCounted();
    java.util.UUID refused = java.util.UUID.randomUUID();
    try (Connection sql = gw.sql(); var st = sql.createStatement()) {
      // PostgreSQL refuses this one entry with an error of no data or integrity class (P0001): alone, it is retried
      st.execute("CREATE FUNCTION refuse_one() RETURNS trigger AS $$ BEGIN IF NEW.member_id = '" + refused
          + "' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql");
      st.execute("CREATE TRIGGER refuse_one BEFORE INSERT ON ledger FOR EACH ROW EXECUTE FUNCTION refuse_one()");
    }
    try {
      gw.binaryRedis().xadd(Keys.stream(refused), Map.of("e", adjustment(refused, program, 7, "refused", 0)));
      TestGateway.sleep(1500); // the worker meets it alone, fails, and keeps it for the next batch
      buyAndAwaitLedger(till, member, "after-refused-", 3, 150);
      assertThat(deadLetterFor(refused)).isNotNull();
      assertThat(deadLettersCounted() - countedBefore).isEqualTo(1);
    } finally {
      try (Connection sql = gw.sql(); var st = sql.createStatement()) {
        st.execute("DROP TRIGGER refuse_one ON ledger");
        st.execute("DROP FUNCTION refuse_one()");
      }
    }
  }

  @Test
  void deadLettersAreReplayedOnceTheCauseIsFixed() throws Exception {
    String program = gw.program(new JsonObject());
    String till = gw.till(program);
    String member = gw.member(till);
    gw.awaitDrained();
    // an adjustment for a member PostgreSQL does not know (yet), next to real purchases
    java.util.UUID orphan = java.util.UUID.randomUUID();
    gw.restart(() -> gw.binaryRedis().xadd(Keys.stream(orphan), Map.of("e",
        adjustment(orphan, program, 7, "migrated from the old system", 0))));
    for (int i = 0; deadLetterFor(orphan) == null; i++) {
      assertThat(i).as("the entry was not set aside").isLessThan(100);
      gw.purchase(till, "beside-poison-" + i, TestGateway.purchase(member, "R-" + i, 10_000, null));
      TestGateway.sleep(100);
    }
    ByteArrayOutputStream listed = new ByteArrayOutputStream();
    assertThat(DeadLetters.run(gw.config().redisUrl(), false, new PrintStream(listed, true, UTF_8))).isPositive();
    // each letter is listed with its own error (the line above its body): the foreign key it violates
    List<String> lines = listed.toString(UTF_8).lines().toList();
    int body = lines.indexOf(lines.stream().filter(l -> l.contains(orphan.toString())).findFirst().orElseThrow());
    assertThat(lines.get(body - 1)).contains("foreign key");
    assertThat(deadLetterFor(orphan)).as("listing changes nothing").isNotNull();

    try (Connection sql = gw.sql(); PreparedStatement st = sql.prepareStatement("INSERT INTO members (id, program_id, "
        + "phone, consent_personal_data, consent_marketing) VALUES (?::uuid, ?, '+79990000001', true, false)")) {
      st.setString(1, orphan.toString());
      st.setString(2, program);
      st.executeUpdate(); // the cause, fixed
    }
    DeadLetters.run(gw.config().redisUrl(), true, new PrintStream(new ByteArrayOutputStream(), true, UTF_8));
    gw.purchase(till, "after-replay", TestGateway.purchase(member, "R-after", 10_000, null));
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(ledgerSums(sql, orphan.toString())).containsExactly(7, 0, 0);
      assertThat(balanceRow(sql, orphan.toString())[0]).isEqualTo(7);
    }
    assertThat(deadLetterFor(orphan)).isNull();
  }

  @Test
  void aLoneEntryThatCannotBeWrittenIsSetAsideCountedAsWaitingAndCanBeDropped() throws Exception {
    String program = gw.program(new JsonObject());
    gw.awaitDrained();
    // alone on its stream, nothing beside it: PostgreSQL refuses it for its own data (no such member)
    java.util.UUID orphan = java.util.UUID.randomUUID();
    gw.binaryRedis().xadd(Keys.stream(orphan), Map.of("e", adjustment(orphan, program, 7, "no such member", 0)));
    for (int i = 0; deadLetterFor(orphan) == null; i++) {
      assertThat(i).as("a lone poison entry was not set aside").isLessThan(100);
      TestGateway.sleep(100);
    }
    gw.awaitDrained(); // and the stream is clear: it is not retried
    long letters = deadLettersInRedis();
    assertThat(awaitWaitingGauge(letters)).as("the gauge shows every letter waiting").isEqualTo(letters);

    String letter = Keys.shard(orphan) + ":" + deadLetterFor(orphan);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertThat(DeadLetters.drop(gw.config().redisUrl(), gw.config().databaseUrl(), letter, "test: never existed",
        new PrintStream(out, true, UTF_8))).isTrue();
    assertThat(out.toString(UTF_8)).contains("dropped " + letter).contains(orphan.toString());
    assertThat(deadLetterFor(orphan)).isNull();
    assertThat(DeadLetters.drop(gw.config().redisUrl(), gw.config().databaseUrl(), letter, "again",
        new PrintStream(new ByteArrayOutputStream(), true, UTF_8))).as("already gone").isFalse();
    try (Connection sql = gw.sql(); PreparedStatement st = sql.prepareStatement(
        "SELECT summary, reason, error, length(body) FROM dropped_dead_letters WHERE shard = ? AND letter_id = ?")) {
      st.setInt(1, Keys.shard(orphan));
      st.setString(2, letter.substring(letter.indexOf(':') + 1));
      ResultSet row = st.executeQuery();
      assertThat(row.next()).as("a record of what was dropped").isTrue();
      assertThat(row.getString(1)).contains(orphan.toString());
      assertThat(row.getString(2)).isEqualTo("test: never existed");
      assertThat(row.getString(3)).contains("foreign key");
      assertThat(row.getInt(4)).isPositive();
      assertThat(ledgerSums(sql, orphan.toString())).containsExactly(0, 0, 0);
    }
    assertThat(deadLettersInRedis()).isEqualTo(letters - 1);
    assertThat(awaitWaitingGauge(letters - 1)).isEqualTo(letters - 1);
  }

  static long deadLettersInRedis() {
    long letters = 0;
    for (int shard = 0; shard < Keys.SHARDS; shard++) {
      letters += gw.redis().xlen(Keys.deadLetters(shard));
    }
    return letters;
  }

  /** The gauge once it shows {@code expected} (it is sampled every second), or what it shows after 3 s. */
  static long awaitWaitingGauge(long expected) {
    long waiting = -1;
    for (int i = 0; i < 30 && waiting != expected; i++) {
      TestGateway.sleep(100);
      waiting = (long) gw.metric("loyalty_writebehind_dead_letters_waiting");
    }
    return waiting;
  }

  static double deadLettersCounted() {
    return gw.metric("loyalty_writebehind_dead_letters_total");
  }

  /** The dead letter holding an entry about this member, or null. */
  static String deadLetterFor(java.util.UUID member) {
    return gw.binaryRedis().xrange(Keys.deadLetters(Keys.shard(member)), io.lettuce.core.Range.create("-", "+"))
        .stream().filter(m -> DeadLetters.describe(m.getBody().get("e")).contains(member.toString()))
        .map(m -> m.getId()).findFirst().orElse(null);
  }

  /** A write-behind event granting {@code points} to a member that had none, as a gateway would write it. */
  static byte[] adjustment(java.util.UUID member, String program, long points, String reason, long at) {
    Profile profile = new Profile("+79990000001", null, null, true, false, true, at);
    MemberState state = new MemberState(member, program, 1, points, 0, 0, 0, 0, List.of(),
        List.of(new Lot(1, points, points, at, Lot.NEVER)), List.of(), profile, List.of(), List.of());
    Entry entry = new Entry(1, "adjust", points, points, 0, 0, 1, reason, at, null, null, null);
    return Event.encode(MemberState.enrolled(member, program, profile),
        new Decision(state, List.of(entry), List.of(), null, null, null, 0), StateCodec.encode(state), null, null,
        null);
  }

  /**
   * {@code n} purchases of 1 000.00 (50 points each) under keys {@code keyPrefix + i}, then, once the write-behind
   * has drained, the member's ledger sums: {@code available} points available, none pending or held.
   */
  static void buyAndAwaitLedger(String till, String member, String keyPrefix, int n, long available) throws Exception {
    for (int i = 0; i < n; i++) {
      gw.purchase(till, keyPrefix + i, TestGateway.purchase(member, "R-" + keyPrefix + i, 100_000, null));
    }
    gw.awaitDrained();
    try (Connection sql = gw.sql()) {
      assertThat(ledgerSums(sql, member)).containsExactly(available, 0, 0);
    }
  }

  static long[] ledgerSums(Connection sql, String member) throws Exception {
    try (PreparedStatement st = sql.prepareStatement("SELECT coalesce(sum(available_delta), 0), "
        + "coalesce(sum(pending_delta), 0), coalesce(sum(held_delta), 0) FROM ledger WHERE member_id = ?::uuid")) {
      st.setString(1, member);
      ResultSet rs = st.executeQuery();
      rs.next();
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
    }
  }

  static long[] balanceRow(Connection sql, String member) throws Exception {
    try (PreparedStatement st = sql.prepareStatement("SELECT available, pending, held, lifetime_spend_minor "
        + "FROM member_balances WHERE member_id = ?::uuid")) {
      st.setString(1, member);
      ResultSet rs = st.executeQuery();
      assertThat(rs.next()).isTrue();
      return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getLong(4)};
    }
  }

  /** The points in the lots of the member's state as PostgreSQL keeps it. */
  static long lotRemaining(Connection sql, String member) throws Exception {
    try (PreparedStatement st = sql.prepareStatement("SELECT state FROM member_balances WHERE member_id = ?::uuid")) {
      st.setString(1, member);
      ResultSet rs = st.executeQuery();
      assertThat(rs.next()).isTrue();
      MemberState state = StateCodec.decode(rs.getBytes(1));
      return java.util.stream.Stream.concat(state.pendingLots().stream(), state.availableLots().stream())
          .mapToLong(Lot::remaining).sum();
    }
  }
}
