package io.loyalty.gateway.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on loopback that makes the network between the gateway and a store slow and unreliable. Every chunk
 * of bytes it forwards, in either direction, may be delayed, or instead of being forwarded may end the connection:
 * dropped (the chunk is lost and both sides see a FIN) or reset (both sides see an RST). The link can also stall:
 * nothing moves for a while, then everything held arrives. Faults are switched on and off while connections are
 * open; every fault injected is counted.
 */
public final class FaultyProxy implements AutoCloseable {
  public record Faults(int maxLatencyMs, double dropChance, double resetChance) {
    public static final Faults NONE = new Faults(0, 0, 0);
  }

  public final AtomicLong delayed = new AtomicLong();
  public final AtomicLong dropped = new AtomicLong();
  public final AtomicLong reset = new AtomicLong();
  public final AtomicLong stalled = new AtomicLong();
  private final InetSocketAddress upstream;
  private final ServerSocket listener;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Faults faults = Faults.NONE;
  private volatile long stalledUntilNanos = System.nanoTime();

  public FaultyProxy(String upstreamHost, int upstreamPort) throws IOException {
    this.upstream = new InetSocketAddress(upstreamHost, upstreamPort);
    this.listener = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    Thread accept = new Thread(this::accept, "proxy-accept-" + port());
    accept.setDaemon(true);
    accept.start();
  }

  public int port() {
    return listener.getLocalPort();
  }

  public void faults(Faults faults) {
    this.faults = faults;
  }

  /** Resets every open connection now (both sides see an RST), whatever the random faults do. */
  public void resetConnections() {
    for (Socket socket : sockets) {
      if (socket.getLocalPort() == port()) { // count connections, not their two sockets
        reset.incrementAndGet();
      }
      end(socket, socket, true);
    }
  }

  /** From now on, for {@code millis}, every chunk waits; connections stay open and lose nothing. */
  public void stall(long millis) {
    stalledUntilNanos = System.nanoTime() + millis * 1_000_000;
  }

  private void accept() {
    while (!listener.isClosed()) {
      try {
        Socket client = listener.accept();
        Socket server = new Socket();
        try {
          server.connect(upstream, 5_000);
        } catch (IOException e) {
          client.close();
          continue;
        }
        for (Socket socket : new Socket[] {client, server}) {
          socket.setTcpNoDelay(true);
          sockets.add(socket);
        }
        pump(client, server);
        pump(server, client);
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to) {
    Thread thread = new Thread(() -> {
      byte[] buffer = new byte[16 * 1024];
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        int read;
        while ((read = in.read(buffer)) >= 0) {
          if (!forward(from, to)) {
            return;
          }
          out.write(buffer, 0, read);
          out.flush();
        }
      } catch (IOException connectionGone) {
        // the other pump or a fault closed it
      } finally {
        end(from, to, false);
      }
    }, "proxy-pump");
    thread.setDaemon(true);
    thread.start();
  }

  /** Applies the faults to one chunk: false when the chunk must not be forwarded (the connection is gone). */
  private boolean forward(Socket from, Socket to) {
    long stall = stalledUntilNanos - System.nanoTime();
    if (stall > 0) {
      stalled.incrementAndGet();
      TestGateway.sleep(stall / 1_000_000 + 1);
    }
    Faults now = faults;
    ThreadLocalRandom random = ThreadLocalRandom.current();
    double roll = random.nextDouble();
    if (roll < now.resetChance()) {
      reset.incrementAndGet();
      end(from, to, true);
      return false;
    }
    if (roll < now.resetChance() + now.dropChance()) {
      dropped.incrementAndGet();
      end(from, to, false);
      return false;
    }
    if (now.maxLatencyMs() > 0) {
      delayed.incrementAndGet();
      TestGateway.sleep(random.nextInt(now.maxLatencyMs() + 1));
    }
    return true;
  }

  private void end(Socket a, Socket b, boolean withReset) {
    for (Socket socket : new Socket[] {a, b}) {
      try {
        if (withReset && !socket.isClosed()) {
          socket.setSoLinger(true, 0); // close() then sends an RST instead of a FIN
        }
        socket.close();
      } catch (IOException alreadyGone) {
        // nothing left to close
      }
      sockets.remove(socket);
    }
  }

  @Override
  public void close() throws IOException {
    listener.close();
    sockets.forEach(socket -> end(socket, socket, false));
  }
}
