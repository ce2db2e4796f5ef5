package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.loyalty.gateway.store.Keys;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import redis.embedded.RedisServer;

/**
 * A commit hands its write-behind entry to the worker in memory, so the worker need not read it back from Redis; when
 * the worker is behind, or a commit's outcome was not known, the stream is read instead. These gateways sweep the
 * streams only when they start (the claim threshold is an hour): every entry written here reaches PostgreSQL by the
 * hand-over or by a read of its shard, or not at all. They have a Redis of their own, so Redis's count of stream
 * reads is theirs.
 */
class HandoffTest {
  static final String MISSED = "loyalty_writebehind_handoff_missed_total";
  static final String REWRITTEN = "loyalty_writebehind_rewritten_total";
  static RedisServer redis;
  static Map<String, String> NO_SWEEP;

  @BeforeAll
  static void startRedis() throws IOException {
    int port = EmbeddedStores.freePort();
    redis = RedisServer.newRedisServer().port(port).bind("127.0.0.1").setting("save \"\"").build();
    redis.start();
    NO_SWEEP = Map.of("REDIS_URL", "redis://127.0.0.1:" + port, "WRITE_BEHIND_CLAIM_IDLE_MS", "3600000");
  }

  @BeforeEach
  void countFromZero() {
    RedisClient client = RedisClient.create(NO_SWEEP.get("REDIS_URL"));
    try (var connection = client.connect()) {
      connection.sync().configResetstat();
    } finally {
      client.shutdown();
    }
  }

  @AfterAll
  static void stopRedis() throws IOException {
    redis.stop();
  }

  @Test
  void entriesHandedOverAreWrittenWithoutReadingThemBack() {
    try (TestGateway gw = TestGateway.start(NO_SWEEP)) {
      Map<String, String> tillByMember = members(gw, 5);
      gw.awaitDrained();
      long readsBefore = readsAfterTheStartSweep(gw);
      int n = 0;
      for (String member : tillByMember.keySet()) {
        for (int i = 0; i < 4; i++, n++) {
          assertThat(gw.purchase(tillByMember.get(member), "handed-" + n,
              TestGateway.purchase(member, "R-" + n, 20_000, i % 2 == 1 ? "max" : null)).status()).isEqualTo(201);
        }
      }
      gw.awaitDrained();
      assertThat(calls(gw, "xreadgroup") - readsBefore).as("XREADGROUP calls").isZero();
      assertThat(gw.metric(MISSED)).isZero();
      gw.assertPostgresExplainsEveryBalance(tillByMember);
    }
  }

  @Test
  void whileTheWorkerIsBehindBeyondWhatIsHeldTheStreamsAreReadAndNothingIsLost() throws Exception {
    Map<String, String> env = new HashMap<>(NO_SWEEP);
    env.put("WRITE_BEHIND_BATCH_SIZE", "2"); // eight batches held: 16 entries
    try (TestGateway gw = TestGateway.start(env)) {
      Map<String, String> tillByMember = members(gw, 20);
      gw.awaitDrained();
      long readsBefore = readsAfterTheStartSweep(gw);
      List<String> members = new ArrayList<>(tillByMember.keySet());
      try (Connection lock = gw.sql()) {
        lock.setAutoCommit(false);
        // the worker's first batch waits for this lock; the tills go on (the hand-over holds 8 batches of 2)
        lock.createStatement().execute("LOCK TABLE ledger IN EXCLUSIVE MODE");
        List<CompletableFuture<Response>> calls = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
          String member = members.get(i % members.size());
          calls.add(gw.send("POST", "/v1/purchases", tillByMember.get(member), "behind-" + i,
              TestGateway.purchase(member, "R-" + i, 30_000, i % 3 == 0 ? "max" : null).encode()));
        }
        assertThat(calls.stream().map(CompletableFuture::join)).allSatisfy(r -> assertThat(r.status()).isEqualTo(201));
        assertThat(gw.streamEntries()).as("nothing written while PostgreSQL is locked").isGreaterThanOrEqualTo(100);
        lock.rollback();
      }
      gw.awaitDrained();
      assertThat(calls(gw, "xreadgroup") - readsBefore).as("XREADGROUP calls").isPositive();
      // all but those held (16) and those in the batch the lock stopped (16 at most)
      assertThat(gw.metric(MISSED)).as("commits not handed over").isGreaterThanOrEqualTo(100 - 2 * 16);
      gw.assertPostgresExplainsEveryBalance(tillByMember);
    }
  }

  @Test
  void entriesHeldWhileTheirStreamsWereReadAreNotWrittenTwice() throws Exception {
    Map<String, String> env = new HashMap<>(NO_SWEEP);
    env.put("WRITE_BEHIND_BATCH_SIZE", "2");
    env.put("WRITE_BEHIND_CLAIM_IDLE_MS", "300"); // every poll also reads every stream
    try (TestGateway gw = TestGateway.start(env)) {
      String till = gw.till(gw.program(new JsonObject()));
      String a = gw.member(till);
      String b = gw.member(till);
      while (Keys.shard(UUID.fromString(b)) == Keys.shard(UUID.fromString(a))) {
        b = gw.member(till);
      }
      gw.awaitDrained();
      try (Connection sql = gw.sql()) {
        // every batch fails, for a reason not its entries' own, and is kept
        sql.createStatement().execute("ALTER TABLE ledger RENAME TO ledger_away");
        for (int i = 0; i < 3; i++) {
          assertThat(gw.purchase(till, "a-" + i, TestGateway.purchase(a, "R-a" + i, 30_000, null)).status())
              .isEqualTo(201);
          TestGateway.sleep(600);
        }
        TestGateway.sleep(1_200);
        // the failed batch holds a batch's worth (a's three): b's entries are handed over and held, not taken; the
        // polls that retry the batch read b's stream, and add them to it
        for (int i = 0; i < 2; i++) {
          assertThat(gw.purchase(till, "b-" + i, TestGateway.purchase(b, "R-b" + i, 30_000, null)).status())
              .isEqualTo(201);
        }
        TestGateway.sleep(2_500);
        assertThat(gw.metric("loyalty_writebehind_failures_total")).isGreaterThanOrEqualTo(3);
        sql.createStatement().execute("ALTER TABLE ledger_away RENAME TO ledger");
      }
      gw.awaitDrained();
      // b's held entries were copies of what the reads took: dropped, not written a second time
      assertThat(gw.call("GET", "/metrics", null, null, null).raw().body()).contains(REWRITTEN + " ");
      assertThat(gw.metric(REWRITTEN)).as("batches written twice").isZero();
      gw.assertPostgresExplainsEveryBalance(Map.of(a, till, b, till));
    }
  }

  @Test
  void aCommitWhoseAnswerWasLostIsWrittenOnceItsRetryIsAnsweredAsAReplay() throws Exception {
    try (TestGateway gw = TestGateway.start(NO_SWEEP)) {
      String program = gw.program(new JsonObject());
      String till = gw.till(program);
      String member = gw.member(till);
      String other = gw.member(till);
      String body = TestGateway.purchase(member, "R-1", 10_000, null).encode();
      assertThat(gw.call("POST", "/v1/purchases", till, "lost", body).status()).isEqualTo(201);
      gw.awaitDrained();
      // The stream holds an entry this gateway was never handed, as when a commit ran but its answer was lost
      // (a timeout): here, an adjustment of another member, in the shard of the member whose request is retried.
      gw.binaryRedis().xadd(Keys.stream(UUID.fromString(member)), Map.of("e",
          WriteBehindTest.adjustment(UUID.fromString(other), program, 7, "commit whose answer was lost", 0)));
      Response retry = gw.call("POST", "/v1/purchases", till, "lost", body);
      assertThat(retry.header("idempotent-replayed")).isEqualTo("true");
      assertThat(gw.metric(MISSED)).isEqualTo(1);
      gw.awaitDrained();
      try (Connection sql = gw.sql()) {
        assertThat(WriteBehindTest.ledgerSums(sql, other)).containsExactly(7, 0, 0);
      }
    }
  }

  @Test
  void aStoppingGatewayWritesWhatItWasHandedBeforeItStops() throws Exception {
    Map<String, String> env = new HashMap<>(NO_SWEEP);
    env.put("WRITE_BEHIND_POLL_MS", "10000"); // after its first poll at start, the worker waits 10 s
    try (TestGateway gw = TestGateway.start(env)) {
      Map<String, String> tillByMember = members(gw, 3);
      int n = 0;
      for (String member : tillByMember.keySet()) {
        for (int i = 0; i < 2; i++, n++) {
          gw.purchase(tillByMember.get(member), "stop-" + n, TestGateway.purchase(member, "R-" + n, 40_000, null));
        }
      }
      gw.restart(() -> assertThat(gw.streamEntries()).as("entries left in Redis by the stopped gateway").isZero());
      gw.assertPostgresExplainsEveryBalance(tillByMember);
    }
  }

  /** {@code count} members of a new program, each with its till. */
  static Map<String, String> members(TestGateway gw, int count) {
    String till = gw.till(gw.program(new JsonObject().put("max_redeem_share_bp", 10_000)));
    Map<String, String> tillByMember = new HashMap<>();
    for (int i = 0; i < count; i++) {
      tillByMember.put(gw.member(till), till);
    }
    return tillByMember;
  }

  /**
   * XREADGROUP calls Redis has served, once it has served the gateway's sweep at start (it reads every stream, with
   * XREADGROUP then XRANGE: once Redis served the XRANGEs, it served the XREADGROUPs). Counts start with each test.
   */
  static long readsAfterTheStartSweep(TestGateway gw) {
    for (int i = 0; calls(gw, "xrange") < Keys.SHARDS; i++) {
      assertThat(i).as("the gateway's sweep at start").isLessThan(500);
      TestGateway.sleep(10);
    }
    return calls(gw, "xreadgroup");
  }

  /** Calls of {@code command} Redis has served. */
  static long calls(TestGateway gw, String command) {
    Matcher calls = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(gw.redis().info("commandstats"));
    return calls.find() ? Long.parseLong(calls.group(1)) : 0;
  }
}
