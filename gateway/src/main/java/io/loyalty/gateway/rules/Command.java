package io.loyalty.gateway.rules;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What a request asks of a member's state; {@link Rules#decide} applies one. */
public sealed interface Command {
  /** {@code redeem_points: "max"}. */
  long REDEEM_MAX = -1;

  /**
   * A purchase at a till, or the authorisation of one (points held, accrual only expected).
   *
   * @param redeemRequest points asked for; 0 for none, {@link #REDEEM_MAX} for as many as allowed
   * @param occurredAt when the receipt was made (an offline receipt's own time); its lots are dated from it
   * @param store the till's store
   */
  record Buy(UUID transactionId, UUID till, String store, String receipt, long totalMinor, long eligibleMinor,
      List<SkuLine> lines, long redeemRequest, long occurredAt, boolean authorize) implements Command {
  }

  /**
   * Capture for the final receipt: its total and eligible amount and lines when given, else the total only (the
   * eligible part in proportion), else the authorised receipt as it was.
   *
   * @param totalMinor -1 when not given
   * @param lines null when not given
   */
  record Capture(UUID authorizationId, long totalMinor, long eligibleMinor, List<SkuLine> lines) implements Command {
  }

  record Void(UUID authorizationId) implements Command {
  }

  /**
   * A full or partial return of a captured transaction, by line ({sku: minor}) or, when lines is null, by amount.
   *
   * @param transaction the transaction as of the member state it is decided with
   */
  record Refund(UUID refundId, Transaction transaction, Map<String, Long> lines, long amountMinor) implements Command {
  }

  /** A change of consents; null leaves one as it is. {@code till} made it, or a manager when null. */
  record Consent(Boolean personalData, Boolean marketing, Boolean serviceNotices, UUID till) implements Command {
  }

  /** Nothing but what time has done: lots activated or expired, holds expired. */
  record Mature() implements Command {
  }
}
