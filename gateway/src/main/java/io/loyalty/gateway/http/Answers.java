package io.loyalty.gateway.http;

import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.member.MemberView;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.rules.Refusal;
import io.vertx.core.json.JsonObject;
import java.time.Instant;

/**
 * The JSON of every answer the rules give, and the problem of every refusal: one place, so a fresh answer and its
 * replay are rendered by the same code.
 */
public final class Answers {
  private Answers() {
  }

  /** The reply to a change: its fresh answer, its replayed one, or the problem of its refusal. */
  public static Reply reply(int status, MemberStore.Outcome outcome) {
    if (outcome.replayed() != null) {
      return new Reply(status, json(outcome.replayed()), true);
    }
    if (outcome.decision().refusal() != null) {
      throw problem(outcome.decision().refusal());
    }
    return new Reply(status, json(outcome.decision().answer()));
  }

  public static JsonObject json(Answer answer) {
    if (answer instanceof Answer.Purchase p) {
      JsonObject json = new JsonObject()
          .put("transaction_id", p.transactionId().toString())
          .put("member_id", p.memberId().toString())
          .put("accrued_points", p.accruedPoints())
          .put("accrued_status", p.accruedPending() ? "pending" : "available")
          .put("redeemed_points", p.redeemedPoints())
          .put("total_minor", p.totalMinor())
          .put("amount_due_minor", p.amountDueMinor())
          .put("saved_minor", p.savedMinor())
          .put("balance", balance(p.balance()))
          .put("lifetime_spend_minor", p.lifetimeSpendMinor())
          .put("tier", Program.tierJson(p.tier().name(), p.tier().next(),
              p.tier().spendToNextMinor() < 0 ? null : p.tier().spendToNextMinor()));
      return p.capture() ? json.put("status", "captured") : json;
    } else if (answer instanceof Answer.Authorized a) {
      return new JsonObject()
          .put("authorization_id", a.authorizationId().toString())
          .put("member_id", a.memberId().toString())
          .put("status", "authorized")
          .put("held_points", a.heldPoints())
          .put("expected_accrual_points", a.expectedAccrualPoints())
          .put("expires_at", Instant.ofEpochMilli(a.expiresAt()).toString())
          .put("balance", balance(a.balance()));
    } else if (answer instanceof Answer.Voided v) {
      return new JsonObject()
          .put("authorization_id", v.authorizationId().toString())
          .put("member_id", v.memberId().toString())
          .put("status", "voided")
          .put("released_points", v.releasedPoints())
          .put("balance", balance(v.balance()));
    }
    Answer.Refunded r = (Answer.Refunded) answer;
    return new JsonObject()
        .put("refund_id", r.refundId().toString())
        .put("transaction_id", r.transactionId().toString())
        .put("reversed_accrual_points", r.reversedPoints())
        .put("restored_points", r.restoredPoints())
        .put("clawback_shortfall_points", r.shortfallPoints())
        .put("refunded_minor", r.refundedMinor())
        .put("balance", balance(r.balance()));
  }

  private static JsonObject balance(Answer.Balance b) {
    return MemberView.balance(b.available(), b.pending(), b.held());
  }

  public static ApiException problem(Refusal r) {
    return switch (r.reason()) {
      case REDEEM_CAP_EXCEEDED -> new ApiException(ErrorCode.REDEEM_CAP_EXCEEDED,
          "At most " + r.amount() + " points can be redeemed on this receipt",
          new JsonObject().put("max_redeemable_points", r.amount()));
      case INSUFFICIENT_POINTS -> new ApiException(ErrorCode.INSUFFICIENT_POINTS,
          "The member cannot redeem that many points; at most " + r.amount() + " on this receipt",
          new JsonObject().put("max_redeemable_points", r.amount()));
      case CAPTURE_EXCEEDS_AUTHORIZATION -> new ApiException(ErrorCode.CAPTURE_EXCEEDS_AUTHORIZATION,
          "The authorisation was for " + r.amount() + "; capture that or less",
          new JsonObject().put("authorized_total_minor", r.amount()));
      case AUTHORIZATION_EXPIRED -> new ApiException(ErrorCode.AUTHORIZATION_EXPIRED,
          "The hold expired uncaptured and was released; authorise again");
      case INVALID_STATE -> new ApiException(ErrorCode.INVALID_STATE, "The transaction is " + r.text(),
          new JsonObject().put("current_status", r.text()));
      case TRANSACTION_NOT_FOUND -> transactionNotFound();
      case REFUND_EXCEEDS_PURCHASE -> new ApiException(ErrorCode.REFUND_EXCEEDS_PURCHASE, r.text(),
          new JsonObject().put("refundable_minor", r.amount()));
      case SKU_NOT_ON_RECEIPT -> {
        Fields f = new Fields();
        f.error("lines", "SKU '" + r.text() + "' is not on the receipt");
        yield f.invalid();
      }
    };
  }

  public static ApiException transactionNotFound() {
    return new ApiException(ErrorCode.TRANSACTION_NOT_FOUND, "No such transaction in this program");
  }
}
