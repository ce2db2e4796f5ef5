package io.loyalty.gateway.rules;

import java.util.List;

/**
 * The outcome of one command: the next state and the ledger entries and transaction records that made it, and
 * either the answer or a refusal. A refusal still carries what time did to the member before it (maturing is
 * real whatever the request), which is committed like any change.
 *
 * @param tierChange null when the tier stayed
 * @param counted what a receipt made the member in the managers' member figures ({@link Visit#bit}s); 0 without one
 */
public record Decision(MemberState state, List<Entry> entries, List<Transaction> transactions, Answer answer,
    Refusal refusal, TierChange tierChange, int counted) {

  /** The member's tier moved (names null for no tier). */
  public record TierChange(String from, String to) {
  }

  public boolean changed() {
    return !entries.isEmpty() || !transactions.isEmpty();
  }
}
