package io.loyalty.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A Lua script from {@code /lua}, with the shared member prelude in front of it, and its SHA-1 for EVALSHA. */
public record Script(String name, String source, String sha) {
  public static final Script PURCHASE = load("purchase");
  public static final Script LOAD = load("load");
  public static final Script VIEW = load("view");
  public static final Script CAPTURE = load("capture");
  public static final Script VOID = load("void");
  public static final Script TXLOAD = load("txload");
  public static final Script SWEEP = load("sweep");
  public static final Script REFUND = load("refund");
  public static final Script EVICT = load("evict");

  private static final String PRELUDE = "member";

  static Script load(String name) {
    String source = resource(PRELUDE) + "\n" + resource(name);
    try {
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
      return new Script(name, source, HexFormat.of().formatHex(digest));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String resource(String name) {
    try (InputStream in = Script.class.getResourceAsStream("/lua/" + name + ".lua")) {
      if (in == null) {
        throw new IllegalStateException("missing script /lua/" + name + ".lua");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
