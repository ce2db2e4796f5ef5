package io.loyalty.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The hot path's JSON factory keeps one set of buffers per thread: parsers and generators open at once on one thread
 * never share a buffer, on an event loop (a Netty thread) or on any other thread.
 */
class JsonBuffersTest {
  @Test
  void parsersAndGeneratorsOpenAtOnceOnAnEventLoopThreadKeepTheirOwnText() throws Exception {
    AtomicReference<Object> result = new AtomicReference<>();
    Thread loop = new FastThreadLocalThread(() -> {
      try {
        result.set(interleaved());
      } catch (Throwable e) {
        result.set(e);
      }
    });
    loop.start();
    loop.join();
    assertThat(result.get()).isEqualTo(expected());
  }

  @Test
  void parsersAndGeneratorsOpenAtOnceOnAnyThreadKeepTheirOwnText() throws IOException {
    assertThat(interleaved()).isEqualTo(expected());
  }

  private static List<String> expected() {
    return List.of("first-0", "{\"z\":0}", "second-0", "{\"z\":1}", "first-1", "{\"z\":2}", "second-1",
        "{\"z\":3}", "first-2", "{\"z\":4}", "second-2", "{\"z\":5}",
        "{\"a\":\"first-0\",\"b\":\"second-0\",\"c\":\"first-1\",\"d\":\"second-1\",\"e\":\"first-2\",\"f\":\"second-2\"}");
  }

  /**
   * Two parsers read in turns while one generator stays open and another is opened and closed within it, all from
   * the one factory on the calling thread: what each read and wrote, in order.
   */
  private static List<String> interleaved() throws IOException {
    List<String> seen = new ArrayList<>();
    ByteArrayOutputStream outer = new ByteArrayOutputStream();
    try (JsonParser first = Answers.JSON.createParser(array("first"));
        JsonParser second = Answers.JSON.createParser(array("second"));
        JsonGenerator out = Answers.JSON.createGenerator(outer)) {
      first.nextToken();
      second.nextToken();
      out.writeStartObject();
      int n = 0;
      for (int i = 0; i < 3; i++) {
        for (JsonParser parser : List.of(first, second)) {
          parser.nextToken();
          seen.add(parser.getText());
          out.writeStringField(String.valueOf((char) ('a' + n)), parser.getText());
          ByteArrayOutputStream inner = new ByteArrayOutputStream();
          try (JsonGenerator nested = Answers.JSON.createGenerator(inner)) {
            nested.writeStartObject();
            nested.writeNumberField("z", n++);
            nested.writeEndObject();
          }
          seen.add(inner.toString(StandardCharsets.UTF_8));
        }
      }
      out.writeEndObject();
    }
    seen.add(outer.toString(StandardCharsets.UTF_8));
    return seen;
  }

  private static byte[] array(String prefix) {
    return ("[\"" + prefix + "-0\",\"" + prefix + "-1\",\"" + prefix + "-2\"]").getBytes(StandardCharsets.UTF_8);
  }
}
