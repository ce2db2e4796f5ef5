package io.loyalty.gateway.admin;

import io.loyalty.gateway.http.RequestMeter;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.StaticHandler;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The managers' web page at /admin/: plain HTML, CSS and a JavaScript module from the jar's {@code admin} folder,
 * Chart.js from its WebJar, under a Content-Security-Policy that allows nothing but this gateway's own files and
 * API. The page holds no secret: it asks for the admin token and sends it as a Bearer header.
 */
public final class AdminPage {
  public static final String PATH = "/admin/*";
  static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
      + "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
  private static final String WEBJAR = "META-INF/resources/webjars/chart.js/";

  private AdminPage() {
  }

  public static void mount(Router router) {
    Buffer chartJs = chartJs();
    router.route(HttpMethod.GET, "/admin").handler(ctx -> { // (the route matches "/admin/" too)
      if (ctx.request().path().equals("/admin")) {
        ctx.redirect("/admin/");
      } else {
        ctx.next();
      }
    });
    router.route(PATH).method(HttpMethod.GET).method(HttpMethod.HEAD).handler(ctx -> {
      RequestMeter.routed(ctx, PATH);
      ctx.response()
          .putHeader("content-security-policy", CSP)
          .putHeader("x-content-type-options", "nosniff")
          .putHeader("referrer-policy", "no-referrer")
          .putHeader("cache-control", "no-cache");
      ctx.next();
    });
    router.route(HttpMethod.GET, "/admin/vendor/chart.umd.js").handler(ctx -> ctx.response()
        .putHeader("content-type", "text/javascript; charset=utf-8").end(chartJs));
    router.route(PATH).method(HttpMethod.GET).method(HttpMethod.HEAD)
        .handler(StaticHandler.create("admin").setCachingEnabled(false).setDirectoryListing(false));
  }

  /** Chart.js as its WebJar (version pinned in the parent pom) holds it. */
  private static Buffer chartJs() {
    ClassLoader loader = AdminPage.class.getClassLoader();
    try (InputStream versions = loader.getResourceAsStream("versions.properties")) {
      Properties properties = new Properties();
      properties.load(versions);
      try (InputStream js = loader.getResourceAsStream(WEBJAR + properties.getProperty("chartjs") + "/dist/chart.umd.js")) {
        return Buffer.buffer(js.readAllBytes());
      }
    } catch (IOException | NullPointerException e) {
      throw new UncheckedIOException(new IOException("Chart.js is missing from the class path", e));
    }
  }
}
