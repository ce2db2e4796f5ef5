package io.loyalty.gateway.store;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.Map;

/**
 * Decodes the JSON the Lua scripts stored (write-behind events, transaction records). Jackson's default parser
 * interns field names in a shared table that is copied whenever a parse meets a new name; these documents key
 * receipt lines by SKU, so nearly every parse met new names and copied the whole table: ~45% of all the gateway
 * allocated under load (JFR, BENCHMARKS.md). This parser keeps field names as plain strings.
 */
public final class StoredJson {
  private static final ObjectMapper MAPPER =
      new ObjectMapper(JsonFactory.builder().disable(JsonFactory.Feature.CANONICALIZE_FIELD_NAMES).build());

  private StoredJson() {
  }

  @SuppressWarnings("unchecked")
  public static JsonObject object(String json) {
    try {
      return new JsonObject(MAPPER.readValue(json, Map.class));
    } catch (JsonProcessingException e) {
      throw new DecodeException("stored JSON does not decode: " + e.getOriginalMessage());
    }
  }
}
