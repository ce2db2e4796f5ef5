package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.FaultyProxy;
import io.loyalty.gateway.support.FaultyProxy.Faults;
import io.loyalty.gateway.support.TestGateway;
import io.loyalty.gateway.support.TestGateway.Response;
import io.loyalty.gateway.support.TestStores;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The network to both stores made slow and unreliable by a fault-injecting proxy while tills keep buying: chunks
 * delayed, connections dropped and reset mid-command, on the Redis link and the PostgreSQL link at once, and once
 * the Redis link stalls for longer than the command timeout (the scripts still run when it moves again, after their
 * callers were told 503). No request hangs. A till retries whatever got no 2xx with its key. Nothing acknowledged
 * may be lost and nothing may happen twice.
 */
class FlakyNetworkTest {
  static final int MEMBERS = 8;
  static final int IN_FLIGHT = 16;
  static final long FAULTY_MILLIS = 6_000;
  static final long STALL_MILLIS = 2_500;

  @Test
  void dropsResetsAndLatencyLoseNothingAndDoubleNothing() throws Exception {
    var stores = TestStores.get();
    URI redisUri = URI.create(stores.redisUrl());
    URI databaseUri = URI.create(stores.databaseUrl());
    try (FaultyProxy redisLink = new FaultyProxy(redisUri.getHost(), redisUri.getPort());
        FaultyProxy databaseLink = new FaultyProxy(databaseUri.getHost(), databaseUri.getPort());
        TestGateway gw = TestGateway.start(Map.of(
            "REDIS_URL", "redis://127.0.0.1:" + redisLink.port(),
            "DATABASE_URL", stores.databaseUrl().replace(":" + databaseUri.getPort() + "/", ":" + databaseLink.port() + "/"),
            "REDIS_TIMEOUT_MS", "1000"))) {
      String program = gw.program(new JsonObject().put("max_redeem_share_bp", 10_000));
      String till = gw.till(program);
      List<String> members = new ArrayList<>();
      Map<String, String> tillByMember = new HashMap<>();
      for (int i = 0; i < MEMBERS; i++) {
        members.add(gw.member(till));
        tillByMember.put(members.get(i), till);
      }

      redisLink.faults(new Faults(3, 0.002, 0.002));
      databaseLink.faults(new Faults(3, 0.01, 0.01));
      Map<String, String> bodies = new ConcurrentHashMap<>();
      Map<String, JsonObject> acknowledged = new ConcurrentHashMap<>();
      Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
      AtomicLong slowestMillis = new AtomicLong();
      long until = System.currentTimeMillis() + FAULTY_MILLIS;
      boolean stalled = false;
      boolean reset = false;
      for (int sent = 0; System.currentTimeMillis() < until; ) {
        if (!reset && System.currentTimeMillis() > until - FAULTY_MILLIS * 3 / 4) {
          redisLink.resetConnections(); // at least one of each, whatever the dice say
          databaseLink.resetConnections();
          reset = true;
        }
        if (!stalled && System.currentTimeMillis() > until - FAULTY_MILLIS / 2) {
          redisLink.stall(STALL_MILLIS);
          stalled = true;
        }
        List<CompletableFuture<?>> inFlight = new ArrayList<>();
        for (int i = 0; i < IN_FLIGHT; i++, sent++) {
          long started = System.nanoTime();
          String key = "k-" + sent;
          String body = TestGateway.purchase(members.get(sent % MEMBERS), "R-" + key, 10_000,
              sent % 3 == 0 ? "max" : null).encode();
          bodies.put(key, body);
          inFlight.add(gw.send("POST", "/v1/purchases", till, key, body).thenAccept(r -> {
            statuses.merge(r.status(), 1, Integer::sum);
            slowestMillis.accumulateAndGet((System.nanoTime() - started) / 1_000_000, Math::max);
            if (r.status() == 201) {
              acknowledged.put(key, r.json());
            }
          }));
        }
        CompletableFuture.allOf(inFlight.toArray(CompletableFuture[]::new)).join();
      }
      redisLink.faults(Faults.NONE);
      databaseLink.faults(Faults.NONE);
      assertThat(redisLink.reset.get() + redisLink.dropped.get()).as("Redis connections broken").isPositive();
      assertThat(databaseLink.reset.get() + databaseLink.dropped.get()).as("PostgreSQL connections broken").isPositive();
      assertThat(redisLink.stalled.get()).as("chunks held by the stall").isPositive();
      assertThat(statuses.keySet()).as("answers under faults: " + statuses).isSubsetOf(201, 409, 503);
      // bounded by the 1 s command timeout, not by the stall or by TCP: nobody waits on a dead or stuck link
      assertThat(slowestMillis.get()).as("slowest answer in ms").isLessThan(STALL_MILLIS);

      int answered = acknowledged.size();
      for (String key : bodies.keySet()) {
        if (!acknowledged.containsKey(key)) {
          acknowledged.put(key, retryUntilAcknowledged(gw, till, key, bodies.get(key)));
        }
      }
      System.out.printf("flaky network: %d purchases, %d acknowledged under faults, %d retried; Redis link %d resets "
              + "%d drops %d delays %d stalled chunks, PostgreSQL link %d resets %d drops %d delays; answers %s, "
              + "slowest %d ms%n",
          bodies.size(), answered, bodies.size() - answered, redisLink.reset.get(), redisLink.dropped.get(),
          redisLink.delayed.get(), redisLink.stalled.get(), databaseLink.reset.get(), databaseLink.dropped.get(), databaseLink.delayed.get(),
          statuses, slowestMillis.get());

      gw.awaitDrained();
      try (Connection sql = gw.sql()) {
        TestGateway.assertOneTransactionPerKey(sql, program, acknowledged);
      }
      gw.assertPostgresExplainsEveryBalance(tillByMember);
    }
  }

  /** A till's retry loop: the same key and body until a 201 (first answer or replay). */
  static JsonObject retryUntilAcknowledged(TestGateway gw, String till, String key, String body) {
    Response response = null;
    for (int attempt = 0; attempt < 100; attempt++) {
      response = gw.call("POST", "/v1/purchases", till, key, body);
      if (response.status() == 201) {
        return response.json();
      }
      TestGateway.sleep(100);
    }
    throw new AssertionError("no 201 for " + key + ": " + response.raw().body());
  }
}
