package io.loyalty.gateway.writebehind;

import io.loyalty.gateway.rules.Entry;
import io.loyalty.gateway.webhook.Outbox;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;

/**
 * The events a committed change gives rise to, for members who take service notices: its expired points (one event
 * per change), its revived points, its tier change. Each fact is keyed by the member and the seq that recorded it.
 */
final class Facts {
  static final String CONSENT = "consent";

  private Facts() {
  }

  static List<Outbox.Fact> of(List<Event> added) {
    List<Outbox.Fact> facts = new ArrayList<>();
    for (Event e : added) {
      if (!e.profile().serviceNotices() || e.entries().isEmpty()) {
        continue;
      }
      String phone = e.profile().personalData() ? e.profile().phone() : null;
      long expired = 0;
      long expiredSeq = -1;
      long expiredAt = 0;
      for (Entry entry : e.entries()) {
        if (entry.kind().equals("expire")) {
          expired -= entry.points();
          expiredSeq = expiredSeq < 0 ? entry.seq() : expiredSeq;
          expiredAt = Math.max(expiredAt, entry.at());
        } else if (entry.kind().equals("revive")) {
          facts.add(new Outbox.Fact("revived:" + e.member() + ":" + entry.seq(), Outbox.REVIVED, e.programId(),
              e.member(), phone, entry.at(), new JsonObject().put("points", entry.points())
                  .put("transaction_id", entry.transaction() == null ? null : entry.transaction().toString())));
        }
      }
      if (expired > 0) {
        facts.add(new Outbox.Fact("expired:" + e.member() + ":" + expiredSeq, Outbox.EXPIRED, e.programId(),
            e.member(), phone, expiredAt, new JsonObject().put("points", expired).put("balance", e.available())));
      }
      if (e.tierChange() != null) {
        Entry last = e.entries().get(e.entries().size() - 1);
        facts.add(new Outbox.Fact("tier:" + e.member() + ":" + e.seq(), Outbox.TIER_CHANGED, e.programId(),
            e.member(), phone, last.at(), new JsonObject().put("from", e.tierChange().from())
                .put("to", e.tierChange().to())));
      }
    }
    return facts;
  }
}
