package io.loyalty.gateway.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * The primitives every binary format here is made of: zigzag varints (small numbers take one byte, times six),
 * UUIDs as 16 bytes, strings and byte strings with a length in front (null allowed). Formats start with a
 * version byte of their own.
 */
public final class Binary {
  private Binary() {
  }

  /** A growing buffer written front to back. */
  public static final class Writer {
    private byte[] bytes;
    private int size;

    public Writer(int capacity) {
      bytes = new byte[capacity];
    }

    private void ensure(int more) {
      if (size + more > bytes.length) {
        bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, size + more));
      }
    }

    public Writer write(int b) {
      ensure(1);
      bytes[size++] = (byte) b;
      return this;
    }

    public Writer fixedLong(long value) {
      ensure(8);
      for (int shift = 56; shift >= 0; shift -= 8) {
        bytes[size++] = (byte) (value >>> shift);
      }
      return this;
    }

    public Writer varLong(long value) {
      long v = (value << 1) ^ (value >> 63);
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        bytes[size++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      bytes[size++] = (byte) v;
      return this;
    }

    public Writer bool(boolean value) {
      return write(value ? 1 : 0);
    }

    public Writer uuid(UUID value) {
      return fixedLong(value.getMostSignificantBits()).fixedLong(value.getLeastSignificantBits());
    }

    /** A UUID that may be null (one byte more). */
    public Writer optionalUuid(UUID value) {
      return value == null ? write(0) : write(1).uuid(value);
    }

    public Writer string(String value) {
      if (value == null) {
        return varLong(-1);
      }
      int n = value.length();
      for (int i = 0; i < n; i++) {
        if (value.charAt(i) >= 0x80) {
          return bytes(value.getBytes(StandardCharsets.UTF_8));
        }
      }
      varLong(n); // ASCII, the usual case: its UTF-8 is one byte per char, written without a copy
      ensure(n);
      for (int i = 0; i < n; i++) {
        bytes[size++] = (byte) value.charAt(i);
      }
      return this;
    }

    public Writer bytes(byte[] value) {
      varLong(value.length);
      ensure(value.length);
      System.arraycopy(value, 0, bytes, size, value.length);
      size += value.length;
      return this;
    }

    public byte[] toBytes() {
      return Arrays.copyOf(bytes, size);
    }
  }

  /** Reads what a {@link Writer} wrote, in the same order. */
  public static final class Reader {
    private final byte[] bytes;
    private int at;

    public Reader(byte[] bytes) {
      this(bytes, 0);
    }

    public Reader(byte[] bytes, int offset) {
      this.bytes = bytes;
      this.at = offset;
    }

    public int read() {
      if (at >= bytes.length) {
        throw new IllegalArgumentException("truncated: read past " + bytes.length + " bytes");
      }
      return bytes[at++] & 0xFF;
    }

    public long fixedLong() {
      long value = 0;
      for (int i = 0; i < 8; i++) {
        value = (value << 8) | read();
      }
      return value;
    }

    public long varLong() {
      long v = 0;
      for (int shift = 0; shift < 70; shift += 7) {
        int b = read();
        v |= (long) (b & 0x7F) << shift;
        if ((b & 0x80) == 0) {
          return (v >>> 1) ^ -(v & 1);
        }
      }
      throw new IllegalArgumentException("varint longer than 10 bytes");
    }

    /** A count of things to follow, checked against what is left so garbage cannot ask for a huge allocation. */
    public int count() {
      long n = varLong();
      if (n < 0 || n > bytes.length - at) {
        throw new IllegalArgumentException("count " + n + " with " + (bytes.length - at) + " bytes left");
      }
      return (int) n;
    }

    public boolean bool() {
      return read() != 0;
    }

    public UUID uuid() {
      return new UUID(fixedLong(), fixedLong());
    }

    public UUID optionalUuid() {
      return read() == 0 ? null : uuid();
    }

    public String string() {
      byte[] value = optionalBytes();
      return value == null ? null : new String(value, StandardCharsets.UTF_8);
    }

    public byte[] bytes() {
      byte[] value = optionalBytes();
      if (value == null) {
        throw new IllegalArgumentException("missing bytes");
      }
      return value;
    }

    private byte[] optionalBytes() {
      long n = varLong();
      if (n == -1) {
        return null;
      }
      return raw(n);
    }

    /** The next n bytes as they are (their length was given elsewhere). */
    public byte[] raw(long n) {
      if (n < 0 || n > bytes.length - at) {
        throw new IllegalArgumentException("length " + n + " with " + (bytes.length - at) + " bytes left");
      }
      byte[] value = Arrays.copyOfRange(bytes, at, at + (int) n);
      at += (int) n;
      return value;
    }

    public boolean done() {
      return at == bytes.length;
    }
  }
}
