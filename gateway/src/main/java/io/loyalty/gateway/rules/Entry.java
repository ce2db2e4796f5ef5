package io.loyalty.gateway.rules;

import java.util.UUID;

/**
 * One ledger row: a movement of points with the member seq it made. The deltas of all a member's entries add up to
 * its balance.
 *
 * @param lotId the lot moved, or -1
 * @param transaction the purchase or authorisation it belongs to, or null (maturing)
 */
public record Entry(long seq, String kind, long points, long availableDelta, long pendingDelta, long heldDelta,
    long lotId, String reason, long at, UUID transaction, String receipt, UUID till) {
}
