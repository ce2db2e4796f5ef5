package io.loyalty.gateway.store;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The gateway's one Redis connection (Lettuce pipelines it; to a Redis Cluster, Lettuce routes each command to
 * the master of its key's slot) and the bridge from Lettuce futures back onto the calling Vert.x context. Keys are
 * text, values bytes (member states, events and answers are binary). While a single Redis is unreachable, commands
 * fail at once; to a cluster, they wait for a node's connection for at most the command timeout.
 */
public final class Redis implements AutoCloseable {
  /** How long sent data may stay unacknowledged before the connection counts as dead (TCP_USER_TIMEOUT). */
  public static final Duration DEAD_PATH_TIMEOUT = Duration.ofSeconds(8);
  /** Keys as UTF-8 text, values as raw bytes. */
  public static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);
  private static final String FLUSH_PENDING = "redis.flush.pending";
  private final AbstractRedisClient client;
  private final StatefulConnection<String, byte[]> connection;
  private final RedisClusterAsyncCommands<String, byte[]> commands;

  private Redis(AbstractRedisClient client, StatefulConnection<String, byte[]> connection,
      RedisClusterAsyncCommands<String, byte[]> commands) {
    this.client = client;
    this.connection = connection;
    this.commands = commands;
  }

  /** Blocking: call from start-up code off the event loop. {@code cluster}: the URL names one node of a cluster. */
  public static Redis connect(String url, boolean cluster, Duration commandTimeout) {
    SocketOptions socket = SocketOptions.builder().connectTimeout(commandTimeout)
        // a path to Redis that died without a FIN or RST (a failover, a lost route) is dropped and
        // reconnected within seconds instead of the kernel's ~15 minutes of retransmissions
        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable().idle(Duration.ofSeconds(5))
            .interval(Duration.ofSeconds(1)).count(3).build())
        .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable()
            .tcpUserTimeout(DEAD_PATH_TIMEOUT).build())
        .build();
    if (cluster) {
      RedisClusterClient client = RedisClusterClient.create(RedisURI.create(url));
      client.setOptions(ClusterClientOptions.builder()
          // node connections open on first use (and after a failover); commands wait for them, for at most the
          // command timeout, instead of being refused while one opens
          .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
          .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
          .socketOptions(socket)
          .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
          .build());
      return open(client, () -> client.connect(CODEC), StatefulRedisClusterConnection::async);
    }
    RedisClient client = RedisClient.create(RedisURI.create(url));
    client.setOptions(ClientOptions.builder()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
        .socketOptions(socket)
        .build());
    return open(client, () -> client.connect(CODEC), StatefulRedisConnection::async);
  }

  private static <C extends StatefulConnection<String, byte[]>> Redis open(AbstractRedisClient client,
      java.util.function.Supplier<C> connect, Function<C, RedisClusterAsyncCommands<String, byte[]>> commands) {
    try {
      C connection = connect.get();
      connection.setAutoFlushCommands(false); // sent once per event-loop tick: see call()
      return new Redis(client, connection, commands.apply(connection));
    } catch (RuntimeException e) {
      client.shutdown();
      throw e;
    }
  }

  /**
   * Runs one command and completes on the caller's Vert.x context (or on Lettuce's thread outside Vert.x).
   * Commands issued on a context are sent together once the context's current task is done: one write for all
   * the commands of an event-loop tick instead of one per command.
   */
  public <T> Future<T> call(Function<RedisClusterAsyncCommands<String, byte[]>, CompletionStage<T>> command) {
    CompletionStage<T> stage = command.apply(commands);
    Context context = Vertx.currentContext();
    if (context == null) {
      connection.flushCommands();
      return Future.fromCompletionStage(stage);
    }
    if (context.get(FLUSH_PENDING) == null) {
      context.put(FLUSH_PENDING, Boolean.TRUE);
      context.runOnContext(v -> {
        context.remove(FLUSH_PENDING);
        connection.flushCommands();
      });
    }
    return Future.fromCompletionStage(stage, context);
  }

  /** EVALSHA, falling back to EVAL when Redis lost its script cache (after a restart, say). */
  public Future<List<Object>> run(Script script, String[] keys, byte[]... args) {
    return this.<List<Object>>call(c -> c.evalsha(script.sha(), ScriptOutputType.MULTI, keys, args))
        .recover(e -> e instanceof io.lettuce.core.RedisNoScriptException
            ? call(c -> c.eval(script.source(), ScriptOutputType.MULTI, keys, args))
            : Future.failedFuture(e));
  }

  @Override
  public void close() {
    connection.close();
    client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
  }
}
