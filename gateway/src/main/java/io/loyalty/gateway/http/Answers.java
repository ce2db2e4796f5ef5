package io.loyalty.gateway.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.util.BufferRecycler;
import com.fasterxml.jackson.core.util.RecyclerPool;
import io.loyalty.gateway.member.MemberStore;
import io.loyalty.gateway.rules.Answer;
import io.loyalty.gateway.rules.Refusal;
import io.netty.util.concurrent.FastThreadLocal;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Instant;

/**
 * The JSON of every answer the rules give, and the problem of every refusal: one place, so a fresh answer and its
 * replay are rendered by the same code.
 */
public final class Answers {
  private Answers() {
  }

  /** The one JSON factory of the hot path (request bodies read, answers written); its buffers: {@link Buffers}. */
  public static final JsonFactory JSON = JsonFactory.builder().recyclerPool(new Buffers()).build();

  /**
   * Jackson's buffers, one set per thread, found through Netty's {@code FastThreadLocal}: on an event loop (a Netty
   * thread) that is an index into the thread's own array. Jackson's own per-thread pool probes a {@code ThreadLocal}
   * map, which cost ~2% of the JVM's time under load on event loops carrying many thread-locals (JFR); a pool shared
   * by all threads cost 2.1% of the event loops' time, both loops taking from and returning to one concurrent deque
   * (BENCHMARKS.md). A parser and a generator open at once on one thread each get buffers: the recycler hands a
   * buffer out only once and allocates another while it is out.
   */
  private static final class Buffers extends RecyclerPool.ThreadLocalPoolBase<BufferRecycler> {
    private static final long serialVersionUID = 1L;
    private static final FastThreadLocal<BufferRecycler> PER_THREAD = new FastThreadLocal<>() {
      @Override
      protected BufferRecycler initialValue() {
        return new BufferRecycler();
      }
    };

    @Override
    public BufferRecycler acquirePooled() {
      return PER_THREAD.get();
    }
  }

  /** The reply to a change: its fresh answer, its replayed one, or the problem of its refusal. */
  public static Reply reply(int status, MemberStore.Outcome outcome) {
    if (outcome.replayed() != null) {
      return Reply.encoded(status, json(outcome.replayed()), true);
    }
    if (outcome.decision().refusal() != null) {
      throw problem(outcome.decision().refusal());
    }
    return Reply.encoded(status, json(outcome.decision().answer()), false);
  }

  /**
   * The answer's JSON, written straight into the buffer that is sent: the generator's own (recycled) buffer is
   * copied once, into it, when the generator closes.
   */
  public static Buffer json(Answer answer) {
    Buffer out = Buffer.buffer(512);
    try (JsonGenerator g = JSON.createGenerator(new OutputStream() {
      @Override
      public void write(int b) {
        out.appendByte((byte) b);
      }

      @Override
      public void write(byte[] b, int off, int len) {
        out.appendBytes(b, off, len);
      }
    })) {
      g.writeStartObject();
      if (answer instanceof Answer.Purchase p) {
        g.writeStringField("transaction_id", p.transactionId().toString());
        g.writeStringField("member_id", p.memberId().toString());
        g.writeNumberField("accrued_points", p.accruedPoints());
        g.writeStringField("accrued_status", p.accruedPending() ? "pending" : "available");
        g.writeNumberField("redeemed_points", p.redeemedPoints());
        g.writeNumberField("revived_points", p.revivedPoints());
        g.writeNumberField("total_minor", p.totalMinor());
        g.writeNumberField("amount_due_minor", p.amountDueMinor());
        g.writeNumberField("saved_minor", p.savedMinor());
        balance(g, p.balance());
        g.writeNumberField("lifetime_spend_minor", p.lifetimeSpendMinor());
        g.writeObjectFieldStart("tier");
        g.writeStringField("name", p.tier().name());
        g.writeStringField("next", p.tier().next());
        g.writeFieldName("spend_to_next_minor");
        if (p.tier().spendToNextMinor() < 0) {
          g.writeNull();
        } else {
          g.writeNumber(p.tier().spendToNextMinor());
        }
        g.writeEndObject();
        if (p.capture()) {
          g.writeStringField("status", "captured");
        }
      } else if (answer instanceof Answer.Authorized a) {
        g.writeStringField("authorization_id", a.authorizationId().toString());
        g.writeStringField("member_id", a.memberId().toString());
        g.writeStringField("status", "authorized");
        g.writeNumberField("held_points", a.heldPoints());
        g.writeNumberField("expected_accrual_points", a.expectedAccrualPoints());
        g.writeStringField("expires_at", Instant.ofEpochMilli(a.expiresAt()).toString());
        balance(g, a.balance());
      } else if (answer instanceof Answer.Voided v) {
        g.writeStringField("authorization_id", v.authorizationId().toString());
        g.writeStringField("member_id", v.memberId().toString());
        g.writeStringField("status", "voided");
        g.writeNumberField("released_points", v.releasedPoints());
        balance(g, v.balance());
      } else {
        Answer.Refunded r = (Answer.Refunded) answer;
        g.writeStringField("refund_id", r.refundId().toString());
        g.writeStringField("transaction_id", r.transactionId().toString());
        g.writeNumberField("reversed_accrual_points", r.reversedPoints());
        g.writeNumberField("restored_points", r.restoredPoints());
        g.writeNumberField("clawback_shortfall_points", r.shortfallPoints());
        g.writeNumberField("refunded_minor", r.refundedMinor());
        balance(g, r.balance());
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // writing to memory does not fail
    }
    return out;
  }

  private static void balance(JsonGenerator g, Answer.Balance b) throws IOException {
    g.writeObjectFieldStart("balance");
    g.writeNumberField("available", b.available());
    g.writeNumberField("pending", b.pending());
    g.writeNumberField("held", b.held());
    g.writeEndObject();
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
