package io.loyalty.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** A Lua script from {@code /lua} (its header states KEYS, ARGV and reply) and its SHA-1 for EVALSHA. */
public record Script(String name, String source, String sha) {
  public static final Script COMMIT = load("commit");
  public static final Script LOAD = load("load");
  public static final Script EVICT = load("evict");

  static Script load(String name) {
    try (InputStream in = Script.class.getResourceAsStream("/lua/" + name + ".lua")) {
      if (in == null) {
        throw new IllegalStateException("missing script /lua/" + name + ".lua");
      }
      String source = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      byte[] digest = MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8));
      return new Script(name, source, HexFormat.of().formatHex(digest));
    } catch (IOException | NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
