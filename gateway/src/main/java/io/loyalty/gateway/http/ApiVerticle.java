package io.loyalty.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.Router;
import java.util.function.Function;

/** One HTTP server per event loop, all sharing the port; each builds its own router over the shared handlers. */
public final class ApiVerticle extends VerticleBase {
  private final int port;
  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private HttpServer server;

  public ApiVerticle(int port, Function<io.vertx.core.Vertx, Router> routerFactory) {
    this.port = port;
    this.routerFactory = routerFactory;
  }

  @Override
  public Future<?> start() {
    server = vertx.createHttpServer(new HttpServerOptions()
        .setPort(port)
        .setHost("0.0.0.0")
        .setTcpNoDelay(true)
        .setIdleTimeout(60));
    return server.requestHandler(routerFactory.apply(vertx)).listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
