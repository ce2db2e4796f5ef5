package io.loyalty.gateway.http;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Reads typed fields out of a request body and collects every problem, so one 422 lists all bad fields.
 * Paths in messages are JSON-pointer-like ({@code receipt.lines[2].amount_minor}).
 */
public final class Fields {
  /** Upper bound on any money amount: 10^11 minor units keeps every product in the rules below 2^53. */
  public static final long MAX_AMOUNT_MINOR = 100_000_000_000L;
  public static final int MAX_TEXT_LENGTH = 128;

  private final List<JsonObject> errors = new ArrayList<>();

  public void error(String path, String message) {
    errors.add(new JsonObject().put("field", path).put("message", message));
  }

  public boolean ok() {
    return errors.isEmpty();
  }

  /** Throws a 422 {@code invalid_field} listing every problem found so far, if any. */
  public void throwIfInvalid() {
    if (!errors.isEmpty()) {
      throw invalid();
    }
  }

  /** The 422 {@code invalid_field} listing every problem found so far. */
  public ApiException invalid() {
    return new ApiException(ErrorCode.INVALID_FIELD,
        errors.size() == 1 ? errors.get(0).getString("field") + ": " + errors.get(0).getString("message")
            : errors.size() + " fields are invalid",
        new JsonObject().put("errors", new JsonArray(new ArrayList<>(errors))));
  }

  public void rejectUnknown(JsonObject object, String path, Set<String> known) {
    for (String name : object.fieldNames()) {
      if (!known.contains(name)) {
        error(path + name, "unknown field");
      }
    }
  }

  /** An integer in [min, max]; {@code fallback} when absent or null (a null fallback makes it required). */
  public Long integer(JsonObject object, String path, String name, Long fallback, long min, long max) {
    Object value = object.getValue(name);
    if (value == null) {
      if (fallback == null) {
        error(path + name, "is required");
      }
      return fallback;
    }
    if (value instanceof java.math.BigInteger) {
      error(path + name, "must be between " + min + " and " + max);
      return fallback;
    }
    if (!(value instanceof Integer || value instanceof Long)) {
      error(path + name, "must be an integer");
      return fallback;
    }
    long number = ((Number) value).longValue();
    if (number < min || number > max) {
      error(path + name, "must be between " + min + " and " + max);
      return fallback;
    }
    return number;
  }

  /**
   * Printable ASCII (0x21-0x7E, and 0x20 when {@code space}), checked without a regular expression: these
   * fields are on every request.
   */
  public static Predicate<String> printableAscii(boolean space) {
    char lowest = space ? ' ' : '!';
    return text -> {
      for (int i = 0; i < text.length(); i++) {
        char c = text.charAt(i);
        if (c < lowest || c > '~') {
          return false;
        }
      }
      return true;
    };
  }

  /** A string of 1..maxLength characters matching {@code rule} (if given); null when absent and optional. */
  public String text(JsonObject object, String path, String name, boolean required, int maxLength,
      Predicate<String> rule) {
    Object value = object.getValue(name);
    if (value == null) {
      if (required) {
        error(path + name, "is required");
      }
      return null;
    }
    if (!(value instanceof String text)) {
      error(path + name, "must be a string");
      return null;
    }
    if (text.isEmpty() || text.length() > maxLength) {
      error(path + name, "must be 1 to " + maxLength + " characters");
      return null;
    }
    if (rule != null && !rule.test(text)) {
      error(path + name, "has an invalid format");
      return null;
    }
    return text;
  }

  public Boolean bool(JsonObject object, String path, String name, Boolean fallback) {
    Object value = object.getValue(name);
    if (value == null) {
      if (fallback == null) {
        error(path + name, "is required");
      }
      return fallback;
    }
    if (!(value instanceof Boolean b)) {
      error(path + name, "must be true or false");
      return fallback;
    }
    return b;
  }

  /** An object, or null (with an error when required). */
  public JsonObject object(JsonObject object, String path, String name, boolean required) {
    Object value = object.getValue(name);
    if (value == null) {
      if (required) {
        error(path + name, "is required");
      }
      return null;
    }
    if (!(value instanceof JsonObject child)) {
      error(path + name, "must be an object");
      return null;
    }
    return child;
  }

  /** Calls {@code each} with the path prefix and value of every element that is an object; reports the others. */
  public void eachObject(JsonArray array, String path, java.util.function.BiConsumer<String, JsonObject> each) {
    for (int i = 0; array != null && i < array.size(); i++) {
      String element = path + "[" + i + "]";
      if (array.getValue(i) instanceof JsonObject object) {
        each.accept(element + ".", object);
      } else {
        error(element, "must be an object");
      }
    }
  }

  /** An array of at most maxSize elements, or null (with an error when required). */
  public JsonArray array(JsonObject object, String path, String name, boolean required, int maxSize) {
    Object value = object.getValue(name);
    if (value == null) {
      if (required) {
        error(path + name, "is required");
      }
      return null;
    }
    if (!(value instanceof JsonArray array)) {
      error(path + name, "must be an array");
      return null;
    }
    if (array.size() > maxSize) {
      error(path + name, "must have at most " + maxSize + " elements");
      return null;
    }
    return array;
  }
}
