package io.loyalty.gateway.program;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;

/** Till API keys and the admin token: generated at random, stored and compared only as SHA-256 hashes. */
public final class Secrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int KEY_BYTES = 32;

  private Secrets() {
  }

  public static String newApiKey(String prefix) {
    byte[] bytes = new byte[KEY_BYTES];
    RANDOM.nextBytes(bytes);
    return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
  }

  /** One digest per thread: looking the algorithm up costs as much as hashing a key. */
  private static final ThreadLocal<MessageDigest> SHA_256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  public static byte[] hash(String secret) {
    return SHA_256.get().digest(secret.getBytes(StandardCharsets.UTF_8));
  }

  /** Constant-time comparison of a presented secret against a stored hash. */
  public static boolean matches(String presented, byte[] storedHash) {
    return presented != null && MessageDigest.isEqual(hash(presented), storedHash);
  }

  /** The secret of an {@code Authorization: Bearer <secret>} header, or null. */
  public static String bearer(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String secret = authorization.substring(7).trim();
    return secret.isEmpty() ? null : secret;
  }
}
