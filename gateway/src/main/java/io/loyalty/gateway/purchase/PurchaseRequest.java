package io.loyalty.gateway.purchase;

import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Command;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** A validated {@code POST /v1/purchases} body. */
public record PurchaseRequest(MemberRef member, Receipt receipt, long redeemPoints, boolean enrollIfMissing) {
  public static final int MAX_LINES = 500;
  public static final long MAX_POINTS = 1_000_000_000_000L;
  static final Predicate<String> RECEIPT_NUMBER = Fields.printableAscii(true);
  static final Predicate<String> SKU = Fields.printableAscii(false);
  private static final Set<String> FIELDS = Set.of("member", "receipt", "redeem_points", "enroll_if_missing");

  public static PurchaseRequest parse(JsonObject body, Program program) {
    Fields f = new Fields();
    f.rejectUnknown(body, "", FIELDS);
    JsonObject memberJson = f.object(body, "", "member", true);
    MemberRef member = memberJson == null ? null : MemberRef.parse(f, "member.", memberJson, program);
    JsonObject receiptJson = f.object(body, "", "receipt", true);
    Receipt receipt = receiptJson == null ? null : receipt(f, "receipt.", receiptJson);
    long redeem = 0;
    Object redeemValue = body.getValue("redeem_points");
    if ("max".equals(redeemValue)) {
      redeem = Command.REDEEM_MAX;
    } else if (redeemValue instanceof String) {
      f.error("redeem_points", "must be a whole number of points or \"max\"");
    } else {
      redeem = f.integer(body, "", "redeem_points", 0L, 0, MAX_POINTS);
    }
    boolean enroll = f.bool(body, "", "enroll_if_missing", false);
    if (enroll && member != null && member.phone() == null) {
      f.error("enroll_if_missing", "enrolment needs the member's phone");
    }
    f.throwIfInvalid();
    return new PurchaseRequest(member, receipt, redeem, enroll);
  }

  /** A receipt {@code {number, total_minor, lines}} at {@code path}; null (with errors in f) when invalid. */
  public static Receipt receipt(Fields f, String path, JsonObject receipt) {
    f.rejectUnknown(receipt, path, Set.of("number", "total_minor", "lines"));
    String number = f.text(receipt, path, "number", true, 64, RECEIPT_NUMBER);
    Long total = f.integer(receipt, path, "total_minor", null, 1, Fields.MAX_AMOUNT_MINOR);
    JsonArray lines = f.array(receipt, path, "lines", true, MAX_LINES);
    List<Receipt.Line> parsed = new ArrayList<>();
    if (lines != null && lines.isEmpty()) {
      f.error(path + "lines", "must have at least one line");
    }
    f.eachObject(lines, path + "lines", (linePath, line) -> {
      f.rejectUnknown(line, linePath, Set.of("sku", "category", "amount_minor"));
      String sku = f.text(line, linePath, "sku", true, 64, SKU);
      String category = f.text(line, linePath, "category", false, 64, Program.CATEGORY);
      Long amount = f.integer(line, linePath, "amount_minor", null, 1, Fields.MAX_AMOUNT_MINOR);
      if (sku != null && amount != null) {
        parsed.add(new Receipt.Line(sku, category, amount));
      }
    });
    return f.ok() ? new Receipt(number, total, List.copyOf(parsed)) : null;
  }

  /** The sum of the integer amount_minor values of an array of lines (anything else counts 0). */
  public static long sumOfLines(Object lines) {
    long sum = 0;
    if (lines instanceof JsonArray array) {
      for (Object line : array) {
        if (line instanceof JsonObject object && object.getValue("amount_minor") instanceof Number amount
            && (amount instanceof Integer || amount instanceof Long)) {
          sum += amount.longValue();
        }
      }
    }
    return sum;
  }
}
