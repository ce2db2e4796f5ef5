package io.loyalty.gateway.store;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;

/**
 * Keys as UTF-8 text, values as raw bytes, written straight into the command's buffer. Lettuce's
 * {@code RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE)} does the same through a {@link ByteBuffer} per
 * key and value (the composed codec is no {@link ToByteBufEncoder}): encoding the commands' arguments took 5.5% of
 * the event loops' samples with it, 3.9% with this one (BENCHMARKS.md, run 41).
 */
final class TextKeysBinaryValues implements RedisCodec<String, byte[]>, ToByteBufEncoder<String, byte[]> {
  static final TextKeysBinaryValues INSTANCE = new TextKeysBinaryValues();

  private TextKeysBinaryValues() {
  }

  @Override
  public void encodeKey(String key, ByteBuf target) {
    ByteBufUtil.writeUtf8(target, key);
  }

  @Override
  public void encodeValue(byte[] value, ByteBuf target) {
    if (value != null) { // as ByteArrayCodec: a null value is sent empty
      target.writeBytes(value);
    }
  }

  /** Exact, so Lettuce writes the length and then the bytes in place, with no buffer of their own. */
  @Override
  public int estimateSize(Object keyOrValue) {
    if (keyOrValue instanceof byte[] bytes) {
      return bytes.length;
    }
    return keyOrValue == null ? 0 : ByteBufUtil.utf8Bytes((CharSequence) keyOrValue);
  }

  @Override
  public boolean isEstimateExact() {
    return true;
  }

  @Override
  public String decodeKey(ByteBuffer bytes) {
    return StringCodec.UTF8.decodeKey(bytes);
  }

  @Override
  public byte[] decodeValue(ByteBuffer bytes) {
    return ByteArrayCodec.INSTANCE.decodeValue(bytes);
  }

  @Override
  public ByteBuffer encodeKey(String key) {
    return StringCodec.UTF8.encodeKey(key);
  }

  @Override
  public ByteBuffer encodeValue(byte[] value) {
    return ByteArrayCodec.INSTANCE.encodeValue(value);
  }
}
