package io.loyalty.gateway.http;

import io.loyalty.gateway.Config;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.util.function.Function;

/** One HTTP server per event loop, all sharing the port; each builds its own router over the shared handlers. */
public final class ApiVerticle extends VerticleBase {
  /** On stop, how long requests in flight get to finish (new ones are refused meanwhile). */
  public static final long DRAIN_SECONDS = 10;

  private final Config config;
  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private final Handler<HttpServerRequest> invalidRequests;
  private HttpServer server;

  /** With a certificate and key (PEM paths) in the configuration it serves HTTPS; without, plain HTTP. */
  public ApiVerticle(Config config, Function<io.vertx.core.Vertx, Router> routerFactory,
      Handler<HttpServerRequest> invalidRequests) {
    this.config = config;
    this.routerFactory = routerFactory;
    this.invalidRequests = invalidRequests;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setPort(config.httpPort())
        .setHost(config.httpHost())
        .setTcpNoDelay(true)
        .setIdleTimeout(60)
        // the gateway serves no WebSocket; with either compression supported, Vert.x puts a WebSocket extension
        // handler in every connection's pipeline, and each request and answer passes through it
        .setPerFrameWebSocketCompressionSupported(false)
        .setPerMessageWebSocketCompressionSupported(false);
    if (config.tlsCertPath() != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(config.tlsCertPath())
          .setKeyPath(config.tlsKeyPath()));
    }
    server = vertx.createHttpServer(options);
    return server.requestHandler(routerFactory.apply(vertx)).invalidRequestHandler(invalidRequests).listen();
  }

  @Override
  public Future<?> stop() {
    // graceful: no new connections; requests in flight are answered (keep-alive connections close after them)
    return server == null ? Future.succeededFuture() : server.shutdown(DRAIN_SECONDS, java.util.concurrent.TimeUnit.SECONDS);
  }
}
