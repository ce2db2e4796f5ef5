package io.loyalty.gateway.writebehind;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.loyalty.gateway.store.StoredJson;
import io.vertx.core.json.DecodeException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * One write-behind event as the commit in member.lua wrote it, read with a streaming parser straight into what
 * {@link Batch} binds: no JSON tree, and each transaction record kept as the text it arrived as (it is stored
 * as jsonb), not decoded and encoded again. The profile put the tree decoding at a quarter of the worker's time.
 */
record Event(UUID member, String program, long at, long seq, long available, long pending, long held, long spend,
    long debt, List<Map<String, Object>> ledger, List<Transaction> transactions, List<Map<String, Object>> lots,
    Map<String, Object> idempotency) {

  /** A transaction record's scalar fields, its refunded total (from the nested "rf"), and its JSON text. */
  record Transaction(Map<String, Object> fields, long refundedMinor, String json) {
  }

  static Event parse(String json) {
    try (JsonParser p = StoredJson.parser(json)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new IllegalArgumentException("not a JSON object");
      }
      Map<String, Object> top = new HashMap<>();
      List<Map<String, Object>> ledger = List.of();
      List<Transaction> transactions = List.of();
      List<Map<String, Object>> lots = List.of();
      Map<String, Object> idempotency = null;
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        switch (name) {
          case "l" -> ledger = objects(p, value);
          case "lots" -> lots = objects(p, value);
          case "txs" -> transactions = transactions(p, value, json);
          case "idem" -> idempotency = value == JsonToken.START_OBJECT ? fields(p, null) : null;
          default -> top.put(name, scalar(p, value));
        }
      }
      return new Event(UUID.fromString(text(top, "m")), text(top, "p"), number(top, "t", null),
          number(top, "s", null), number(top, "a", null), number(top, "pe", null), number(top, "h", null),
          number(top, "sp", null), number(top, "d", 0L), ledger, transactions, lots, idempotency);
    } catch (IOException | RuntimeException e) {
      throw new DecodeException("write-behind event does not decode: " + e.getMessage());
    }
  }

  static String text(Map<String, Object> fields, String name) {
    Object value = fields.get(name);
    return value == null ? null : value.toString();
  }

  /** A number field, or null when it is missing or null. */
  static Long optional(Map<String, Object> fields, String name) {
    return fields.get(name) instanceof Number n ? n.longValue() : null;
  }

  /** A number field; {@code absent} when it is missing or null, which must not happen when absent is null. */
  static long number(Map<String, Object> fields, String name, Long absent) {
    Object value = fields.get(name);
    if (value instanceof Number n) {
      return n.longValue();
    }
    if (absent == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return absent;
  }

  /** A list of flat objects. cjson encodes an empty Lua table as {}, so an empty list may arrive as an object. */
  private static List<Map<String, Object>> objects(JsonParser p, JsonToken value) throws IOException {
    List<Map<String, Object>> list = new ArrayList<>();
    if (value == JsonToken.START_ARRAY) {
      while (p.nextToken() == JsonToken.START_OBJECT) {
        list.add(fields(p, null));
      }
    } else {
      p.skipChildren();
    }
    return list;
  }

  private static List<Transaction> transactions(JsonParser p, JsonToken value, String json) throws IOException {
    List<Transaction> list = new ArrayList<>();
    if (value != JsonToken.START_ARRAY) {
      p.skipChildren();
      return list;
    }
    while (p.nextToken() == JsonToken.START_OBJECT) {
      int start = (int) p.currentTokenLocation().getCharOffset();
      Map<String, Object> fields = fields(p, "rf");
      int end = (int) p.currentTokenLocation().getCharOffset() + 1;
      Object refunds = fields.remove("rf");
      long refunded = refunds instanceof Map<?, ?> rf && rf.get("tot") instanceof Number n ? n.longValue() : 0L;
      list.add(new Transaction(fields, refunded, json.substring(start, end)));
    }
    return list;
  }

  /**
   * The scalar fields of the object whose START_OBJECT is the current token, up to its END_OBJECT; nested values
   * are skipped, except the object named {@code nested}, read the same way.
   */
  private static Map<String, Object> fields(JsonParser p, String nested) throws IOException {
    Map<String, Object> fields = new HashMap<>();
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if (value == JsonToken.START_OBJECT && name.equals(nested)) {
        fields.put(name, fields(p, null));
      } else if (value.isStructStart()) {
        p.skipChildren();
      } else {
        fields.put(name, scalar(p, value));
      }
    }
    return fields;
  }

  private static Object scalar(JsonParser p, JsonToken value) throws IOException {
    return switch (value) {
      case VALUE_STRING -> p.getText();
      case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> p.getNumberValue();
      case VALUE_TRUE, VALUE_FALSE -> p.getBooleanValue();
      case VALUE_NULL -> null;
      default -> {
        p.skipChildren();
        yield null;
      }
    };
  }
}
