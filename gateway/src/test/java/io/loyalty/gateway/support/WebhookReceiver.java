package io.loyalty.gateway.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * A real HTTP receiver of webhook deliveries on a free loopback port: it records every request and answers with
 * the statuses it is told to (200 once they run out), or not at all while {@link #silent} is set.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** One request as received. */
  public record Received(String eventId, String type, String signature, String body, int answered) {
    public JsonObject json() {
      return new JsonObject(body);
    }
  }

  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private final ConcurrentLinkedQueue<Integer> statuses = new ConcurrentLinkedQueue<>();
  public volatile boolean silent;

  public WebhookReceiver() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  public String url(String path) {
    return "http://127.0.0.1:" + server.getAddress().getPort() + path;
  }

  /** The next requests are answered with these statuses, in order. */
  public void answer(int... next) {
    for (int status : next) {
      statuses.add(status);
    }
  }

  private void handle(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    var headers = exchange.getRequestHeaders();
    if (silent) {
      received.add(new Received(headers.getFirst("Loyalty-Event-Id"), headers.getFirst("Loyalty-Event-Type"),
          headers.getFirst("Loyalty-Signature"), body, 0));
      return; // never answers: the sender's read timeout ends it
    }
    Integer planned = statuses.poll();
    int status = planned == null ? 200 : planned;
    received.add(new Received(headers.getFirst("Loyalty-Event-Id"), headers.getFirst("Loyalty-Event-Type"),
        headers.getFirst("Loyalty-Signature"), body, status));
    exchange.sendResponseHeaders(status, -1);
    exchange.close();
  }

  public List<Received> received() {
    return new ArrayList<>(received);
  }

  public List<Received> received(Predicate<Received> which) {
    return received.stream().filter(which).toList();
  }

  /** Waits until {@code count} requests match (and fails if more do). */
  public List<Received> await(Predicate<Received> which, int count, Duration within) {
    long deadline = System.nanoTime() + within.toNanos();
    while (System.nanoTime() < deadline) {
      List<Received> matching = received(which);
      if (matching.size() >= count) {
        return matching;
      }
      TestGateway.sleep(20);
    }
    List<Received> matching = received(which);
    throw new AssertionError("expected " + count + " deliveries, got " + matching.size() + ", the first: "
        + matching.stream().limit(3).toList());
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
