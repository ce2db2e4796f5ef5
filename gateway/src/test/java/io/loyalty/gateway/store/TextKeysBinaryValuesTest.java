package io.loyalty.gateway.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.lettuce.core.RedisClient;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.loyalty.gateway.support.TestStores;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The codec that writes keys and values straight into Lettuce's buffer says the same bytes as Lettuce's own. */
class TextKeysBinaryValuesTest {
  @Test
  void keysAndValuesReachRedisAsLettucesOwnCodecSendsThem() {
    RedisClient client = RedisClient.create(TestStores.get().redisUrl());
    try (StatefulRedisConnection<String, byte[]> ours = client.connect(TextKeysBinaryValues.INSTANCE);
         StatefulRedisConnection<String, byte[]> lettuces =
             client.connect(RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE))) {
      // multi-byte characters: a length counted in chars instead of bytes would break the frame
      String key = "codec-test:карта:€:\uD83D\uDE00:" + System.nanoTime();
      byte[] value = {0, 1, (byte) 0xff, '\r', '\n', '$', 42};
      ours.sync().set(key, value);
      assertArrayEquals(value, lettuces.sync().get(key));
      ours.sync().set(key + ":empty", new byte[0]);
      assertArrayEquals(new byte[0], lettuces.sync().get(key + ":empty"));

      // a script's keys and arguments, as the commit sends them: Redis sees each one's bytes and length
      List<Object> seen = ours.sync().eval("return {KEYS[1], ARGV[1], string.len(ARGV[1]), ARGV[2]}",
          ScriptOutputType.MULTI, new String[] {key}, value, new byte[0]);
      assertEquals(key, new String((byte[]) seen.get(0), StandardCharsets.UTF_8));
      assertArrayEquals(value, (byte[]) seen.get(1));
      assertEquals((long) value.length, seen.get(2));
      assertArrayEquals(new byte[0], (byte[]) seen.get(3));
      lettuces.sync().del(key, key + ":empty");
    } finally {
      client.shutdown();
    }
  }
}
