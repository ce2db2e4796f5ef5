package io.loyalty.gateway.purchase;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.loyalty.gateway.http.Answers;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.rules.Command;
import java.io.IOException;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The everyday purchase body read in one streaming pass, with its fingerprint, and no JSON tree. It takes only
 * bodies it is sure of: anything else (another field, a repeated one, a null, another type, a phone to normalise,
 * enrolment) makes it give up, and the caller reads the body with {@link PurchaseRequest#parse}, which is the
 * authority on every error. So it never accepts what that would refuse, and never answers differently. The
 * fingerprint hashes the body re-encoded token by token (streamed into the digest, not copied), exactly as the tree
 * re-encodes it (a test compares them), so a body sent alone and the same body in a batch are the same request.
 */
public final class PurchaseBody {
  private static final JsonFactory JSON = Answers.JSON;

  private PurchaseBody() {
  }

  /** A request and its fingerprint, or null when the body needs the tree parser. */
  public static Parsed read(byte[] body, String route) {
    MessageDigest sha = Purchases.fingerprinting(route);
    try (JsonParser p = JSON.createParser(body);
         JsonGenerator g = JSON.createGenerator(new DigestOutputStream(OutputStream.nullOutputStream(), sha))) {
      Reader r = new Reader(p, g);
      PurchaseRequest request = r.purchase();
      if (request == null || p.nextToken() != null) {
        return null;
      }
      g.flush();
      return new Parsed(request, Purchases.fingerprint(sha));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** A purchase body's request and fingerprint. */
  public record Parsed(PurchaseRequest request, byte[] fingerprint) {
  }

  /** Reads tokens, copying each to the canonical re-encoding; every method returns null to give up. */
  private record Reader(JsonParser p, JsonGenerator g) {
    JsonToken next() throws IOException {
      JsonToken token = p.nextToken();
      if (token != null) {
        g.copyCurrentEvent(p);
      }
      return token;
    }

    PurchaseRequest purchase() throws IOException {
      if (next() != JsonToken.START_OBJECT) {
        return null;
      }
      Set<String> seen = new HashSet<>();
      MemberRef member = null;
      Receipt receipt = null;
      long redeem = 0;
      while (next() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (!seen.add(name)) {
          return null;
        }
        switch (name) {
          case "member" -> member = member();
          case "receipt" -> receipt = receipt();
          case "redeem_points" -> redeem = redeem();
          case "enroll_if_missing" -> {
            if (next() != JsonToken.VALUE_FALSE) {
              return null; // enrolment needs a phone: the tree parser's case
            }
          }
          default -> {
            return null;
          }
        }
        if (member == null && name.equals("member") || receipt == null && name.equals("receipt") || redeem == -2) {
          return null;
        }
      }
      return p.currentToken() == JsonToken.END_OBJECT && member != null && receipt != null
          ? new PurchaseRequest(member, receipt, redeem, false) : null;
    }

    /** {@code {id}} or {@code {card}}. */
    MemberRef member() throws IOException {
      if (next() != JsonToken.START_OBJECT || next() != JsonToken.FIELD_NAME) {
        return null;
      }
      String name = p.currentName();
      String value = text(64, name.equals("card") ? MemberRef.CARD : null);
      if (value == null || next() != JsonToken.END_OBJECT) {
        return null;
      }
      if (name.equals("id")) {
        UUID id = MemberRef.uuid(value);
        return id == null ? null : new MemberRef(id, null, null);
      }
      return name.equals("card") ? new MemberRef(null, null, value) : null;
    }

    Receipt receipt() throws IOException {
      if (next() != JsonToken.START_OBJECT) {
        return null;
      }
      Set<String> seen = new HashSet<>();
      String number = null;
      long total = 0;
      List<Receipt.Line> lines = null;
      while (next() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        if (!seen.add(name)) {
          return null;
        }
        switch (name) {
          case "number" -> number = text(64, PurchaseRequest.RECEIPT_NUMBER);
          case "total_minor" -> total = integer(1, Fields.MAX_AMOUNT_MINOR);
          case "lines" -> lines = lines();
          default -> {
            return null;
          }
        }
        if (number == null && name.equals("number") || total < 0 || lines == null && name.equals("lines")) {
          return null;
        }
      }
      return number != null && total > 0 && lines != null ? new Receipt(number, total, lines) : null;
    }

    List<Receipt.Line> lines() throws IOException {
      if (next() != JsonToken.START_ARRAY) {
        return null;
      }
      List<Receipt.Line> lines = new ArrayList<>();
      while (next() == JsonToken.START_OBJECT) {
        String sku = null;
        String category = null;
        long amount = 0;
        Set<String> seen = new HashSet<>(4);
        while (next() == JsonToken.FIELD_NAME) {
          String name = p.currentName();
          if (!seen.add(name)) {
            return null;
          }
          switch (name) {
            case "sku" -> sku = text(64, PurchaseRequest.SKU);
            case "category" -> category = text(64, Program.CATEGORY);
            case "amount_minor" -> amount = integer(1, Fields.MAX_AMOUNT_MINOR);
            default -> {
              return null;
            }
          }
          if (sku == null && name.equals("sku") || category == null && name.equals("category") || amount < 0) {
            return null;
          }
        }
        if (sku == null || amount == 0 || lines.size() == PurchaseRequest.MAX_LINES) {
          return null;
        }
        lines.add(new Receipt.Line(sku, category, amount));
      }
      return p.currentToken() == JsonToken.END_ARRAY && !lines.isEmpty() ? List.copyOf(lines) : null;
    }

    /** The points asked for: a number, or "max" ({@link Command#REDEEM_MAX}); -2 to give up. */
    long redeem() throws IOException {
      JsonToken token = next();
      if (token == JsonToken.VALUE_STRING) {
        return "max".equals(p.getText()) ? Command.REDEEM_MAX : -2;
      }
      long points = token == JsonToken.VALUE_NUMBER_INT ? integerValue(0, PurchaseRequest.MAX_POINTS) : -1;
      return points < 0 ? -2 : points;
    }

    /** A string of 1..max characters matching the rule (if any), or null. */
    String text(int max, Predicate<String> rule) throws IOException {
      if (next() != JsonToken.VALUE_STRING) {
        return null;
      }
      String text = p.getText();
      return text.isEmpty() || text.length() > max || rule != null && !rule.test(text) ? null : text;
    }

    /** An integer in [min, max], or -1. */
    long integer(long min, long max) throws IOException {
      return next() == JsonToken.VALUE_NUMBER_INT ? integerValue(min, max) : -1;
    }

    long integerValue(long min, long max) throws IOException {
      JsonParser.NumberType type = p.getNumberType();
      if (type != JsonParser.NumberType.INT && type != JsonParser.NumberType.LONG) {
        return -1;
      }
      long value = p.getLongValue();
      return value < min || value > max ? -1 : value;
    }
  }
}
