package io.loyalty.gateway.writebehind;

/**
 * An entry of a shard's write-behind stream: its id and its event, as bytes read from the stream ({@code state}
 * null), or as the three parts its own gateway's commit sent (handed over: joined only if it is set aside).
 */
record StreamEntry(int shard, String id, byte[] head, byte[] state, byte[] record) {
  /** An entry read from the stream. */
  static StreamEntry read(int shard, String id, byte[] body) {
    return new StreamEntry(shard, id, body, null, null);
  }

  Event event() {
    return state == null ? Event.decode(head) : Event.decode(head, state, record);
  }

  /** The event's bytes, as the stream holds them. */
  byte[] body() {
    return state == null ? head : Event.whole(head, state, record);
  }
}
