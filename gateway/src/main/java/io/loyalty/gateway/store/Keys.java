package io.loyalty.gateway.store;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Redis key names. A member's keys, its idempotency records and its shard's write-behind stream share the hash
 * tag {@code {N}} of the member's shard, so each script touches one Redis Cluster slot. The shard count is part
 * of the data layout: changing it would strand keys, so it is a constant, not a setting.
 */
public final class Keys {
  public static final int SHARDS = 16;
  private static final String PREFIX = "lg:";
  /** SCAN pattern that finds every member's keys; {@link #isMemberHash} picks out the hashes among them. */
  public static final String MEMBER_SCAN = PREFIX + "*:m:*";
  private static final Pattern MEMBER_HASH = Pattern.compile(Pattern.quote(PREFIX) + "\\{\\d+}:m:[0-9a-f-]{36}");

  private Keys() {
  }

  public static int shard(UUID member) {
    return (int) Math.floorMod(member.getLeastSignificantBits(), (long) SHARDS);
  }

  private static String tag(int shard) {
    return PREFIX + "{" + shard + "}:";
  }

  /** The seven keys of a member's hot copy, in the order the scripts expect them (see member.lua). */
  public static String[] member(UUID member) {
    String base = tag(shard(member)) + "m:" + member;
    return new String[] {base, base + ":lots", base + ":pend", base + ":avail", base + ":tx", base + ":holds",
        base + ":txage"};
  }

  /** Whether the key is a member's hash (the first of its seven keys). */
  public static boolean isMemberHash(String key) {
    return MEMBER_HASH.matcher(key).matches();
  }

  /** The member's keys followed by {@code more}, as one KEYS array. */
  public static String[] member(UUID member, String... more) {
    String[] keys = member(member);
    String[] all = java.util.Arrays.copyOf(keys, keys.length + more.length);
    System.arraycopy(more, 0, all, keys.length, more.length);
    return all;
  }

  /**
   * The keys of a money-moving script on a member, in the order the scripts expect: its seven keys, the
   * request's idempotency record, the member's write-behind stream, then {@code more}.
   */
  public static String[] change(UUID member, UUID tillRef, String idempotencyKey, String... more) {
    String[] fixed = {idempotency(member, tillRef, idempotencyKey), stream(member)};
    String[] all = java.util.Arrays.copyOf(fixed, fixed.length + more.length);
    System.arraycopy(more, 0, all, fixed.length, more.length);
    return member(member, all);
  }

  /** A new transaction id in the member's shard, so the transaction's keys share the member's slot. */
  public static UUID newTransactionId(UUID member) {
    UUID random = UUID.randomUUID();
    return new UUID(random.getMostSignificantBits(), (random.getLeastSignificantBits() & ~0xFL) | shard(member));
  }

  /** Transaction id to member id, in the transaction's (so the member's) slot. */
  public static String transactionIndex(UUID transaction) {
    return tag(shard(transaction)) + "x:" + transaction;
  }

  public static String idempotency(UUID member, UUID tillRef, String idempotencyKey) {
    return tag(shard(member)) + "i:" + tillRef + ":" + idempotencyKey;
  }

  public static String stream(int shard) {
    return tag(shard) + "wb";
  }

  /** Entries that could not be written to PostgreSQL on their own, kept for an operator to inspect. */
  public static String deadLetters(int shard) {
    return tag(shard) + "wb-dead";
  }

  /** Members of the shard by the expiry of their earliest hold, for the hold sweeper. */
  public static String holdsDue(int shard) {
    return tag(shard) + "holds-due";
  }

  public static String stream(UUID member) {
    return stream(shard(member));
  }

  /** Lookup indexes (phone or card to member id). Not slot-bound: read with a plain GET before a script. */
  public static String phoneIndex(String programId, String phone) {
    return PREFIX + "ix:" + programId + ":p:" + phone;
  }

  public static String cardIndex(String programId, String card) {
    return PREFIX + "ix:" + programId + ":c:" + card;
  }
}
