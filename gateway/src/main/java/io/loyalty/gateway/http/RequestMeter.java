package io.loyalty.gateway.http;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Times every answer the gateway gives, whoever gives it (a route, the rate limiter, the body limit, the router's
 * 404 and 405, the HTTP decoder's 414 and 431), as {@code loyalty_http_request_duration_seconds} tagged with the
 * method, the route template, the status and the problem's code. Tags stay bounded: an unknown method is
 * {@code OTHER}, a path matching no route is {@code unmatched}.
 *
 * <p>It also keeps {@code loyalty_http_requests_active}: requests begun and not yet answered or abandoned (the
 * scrape asking for it included). It replaces Vert.x's own HTTP server meters, whose active-request gauge never
 * comes down after an answer given before the request's body was read (413) and which cost CPU on every request.
 */
public final class RequestMeter {
  public static final String NAME = "loyalty.http.request.duration";
  /** Where a handler leaves the problem code it answered with. */
  public static final String PROBLEM_CODE = "problem.code";
  static final String UNMATCHED = "unmatched";
  private static final String ROUTE = "meter.route";
  private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

  private final MeterRegistry registry;
  /** Route templates split into segments; a segment starting with ':' matches any one segment. */
  private final List<String[]> templates;
  /**
   * By route, method and code, then by status: each outcome's timer, built once (building one per request costs
   * more than the rules) and found with no key built per request.
   */
  private final Map<String, Map<String, Map<String, Timer[]>>> timers = new ConcurrentHashMap<>();
  /** HTTP statuses have three digits. */
  private static final int STATUSES = 1000;

  private final LongAdder active = new LongAdder();

  RequestMeter(MeterRegistry registry, List<String> routeTemplates) {
    this.registry = registry;
    this.templates = routeTemplates.stream().map(t -> t.split("/", -1)).toList();
    Gauge.builder("loyalty.http.requests.active", active, LongAdder::sum)
        .description("Requests begun and not yet answered (the scrape included)").register(registry);
  }

  /**
   * The first handler of every request: starts the clock and, when the response is disposed of, records the
   * answer; a request whose connection closed before its answer is no longer active and has no answer to count.
   */
  void begin(RoutingContext ctx) {
    long started = System.nanoTime();
    active.increment();
    HttpServerResponse response = ctx.response();
    response.endHandler(v -> { // once: when the answer is written or the connection closed first
      active.decrement();
      if (response.ended()) {
        record(method(ctx.request()), route(ctx), response.getStatusCode(), ctx.get(PROBLEM_CODE, "none"), started);
      }
    });
    ctx.next();
  }

  /** A route handler names its template, so the common case needs no matching. */
  public static void routed(RoutingContext ctx, String template) {
    ctx.put(ROUTE, template);
  }

  /** For requests the HTTP decoder refused (no router ran). */
  void recordInvalid(HttpServerRequest request, int status, String code, long started) {
    record(method(request), UNMATCHED, status, code, started);
  }

  private String route(RoutingContext ctx) {
    String known = ctx.get(ROUTE);
    return known != null ? known : template(ctx.request().path());
  }

  /** The route template the path matches whatever the method (so a 405 is filed under its route), or unmatched. */
  String template(String path) {
    if (path == null) {
      return UNMATCHED;
    }
    String[] segments = path.split("/", -1);
    for (String[] template : templates) {
      if (matches(template, segments)) {
        return String.join("/", template);
      }
    }
    return UNMATCHED;
  }

  private static boolean matches(String[] template, String[] segments) {
    if (template.length != segments.length) {
      return false;
    }
    for (int i = 0; i < template.length; i++) {
      boolean any = template[i].startsWith(":") && !segments[i].isEmpty();
      if (!any && !template[i].equals(segments[i])) {
        return false;
      }
    }
    return true;
  }

  private static String method(HttpServerRequest request) {
    String name = request.method().name();
    return METHODS.contains(name) ? name : "OTHER";
  }

  private void record(String method, String route, int status, String code, long started) {
    Timer[] byStatus = timers.computeIfAbsent(route, r -> new ConcurrentHashMap<>())
        .computeIfAbsent(method, m -> new ConcurrentHashMap<>())
        .computeIfAbsent(code, c -> new Timer[STATUSES]);
    int slot = Math.floorMod(status, STATUSES);
    Timer timer = byStatus[slot];
    if (timer == null) { // a benign race: the registry hands every caller the one timer of these tags
      timer = Timer.builder(NAME)
          .description("HTTP requests by route and outcome, every answer included")
          .tag("method", method)
          .tag("route", route)
          .tag("status", Integer.toString(status))
          .tag("code", code)
          .register(registry);
      byStatus[slot] = timer;
    }
    timer.record(System.nanoTime() - started, TimeUnit.NANOSECONDS);
  }
}
