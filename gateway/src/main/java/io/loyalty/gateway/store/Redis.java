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
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.metrics.CommandLatencyRecorder;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.EventLoopGroupProvider;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The gateway's Redis connections and the bridge from Lettuce futures back onto the calling Vert.x context. There is
 * one connection per Vert.x event loop (a lane), and its socket is served by that same event loop: a request's
 * commands are written, and their replies read, on the thread that handles the request, with no hand-over to a
 * Lettuce thread and back. Lettuce pipelines each connection; to a Redis Cluster, each lane routes a command to the
 * master of its key's slot. Keys are text, values bytes (member states, events and answers are binary). While a
 * single Redis is unreachable, commands fail at once; to a cluster, they wait for a node's connection for at most
 * the command timeout.
 */
public final class Redis {
  /** How long sent data may stay unacknowledged before the connection counts as dead (TCP_USER_TIMEOUT). */
  public static final Duration DEAD_PATH_TIMEOUT = Duration.ofSeconds(8);
  /** Keys as UTF-8 text, values as raw bytes. */
  public static final RedisCodec<String, byte[]> CODEC = TextKeysBinaryValues.INSTANCE;
  private static final String FLUSH_PENDING = "redis.flush.pending";
  private final ClientResources shared;
  private final List<Lane> lanes;

  /** One event loop's client, connection and commands. */
  private record Lane(EventLoop loop, ClientResources resources, AbstractRedisClient client,
      StatefulConnection<String, byte[]> connection, RedisClusterAsyncCommands<String, byte[]> commands) {
  }

  private Redis(ClientResources shared, List<Lane> lanes) {
    this.shared = shared;
    this.lanes = lanes;
  }

  /**
   * Blocking: call from start-up code off the event loop. {@code cluster}: the URL names one node of a cluster.
   * Opens one connection per event loop of {@code vertx}.
   */
  public static Redis connect(Vertx vertx, String url, boolean cluster, Duration commandTimeout) {
    SocketOptions socket = SocketOptions.builder().connectTimeout(commandTimeout)
        // a path to Redis that died without a FIN or RST (a failover, a lost route) is dropped and
        // reconnected within seconds instead of the kernel's ~15 minutes of retransmissions
        .keepAlive(SocketOptions.KeepAliveOptions.builder().enable().idle(Duration.ofSeconds(5))
            .interval(Duration.ofSeconds(1)).count(3).build())
        .tcpUserTimeout(SocketOptions.TcpUserTimeoutOptions.builder().enable()
            .tcpUserTimeout(DEAD_PATH_TIMEOUT).build())
        .build();
    ClientOptions options = ClientOptions.builder()
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
        .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
        .socketOptions(socket)
        .build();
    // Lettuce times every command into histograms of its own whenever LatencyUtils is on the class path (Micrometer
    // brings it); nothing reads them, and recording cost ~0.6 µs of the JVM's CPU per purchase (BENCHMARKS.md)
    ClientResources shared = DefaultClientResources.builder()
        .commandLatencyRecorder(CommandLatencyRecorder.disabled()).build();
    List<Lane> lanes = new ArrayList<>();
    try {
      for (EventExecutor executor : ((VertxInternal) vertx).nettyEventLoopGroup()) {
        EventLoop loop = (EventLoop) executor;
        ClientResources resources = shared.mutate().eventLoopGroupProvider(new OneLoop(vertx, loop)).build();
        lanes.add(cluster ? clusterLane(loop, resources, url, options) : lane(loop, resources, url, options));
      }
      return new Redis(shared, List.copyOf(lanes));
    } catch (RuntimeException e) {
      new Redis(shared, lanes).closeAsync().join();
      throw e;
    }
  }

  private static Lane lane(EventLoop loop, ClientResources resources, String url, ClientOptions options) {
    RedisClient client = RedisClient.create(resources, RedisURI.create(url));
    client.setOptions(options);
    return open(loop, resources, client, () -> client.connect(CODEC), StatefulRedisConnection::async);
  }

  private static Lane clusterLane(EventLoop loop, ClientResources resources, String url, ClientOptions options) {
    RedisClusterClient client = RedisClusterClient.create(resources, RedisURI.create(url));
    client.setOptions(ClusterClientOptions.builder(options)
        // node connections open on first use (and after a failover); commands wait for them, for at most the
        // command timeout, instead of being refused while one opens
        .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
        .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder().enableAllAdaptiveRefreshTriggers().build())
        .build());
    return open(loop, resources, client, () -> client.connect(CODEC), StatefulRedisClusterConnection::async);
  }

  private static <C extends StatefulConnection<String, byte[]>> Lane open(EventLoop loop, ClientResources resources,
      AbstractRedisClient client, Supplier<C> connect, Function<C, RedisClusterAsyncCommands<String, byte[]>> commands) {
    try {
      C connection = connect.get();
      connection.setAutoFlushCommands(false); // sent once per event-loop tick: see call()
      return new Lane(loop, resources, client, connection, commands.apply(connection));
    } catch (RuntimeException e) {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
      resources.shutdown(0, 2, TimeUnit.SECONDS);
      throw e;
    }
  }

  /** The lane of the calling event loop; the first lane for callers off the event loops (workers, start-up). */
  private Lane lane() {
    for (Lane lane : lanes) {
      if (lane.loop().inEventLoop()) {
        return lane;
      }
    }
    return lanes.get(0);
  }

  /**
   * Runs one command and completes on the caller's Vert.x context (or on the event loop outside Vert.x).
   * Commands issued on a context are sent together once the context's current task is done: one write for all
   * the commands of an event-loop tick instead of one per command.
   */
  public <T> Future<T> call(Function<RedisClusterAsyncCommands<String, byte[]>, CompletionStage<T>> command) {
    Lane lane = lane();
    CompletionStage<T> stage = command.apply(lane.commands());
    Context context = Vertx.currentContext();
    if (context == null) {
      lane.connection().flushCommands();
      return Future.fromCompletionStage(stage);
    }
    if (context.get(FLUSH_PENDING) == null) {
      context.put(FLUSH_PENDING, Boolean.TRUE);
      context.runOnContext(v -> {
        context.remove(FLUSH_PENDING);
        lane.connection().flushCommands();
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

  /**
   * Closes every connection and client. Needs the Vert.x event loops running (the sockets are theirs): close Redis
   * before Vert.x, and do not wait for it on an event loop.
   */
  public CompletableFuture<Void> closeAsync() {
    CompletableFuture<?>[] closed = lanes.stream()
        .map(lane -> lane.connection().closeAsync()
            .thenCompose(v -> lane.client().shutdownAsync(0, 2, TimeUnit.SECONDS))
            .thenCompose(v -> toCompletable(lane.resources().shutdown(0, 2, TimeUnit.SECONDS))))
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(closed)
        .handle((v, e) -> null)
        .thenCompose(v -> toCompletable(shared.shutdown(0, 2, TimeUnit.SECONDS)))
        .thenApply(v -> null);
  }

  private static <T> CompletableFuture<T> toCompletable(io.netty.util.concurrent.Future<T> future) {
    CompletableFuture<T> done = new CompletableFuture<>();
    future.addListener(f -> {
      if (f.isSuccess()) {
        done.complete(future.getNow());
      } else {
        done.completeExceptionally(f.cause());
      }
    });
    return done;
  }

  /**
   * Lettuce's event-loop provider for one lane: hands out one Vert.x event loop, if it is of the transport Lettuce
   * will open its socket with (epoll or NIO); never shuts it down, Vert.x does.
   */
  private record OneLoop(Vertx vertx, EventLoop loop) implements EventLoopGroupProvider {
    @Override
    @SuppressWarnings("unchecked")
    public <T extends EventLoopGroup> T allocate(Class<T> type) {
      boolean nio = type == io.netty.channel.nio.NioEventLoopGroup.class;
      if (nio == vertx.isNativeTransportEnabled()) {
        throw new IllegalStateException("Lettuce asks for " + type.getSimpleName() + " but Vert.x runs "
            + (nio ? "a native" : "the NIO") + " transport; add or remove netty-transport-native-epoll for both");
      }
      return (T) loop;
    }

    @Override
    public int threadPoolSize() {
      return 1;
    }

    @Override
    public io.netty.util.concurrent.Future<Boolean> release(EventExecutorGroup group, long quietPeriod, long timeout,
        TimeUnit unit) {
      return loop.newSucceededFuture(true);
    }

    @Override
    public io.netty.util.concurrent.Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit unit) {
      return loop.newSucceededFuture(true);
    }
  }
}
