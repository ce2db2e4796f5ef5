package io.loyalty.gateway.http;

import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import java.util.function.Function;

/** One HTTP server per event loop, all sharing the port; each builds its own router over the shared handlers. */
public final class ApiVerticle extends VerticleBase {
  private final int port;
  private final String tlsCertPath;
  private final String tlsKeyPath;
  private final Function<io.vertx.core.Vertx, Router> routerFactory;
  private HttpServer server;

  /** With a certificate and key (PEM paths) it serves HTTPS; with nulls, plain HTTP. */
  public ApiVerticle(int port, String tlsCertPath, String tlsKeyPath, Function<io.vertx.core.Vertx, Router> routerFactory) {
    this.port = port;
    this.tlsCertPath = tlsCertPath;
    this.tlsKeyPath = tlsKeyPath;
    this.routerFactory = routerFactory;
  }

  @Override
  public Future<?> start() {
    HttpServerOptions options = new HttpServerOptions()
        .setPort(port)
        .setHost("0.0.0.0")
        .setTcpNoDelay(true)
        .setIdleTimeout(60);
    if (tlsCertPath != null) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions().setCertPath(tlsCertPath).setKeyPath(tlsKeyPath));
    }
    server = vertx.createHttpServer(options);
    return server.requestHandler(routerFactory.apply(vertx)).listen();
  }

  @Override
  public Future<?> stop() {
    return server == null ? Future.succeededFuture() : server.close();
  }
}
