package io.loyalty.gateway.report;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * JSON rows as CSV (RFC 4180): nested objects become columns joined with '_' (expiring.d7 → expiring_d7), columns
 * in the first row's order, a header row first, CRLF line ends.
 */
final class Csv {
  private Csv() {
  }

  static String of(List<JsonObject> rows) {
    List<Map<String, Object>> flat = new ArrayList<>();
    rows.forEach(row -> {
      Map<String, Object> cells = new LinkedHashMap<>();
      flatten("", row, cells);
      flat.add(cells);
    });
    List<String> columns = new ArrayList<>();
    flat.forEach(cells -> cells.keySet().stream().filter(c -> !columns.contains(c)).forEach(columns::add));
    StringBuilder out = new StringBuilder();
    line(out, new ArrayList<>(columns));
    for (Map<String, Object> cells : flat) {
      line(out, columns.stream().map(cells::get).toList());
    }
    return out.toString();
  }

  private static void flatten(String prefix, JsonObject object, Map<String, Object> into) {
    for (String name : object.fieldNames()) {
      Object value = object.getValue(name);
      if (value instanceof JsonObject nested) {
        flatten(prefix + name + "_", nested, into);
      } else {
        into.put(prefix + name, value);
      }
    }
  }

  private static void line(StringBuilder out, List<?> cells) {
    for (int i = 0; i < cells.size(); i++) {
      if (i > 0) {
        out.append(',');
      }
      Object cell = cells.get(i);
      String text = cell == null ? "" : cell.toString();
      if (text.indexOf(',') >= 0 || text.indexOf('"') >= 0 || text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
        text = '"' + text.replace("\"", "\"\"") + '"';
      }
      out.append(text);
    }
    out.append("\r\n");
  }
}
