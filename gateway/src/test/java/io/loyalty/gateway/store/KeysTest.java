package io.loyalty.gateway.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class KeysTest {
  @Test
  void transactionIdsSortByTimeAsPostgresComparesThemAndStayInTheirMembersShard() {
    long now = 1_764_000_000_000L;
    Set<UUID> seen = new HashSet<>();
    UUID previous = null;
    for (int i = 0; i < 2_000; i++) {
      UUID member = UUID.randomUUID();
      UUID id = Keys.newTransactionId(member, now + i);
      assertEquals(Keys.shard(member), Keys.shard(id), "the id's keys share its member's slot");
      assertEquals(7, id.version());
      assertEquals(2, id.variant());
      assertEquals(now + i, id.getMostSignificantBits() >>> 16, "Unix milliseconds first");
      if (previous != null) {
        // PostgreSQL orders uuids by their bytes (unsigned); a later id goes to the index's right edge
        assertTrue(Long.compareUnsigned(previous.getMostSignificantBits(), id.getMostSignificantBits()) < 0);
      }
      assertTrue(seen.add(id));
      previous = id;
    }
    UUID member = UUID.randomUUID();
    assertNotEquals(Keys.newTransactionId(member, now), Keys.newTransactionId(member, now), "random within a ms");
  }
}
