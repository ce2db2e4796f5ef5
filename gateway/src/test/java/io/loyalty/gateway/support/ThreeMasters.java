package io.loyalty.gateway.support;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import redis.embedded.RedisServer;

/**
 * A real Redis Cluster of three masters on loopback ports, from the same Redis binary the other tests run: each
 * node started with cluster-enabled, given a third of the 16 384 slots, and introduced to the others.
 */
public final class ThreeMasters implements AutoCloseable {
  private static final int SLOTS = 16_384;
  private static final long FORM_TIMEOUT_MILLIS = 30_000;
  private final List<RedisServer> servers = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();

  private ThreeMasters() {
  }

  public static ThreeMasters start() {
    ThreeMasters cluster = new ThreeMasters();
    try {
      Path dir = Files.createTempDirectory("redis-cluster");
      for (int i = 0; i < 3; i++) {
        int port = clusterPort();
        Path nodeDir = Files.createDirectories(dir.resolve("node-" + port));
        RedisServer server = RedisServer.newRedisServer().port(port).bind("127.0.0.1")
            .setting("cluster-enabled yes")
            .setting("cluster-config-file nodes-" + port + ".conf")
            .setting("dir " + nodeDir.toAbsolutePath())
            .setting("appendonly no")
            .setting("save \"\"")
            .setting("maxmemory-policy noeviction")
            .build();
        server.start();
        cluster.servers.add(server);
        cluster.ports.add(port);
      }
      cluster.form();
      return cluster;
    } catch (IOException e) {
      cluster.close();
      throw new UncheckedIOException(e);
    } catch (RuntimeException e) {
      cluster.close();
      throw e;
    }
  }

  /** A URL of one node (the cluster client discovers the others). */
  public String url() {
    return "redis://127.0.0.1:" + ports.get(0);
  }

  public List<Integer> ports() {
    return List.copyOf(ports);
  }

  /** Runs {@code action} with a plain connection to the node on {@code port}. */
  public <T> T onNode(int port, java.util.function.Function<RedisCommands<String, String>, T> action) {
    RedisClient client = RedisClient.create("redis://127.0.0.1:" + port);
    try (StatefulRedisConnection<String, String> connection = client.connect()) {
      return action.apply(connection.sync());
    } finally {
      client.shutdown();
    }
  }

  private void form() {
    for (int i = 0; i < 3; i++) {
      int from = SLOTS * i / 3;
      int to = SLOTS * (i + 1) / 3;
      onNode(ports.get(i), node -> node.clusterAddSlots(IntStream.range(from, to).toArray()));
    }
    for (int i = 1; i < 3; i++) {
      int port = ports.get(i);
      onNode(ports.get(0), node -> node.clusterMeet("127.0.0.1", port));
    }
    long deadline = System.currentTimeMillis() + FORM_TIMEOUT_MILLIS;
    for (int port : ports) {
      while (!onNode(port, node -> node.clusterInfo().contains("cluster_state:ok")
          && node.clusterNodes().lines().count() == 3)) {
        if (System.currentTimeMillis() > deadline) {
          throw new IllegalStateException("the cluster did not form within " + FORM_TIMEOUT_MILLIS + " ms");
        }
        TestGateway.sleep(50);
      }
    }
  }

  /** A free port whose cluster bus port (10 000 above it) is free too. */
  private static int clusterPort() throws IOException {
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = 20_000 + (int) (Math.random() * 30_000);
      try (ServerSocket client = new ServerSocket(port); ServerSocket bus = new ServerSocket(port + 10_000)) {
        return port;
      } catch (IOException taken) {
        // try another
      }
    }
    throw new IOException("no free port pair for a cluster node");
  }

  @Override
  public void close() {
    for (RedisServer server : servers) {
      try {
        server.stop();
      } catch (IOException e) {
        // stopping the others matters more
      }
    }
  }
}
