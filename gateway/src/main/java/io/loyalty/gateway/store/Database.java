package io.loyalty.gateway.store;

import io.loyalty.gateway.report.ExpiryBackfill;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgBuilder;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import org.flywaydb.core.Flyway;

/** PostgreSQL access: Flyway migrations (JDBC, once at start-up) and the Vert.x pool used everywhere else. */
public final class Database {
  /** Statements in flight per pooled connection. */
  private static final int PIPELINING_LIMIT = 256;

  private Database() {
  }

  /** Blocking: call from start-up code off the event loop. */
  public static void migrate(String databaseUrl) {
    PgConnectOptions options = PgConnectOptions.fromUri(databaseUrl);
    Flyway.configure()
        .dataSource(jdbcUrl(options), options.getUser(), options.getPassword())
        .javaMigrations(new ExpiryBackfill(), new io.loyalty.gateway.engagement.DueBackfill())
        .load()
        .migrate();
  }

  /** A plain JDBC connection, for the command-line tools. */
  public static Connection connect(String databaseUrl) throws SQLException {
    PgConnectOptions options = PgConnectOptions.fromUri(databaseUrl);
    return DriverManager.getConnection(jdbcUrl(options), options.getUser(), options.getPassword());
  }

  private static String jdbcUrl(PgConnectOptions options) {
    return "jdbc:postgresql://" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
  }

  public static Pool pool(Vertx vertx, String databaseUrl, int size) {
    PgConnectOptions connect = PgConnectOptions.fromUri(databaseUrl)
        .setCachePreparedStatements(true)
        .setPipeliningLimit(PIPELINING_LIMIT);
    return PgBuilder.pool()
        .with(new PoolOptions().setMaxSize(size))
        // as for Redis: a path that died silently is dropped within seconds (TCP_USER_TIMEOUT needs epoll)
        .with(new NetClientOptions().setTcpKeepAlive(true).setTcpUserTimeout((int) Redis.DEAD_PATH_TIMEOUT.toMillis()))
        .connectingTo(connect)
        .using(vertx)
        .build();
  }
}
