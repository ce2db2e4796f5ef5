package io.loyalty.gateway.webhook;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers the outbox's events to webhooks: an HTTP POST of the event's JSON, signed, where any 2xx answer means
 * delivered; otherwise it is tried again after an exponentially growing, jittered pause, until
 * {@link #RETRY_WINDOW_MILLIS} after the first try, then marked failed (a manager may retry it). Every gateway
 * delivers: each claims due deliveries with {@code SKIP LOCKED} and moves their next try past the time a delivery
 * can take, so a gateway that dies mid-delivery leaves them to be tried again, never to two gateways at once.
 * At most {@link #MAX_IN_FLIGHT} deliveries are under way per gateway, on the delivery verticle's own event loop,
 * with connect and read timeouts.
 */
public final class Delivery {
  private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
  static final long RETRY_WINDOW_MILLIS = 24 * 3600 * 1000L;
  static final long FIRST_RETRY_MILLIS = 5_000;
  static final long MAX_RETRY_MILLIS = 3600 * 1000L;
  static final int MAX_IN_FLIGHT = 16;
  /** Longest error text kept for a manager to read. */
  static final int MAX_ERROR_CHARS = 300;
  static final String CLAIM = """
      WITH c AS (
        UPDATE webhook_deliveries d SET next_attempt_at = $2, attempts = d.attempts + 1, last_attempt_at = $1
         WHERE d.id IN (SELECT id FROM webhook_deliveries
                         WHERE status = 'pending' AND next_attempt_at <= $1
                         ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
        RETURNING d.id, d.event_id, d.program_id, d.webhook, d.attempts,
                  (extract(epoch FROM d.window_start) * 1000)::bigint AS window_ms)
      SELECT c.id, c.event_id, c.attempts, c.window_ms, o.type, o.body, w.url, w.secret
        FROM c JOIN outbox o ON o.id = c.event_id
               JOIN webhooks w ON w.program_id = c.program_id AND w.name = c.webhook""";
  static final String DELIVERED = """
      UPDATE webhook_deliveries SET status = 'delivered', delivered_at = $2, last_status = $3, last_error = NULL
       WHERE id = $1""";
  static final String NOT_DELIVERED = """
      UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, last_status = $4, last_error = $5
       WHERE id = $1""";
  static final String BACKLOG = """
      SELECT count(*) AS pending, (extract(epoch FROM min(window_start)) * 1000)::bigint AS oldest_ms
        FROM webhook_deliveries WHERE status = 'pending'""";

  private final Pool pool;
  private final Clock clock;
  private final HttpClientAgent http;
  private final long timeoutMillis;
  /** The claims and deliveries under way, each until its outcome is recorded. */
  private final Set<Future<Void>> inFlight = ConcurrentHashMap.newKeySet();
  private volatile boolean closing;
  private final AtomicLong backlog = new AtomicLong();
  private final AtomicLong oldestPendingMillis = new AtomicLong(-1);
  private final Counter delivered;
  private final Counter retried;
  private final Counter failed;

  public Delivery(Vertx vertx, Pool pool, Clock clock, long timeoutMillis, MeterRegistry registry) {
    this.pool = pool;
    this.clock = clock;
    this.timeoutMillis = timeoutMillis;
    this.http = vertx.createHttpClient(new HttpClientOptions().setConnectTimeout((int) timeoutMillis)
        .setKeepAlive(true), new PoolOptions().setHttp1MaxSize(MAX_IN_FLIGHT));
    Gauge.builder("loyalty.webhook.backlog", backlog, AtomicLong::get).baseUnit("deliveries")
        .description("Webhook deliveries waiting to be made or retried").register(registry);
    Gauge.builder("loyalty.webhook.oldest.pending.age", oldestPendingMillis,
            v -> v.get() < 0 ? 0 : (clock.millis() - v.get()) / 1000.0)
        .baseUnit("seconds").description("Age of the oldest webhook delivery still pending").register(registry);
    delivered = outcome(registry, "delivered");
    retried = outcome(registry, "retry");
    failed = outcome(registry, "failed");
  }

  private static Counter outcome(MeterRegistry registry, String outcome) {
    return Counter.builder("loyalty.webhook.deliveries").tag("outcome", outcome)
        .description("Webhook delivery attempts, by outcome (delivered; retry: not delivered, tried again later; "
            + "failed: not delivered within the retry window)")
        .register(registry);
  }

  /** Claims the due deliveries this gateway has room for and makes them; the future holds how many it claimed. */
  public Future<Integer> poll() {
    int room = MAX_IN_FLIGHT - inFlight.size();
    if (room <= 0 || closing) {
      return Future.succeededFuture(0);
    }
    long now = clock.millis();
    long claimedUntil = now + 2 * timeoutMillis + 60_000; // past what a delivery can take
    Future<Integer> claimed = pool.preparedQuery(CLAIM)
        .execute(Tuple.of(Times.utc(now), Times.utc(claimedUntil), room)).map(rows -> {
          for (Row row : rows) {
            track(deliver(row).onFailure(e ->
                LOG.warn("webhook delivery {} could not be recorded: {}", row.getLong("id"), e.toString())));
          }
          return rows.size();
        });
    track(claimed.mapEmpty());
    return claimed;
  }

  private void track(Future<Void> work) {
    inFlight.add(work);
    work.onComplete(done -> inFlight.remove(work));
  }

  /** Samples the backlog gauges. */
  public Future<Void> sampleBacklog() {
    return pool.query(BACKLOG).execute().map(rows -> {
      Row row = rows.iterator().next();
      backlog.set(row.getLong("pending"));
      Long oldest = row.getLong("oldest_ms");
      oldestPendingMillis.set(oldest == null ? -1 : oldest);
      return null;
    });
  }

  private Future<Void> deliver(Row row) {
    String body = row.getString("body");
    long now = clock.millis();
    long seconds = now / 1000;
    RequestOptions request = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(row.getString("url"))
        .setConnectTimeout(timeoutMillis).setIdleTimeout(timeoutMillis)
        .putHeader("content-type", "application/json")
        .putHeader("loyalty-event-id", row.getUUID("event_id").toString())
        .putHeader("loyalty-event-type", row.getString("type"))
        .putHeader("loyalty-signature", "t=" + seconds + ",v1=" + sign(row.getString("secret"), seconds, body));
    Future<HttpClientResponse> sent;
    try {
      sent = http.request(request).compose(r -> r.send(Buffer.buffer(body)));
    } catch (RuntimeException e) {
      sent = Future.failedFuture(e); // a URL the client cannot use
    }
    return sent.compose(response -> response.body().map(ignored -> response.statusCode()))
        .transform(answered -> {
          long id = row.getLong("id");
          int status = answered.succeeded() ? answered.result() : 0;
          if (status >= 200 && status < 300) {
            delivered.increment();
            return pool.preparedQuery(DELIVERED).execute(Tuple.of(id, Times.utc(clock.millis()), status)).mapEmpty();
          }
          String error = answered.succeeded() ? "HTTP " + status : String.valueOf(answered.cause().getMessage());
          long next = clock.millis() + backoffMillis(row.getInteger("attempts"));
          boolean giveUp = next >= row.getLong("window_ms") + RETRY_WINDOW_MILLIS;
          (giveUp ? failed : retried).increment();
          return pool.preparedQuery(NOT_DELIVERED).execute(Tuple.of(id, giveUp ? "failed" : "pending",
              Times.utc(next), answered.succeeded() ? status : null,
              error.length() > MAX_ERROR_CHARS ? error.substring(0, MAX_ERROR_CHARS) : error)).mapEmpty();
        });
  }

  /** The pause before try {@code attempts + 1}: doubling from 5 s up to an hour, drawn from its upper half. */
  static long backoffMillis(int attempts) {
    long full = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempts - 1, 20));
    return full / 2 + ThreadLocalRandom.current().nextLong(full / 2 + 1);
  }

  /** The hex HMAC-SHA256 of {@code "<t>.<body>"} with the webhook's secret. */
  public static String sign(String secret, long unixSeconds, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return java.util.HexFormat.of().formatHex(mac.doFinal((unixSeconds + "." + body).getBytes(StandardCharsets.UTF_8)));
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Claims no more and lets the deliveries under way finish and be recorded (each is bounded by the timeouts), so a
   * gateway shutting down leaves no claimed delivery waiting for its claim to lapse.
   */
  public Future<Void> close() {
    closing = true;
    return drained().transform(ignored -> http.close());
  }

  private Future<Void> drained() {
    return inFlight.isEmpty() ? Future.succeededFuture()
        : Future.join(List.copyOf(inFlight)).transform(ignored -> drained());
  }
}
