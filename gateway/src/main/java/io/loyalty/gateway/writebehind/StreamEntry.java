package io.loyalty.gateway.writebehind;

/** An entry of a shard's write-behind stream: its id and its event's bytes. */
record StreamEntry(int shard, String id, byte[] body) {
}
