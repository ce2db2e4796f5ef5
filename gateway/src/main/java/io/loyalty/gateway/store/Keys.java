package io.loyalty.gateway.store;

import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Redis key names. A member's state, its idempotency records, its authorisations' index entries and its shard's
 * write-behind stream share the hash tag {@code {N}} of the member's shard, so each commit touches one Redis
 * Cluster slot. The shard count is part of the data layout: changing it would strand keys, so it is a constant,
 * not a setting.
 */
public final class Keys {
  /**
   * Hash tags members are spread over: enough that a Redis Cluster of a few dozen masters gets several each (Redis
   * Cluster has 16 384 slots; a tag is one of them), few enough that the write-behind, which reads each shard's
   * stream with a call of its own, still gathers batches. A power of two: transaction ids carry their member's
   * shard in their low bits.
   */
  public static final int SHARDS = 256;
  private static final String PREFIX = "lg:";
  /** SCAN pattern that finds every member's state (and nothing else: see {@link #isMemberState}). */
  public static final String MEMBER_SCAN = PREFIX + "*:m:*";
  private static final Pattern MEMBER_STATE = Pattern.compile(Pattern.quote(PREFIX) + "\\{\\d+}:m:[0-9a-f-]{36}");

  private Keys() {
  }

  public static int shard(UUID member) {
    return (int) Math.floorMod(member.getLeastSignificantBits(), (long) SHARDS);
  }

  private static String tag(int shard) {
    return PREFIX + "{" + shard + "}:";
  }

  /** The member's state: one binary value (see StateCodec). */
  public static String member(UUID member) {
    return tag(shard(member)) + "m:" + member;
  }

  public static boolean isMemberState(String key) {
    return MEMBER_STATE.matcher(key).matches();
  }

  public static UUID memberOf(String stateKey) {
    return UUID.fromString(stateKey.substring(stateKey.length() - 36));
  }

  /**
   * A new transaction id in the member's shard, so its keys share the member's slot. Laid out as a UUID version 7:
   * Unix milliseconds first, then 66 random bits, then the shard (8 bits), so PostgreSQL's index of
   * transactions takes each new id at its right edge rather than on a random page of an index that outgrows memory
   * (the ledger insert costs ~20% less per row for it: BENCHMARKS.md).
   */
  public static UUID newTransactionId(UUID member) {
    return newTransactionId(member, System.currentTimeMillis());
  }

  static UUID newTransactionId(UUID member, long epochMillis) {
    byte[] bytes = new byte[10]; // 12 bits for the time's half, 62 for the other (less the shard's 8)
    RANDOM.get().nextBytes(bytes);
    ByteBuffer random = ByteBuffer.wrap(bytes);
    long time = epochMillis << 16 | 0x7000 | (random.getShort(0) & 0x0fff);
    long variant2 = random.getLong(2) & 0x3fffffffffffffffL | 0x8000000000000000L;
    return new UUID(time, (variant2 & -SHARDS) | shard(member));
  }

  /**
   * A strong generator per thread: {@code UUID.randomUUID}'s is shared by every thread, behind a lock, and reads
   * {@code /dev/urandom} every other id (~0.7 µs an id from two threads at once, against ~0.4 µs for this).
   */
  private static final ThreadLocal<SecureRandom> RANDOM = ThreadLocal.withInitial(() -> {
    try {
      return SecureRandom.getInstance("DRBG");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  });

  /** An authorisation's member, while it may still be captured or voided (in the authorisation's slot). */
  public static String authorization(UUID authorization) {
    return tag(shard(authorization)) + "a:" + authorization;
  }

  public static String idempotency(UUID member, UUID tillRef, String idempotencyKey) {
    return tag(shard(member)) + "i:" + tillRef + ":" + idempotencyKey;
  }

  public static String stream(int shard) {
    return tag(shard) + "wb";
  }

  public static String stream(UUID member) {
    return stream(shard(member));
  }

  /** Entries that could not be written to PostgreSQL on their own, kept for an operator to inspect. */
  public static String deadLetters(int shard) {
    return tag(shard) + "wb-dead";
  }

  /** Members of the shard by the expiry of their earliest open authorisation, for the hold sweeper. */
  public static String holdsDue(int shard) {
    return tag(shard) + "holds-due";
  }

  /** Lookup indexes (phone or card to member id). Not slot-bound: read with a plain GET before a commit. */
  public static String phoneIndex(String programId, String phone) {
    return PREFIX + "ix:" + programId + ":p:" + phone;
  }

  public static String cardIndex(String programId, String card) {
    return PREFIX + "ix:" + programId + ":c:" + card;
  }
}
