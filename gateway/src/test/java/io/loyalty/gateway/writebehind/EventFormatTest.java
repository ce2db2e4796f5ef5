package io.loyalty.gateway.writebehind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loyalty.gateway.codec.Binary;
import io.loyalty.gateway.codec.StateCodec;
import io.loyalty.gateway.codec.TransactionCodec;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.rules.Decision;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The write-behind event as the commit script assembles it, and as older gateways left it in the stream. */
class EventFormatTest {
  static final long NOW = 1_790_000_000_000L;
  static final UUID MEMBER = UUID.randomUUID();
  static final UUID TILL = UUID.randomUUID();
  static final Profile PROFILE = new Profile("+79990000001", null, null, true, false, true, NOW);

  static Decision purchase(MemberState before) {
    Program program = Program.parse("shop", new JsonObject().put("currency", "RUB"));
    return Rules.decide(before, new Command.Buy(UUID.randomUUID(), TILL, "s1", "R-1", 300_000, 300_000, List.of(), 0,
        NOW, false), program, NOW);
  }

  static final byte[] ANSWER = "the stored answer".getBytes(StandardCharsets.UTF_8);

  /** A new member's first purchase: the state before, the decision, and its new state encoded. */
  record Committed(MemberState before, Decision decision, byte[] state) {
    static Committed firstPurchase() {
      MemberState before = MemberState.enrolled(MEMBER, "shop", PROFILE);
      Decision d = purchase(before);
      return new Committed(before, d, StateCodec.encode(d.state()));
    }
  }

  static byte[] concat(byte[]... parts) {
    byte[] whole = new byte[0];
    for (byte[] part : parts) {
      int at = whole.length;
      whole = Arrays.copyOf(whole, at + part.length);
      System.arraycopy(part, 0, whole, at, part.length);
    }
    return whole;
  }

  @Test
  void theHeadWithTheStateAndRecordAppendedIsTheWholeEvent() {
    Committed c = Committed.firstPurchase();
    MemberState before = c.before();
    Decision d = c.decision();
    byte[] state = c.state();
    byte[] record = ANSWER;

    byte[] whole = Event.encode(before, d, state, TILL, "key-1", record);
    // what commit.lua does: ARGV[6] .. ARGV[2] .. ARGV[4]
    assertThat(concat(Event.head(before, d, state.length, TILL, "key-1", record.length), state, record))
        .isEqualTo(whole);

    Event e = Event.decode(whole);
    assertThat(e.state()).isEqualTo(state);
    assertThat(StateCodec.decode(e.state())).isEqualTo(d.state());
    assertThat(e.idempotencyRecord()).isEqualTo(record);
    assertThat(e.idempotencyTill()).isEqualTo(TILL);
    assertThat(e.idempotencyKey()).isEqualTo("key-1");
    assertThat(e.entries()).isEqualTo(d.entries());
    assertThat(e.available()).isEqualTo(d.state().available()).isPositive();
    assertThat(e.sale().totalMinor()).isEqualTo(300_000);
    assertThat(e.sale().counted()).isEqualTo(d.counted()).isNotZero();
    assertThat(d.state().visits()).isNotEmpty();

    // without a request: no record is appended (the script's ARGV[4] is empty)
    Event alone = Event.decode(concat(Event.head(before, d, state.length, null, null, 0), state));
    assertThat(alone.idempotencyKey()).isNull();
    assertThat(alone.idempotencyRecord()).isNull();
    assertThat(alone.state()).isEqualTo(state);

    assertThatThrownBy(() -> Event.decode(Arrays.copyOf(whole, whole.length - 1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Event.decode(concat(whole, new byte[] {0})))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theThreePartsAHandedOverEntryHoldsDecodeAsTheWholeEventDoes() {
    Committed c = Committed.firstPurchase();
    MemberState before = c.before();
    Decision d = c.decision();
    byte[] state = c.state();
    byte[] record = ANSWER;
    byte[] head = Event.head(before, d, state.length, TILL, "key-1", record.length);

    StreamEntry handed = new StreamEntry(3, "1-1", head, state, record);
    assertThat(handed.body()).isEqualTo(Event.encode(before, d, state, TILL, "key-1", record));
    assertThat(handed.event()).usingRecursiveComparison()
        .isEqualTo(StreamEntry.read(3, "1-1", handed.body()).event());
    assertThat(handed.event().state()).isSameAs(state); // read in place, not copied

    byte[] noHead = Event.head(before, d, state.length, null, null, 0);
    assertThat(new StreamEntry(3, "1-2", noHead, state, new byte[0]).event().idempotencyRecord()).isNull();

    assertThatThrownBy(() -> new StreamEntry(3, "1-3", head, Arrays.copyOf(state, state.length - 1), record).event())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StreamEntry(3, "1-4", head, state, new byte[0]).event())
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new StreamEntry(3, "1-5", concat(head, new byte[] {0}), state, record).event())
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void eachUuidIsWrittenOnceAndTheMembersFieldsAreReadOffItsState() {
    Committed c = Committed.firstPurchase();
    MemberState before = c.before();
    Decision d = c.decision();
    byte[] state = c.state();
    byte[] head = Event.head(before, d, state.length, TILL, "key-1", 0);

    // the till is the request's, the entry's and the sale's, the transaction the entry's and the record's: each is
    // in the table once, and again only inside the transaction's own record (kept as PostgreSQL stores it)
    byte[] record = TransactionCodec.encode(d.transactions().get(0));
    byte[] till = new Binary.Writer(16).uuid(TILL).toBytes();
    assertThat(occurrences(head, till)).isEqualTo(1 + occurrences(record, till)).isEqualTo(2);
    byte[] tx = new Binary.Writer(16).uuid(d.transactions().get(0).id()).toBytes();
    assertThat(occurrences(head, tx)).isEqualTo(1 + occurrences(record, tx)).isEqualTo(2);
    byte[] member = new Binary.Writer(16).uuid(MEMBER).toBytes();
    assertThat(occurrences(head, member)).isZero();

    Event e = Event.decode(concat(head, state));
    assertThat(e.member()).isEqualTo(MEMBER);
    assertThat(e.programId()).isEqualTo("shop");
    assertThat(e.seq()).isEqualTo(d.state().seq());
    assertThat(e.spendMinor()).isEqualTo(d.state().spendMinor()).isEqualTo(300_000);
    assertThat(e.profile()).isEqualTo(PROFILE);
    assertThat(e.entries()).isEqualTo(d.entries()).allSatisfy(entry -> assertThat(entry.till()).isEqualTo(TILL));
    assertThat(e.transactions()).singleElement()
        .satisfies(t -> assertThat(t.id()).isEqualTo(d.entries().get(0).transaction()));
    assertThat(e.sale().till()).isEqualTo(TILL);
  }

  @Test
  void aNumberOutsideTheTableIsRefused() {
    MemberState state = MemberState.enrolled(MEMBER, "shop", PROFILE);
    byte[] encoded = StateCodec.encode(state);
    // format 6: the state's length, a table of one UUID, then a request whose till is the table's second
    byte[] head = new Binary.Writer(64).write(6).varLong(encoded.length).varLong(1).uuid(TILL).bool(true).varLong(2)
        .string("key").varLong(0).varLong(0).varLong(0).bool(false).varLong(0).varLong(-1).varLong(-1).bool(false)
        .toBytes();
    assertThatThrownBy(() -> Event.decode(concat(head, encoded))).isInstanceOf(IllegalArgumentException.class);

    byte[] valid = new Binary.Writer(64).write(6).varLong(encoded.length).varLong(1).uuid(TILL).bool(true).varLong(1)
        .string("key").varLong(0).varLong(0).varLong(0).bool(false).varLong(0).varLong(-1).varLong(-1).bool(false)
        .toBytes();
    Event e = Event.decode(concat(valid, encoded));
    assertThat(e.idempotencyTill()).isEqualTo(TILL);
    assertThat(e.member()).isEqualTo(MEMBER);
  }

  @Test
  void anEventTheLastGatewayLeftInTheStreamStillDecodes() {
    MemberState state = MemberState.enrolled(MEMBER, "shop", PROFILE);
    byte[] encoded = StateCodec.encode(state);
    byte[] record = {1, 2, 3};
    UUID tx = UUID.randomUUID();
    // format 5: the member's fields in the head, every UUID whole, the state and the record at the end
    Binary.Writer w = new Binary.Writer(256).write(5).uuid(MEMBER).string("shop").varLong(7).varLong(100).varLong(5)
        .varLong(0).varLong(0).varLong(12_345).varLong(encoded.length).bool(true).uuid(TILL).string("old-key")
        .varLong(record.length)
        .varLong(1).varLong(7).string("accrue").varLong(50).varLong(50).varLong(0).varLong(0).varLong(3)
        .string("Accrued on receipt R-9").varLong(NOW).optionalUuid(tx).string("R-9").optionalUuid(TILL)
        .varLong(1).uuid(tx).string("purchase").string("captured").varLong(10_000).varLong(10_000).varLong(0)
        .varLong(50).varLong(0).bytes(new byte[] {9, 9})
        .bool(true).varLong(NOW).optionalUuid(TILL).bool(true).varLong(10_000).varLong(0).varLong(0).varLong(1)
        .varLong(1).varLong(20_000).varLong(50)
        .varLong(-1).varLong(NOW + 1000).string("+79990000001").bool(true).bool(false).bool(true).bool(false);

    Event e = Event.decode(concat(w.toBytes(), encoded, record));
    assertThat(e.member()).isEqualTo(MEMBER);
    assertThat(e.seq()).isEqualTo(7);
    assertThat(e.available()).isEqualTo(100);
    assertThat(e.spendMinor()).isEqualTo(12_345);
    assertThat(e.state()).isEqualTo(encoded);
    assertThat(e.idempotencyTill()).isEqualTo(TILL);
    assertThat(e.idempotencyRecord()).isEqualTo(record);
    assertThat(e.entries()).singleElement().satisfies(entry -> {
      assertThat(entry.transaction()).isEqualTo(tx);
      assertThat(entry.till()).isEqualTo(TILL);
      assertThat(entry.reason()).isEqualTo("Accrued on receipt R-9");
    });
    assertThat(e.transactions()).singleElement().satisfies(t -> assertThat(t.id()).isEqualTo(tx));
    assertThat(e.sale().till()).isEqualTo(TILL);
    assertThat(e.sale().counted()).isEqualTo(1);
    assertThat(e.expiry()).containsExactly(new Event.ExpiryDelta(20_000, 50));
    assertThat(e.nextExpiryAt()).isEqualTo(NOW + 1000);
    assertThat(e.profile().phone()).isEqualTo("+79990000001");
  }

  private static int occurrences(byte[] haystack, byte[] needle) {
    int n = 0;
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      if (Arrays.equals(haystack, i, i + needle.length, needle, 0, needle.length)) {
        n++;
      }
    }
    return n;
  }

  @Test
  void anEventAnOlderGatewayLeftInTheStreamStillDecodes() {
    MemberState state = MemberState.enrolled(MEMBER, "shop", PROFILE);
    byte[] encoded = StateCodec.encode(state);
    byte[] record = {1, 2, 3};
    // format 3: the state and the record in the middle, each after its length
    Binary.Writer w = new Binary.Writer(64).write(3).uuid(MEMBER).string("shop").varLong(7).varLong(100).varLong(5)
        .varLong(0).varLong(0).varLong(12_345).bytes(encoded).bool(true).uuid(TILL).string("old-key").bytes(record)
        .varLong(0).varLong(0).bool(false).varLong(0).varLong(-1).varLong(-1).string("+79990000001").bool(true)
        .bool(false).bool(true).bool(false);

    Event e = Event.decode(w.toBytes());
    assertThat(e.seq()).isEqualTo(7);
    assertThat(e.available()).isEqualTo(100);
    assertThat(e.pending()).isEqualTo(5);
    assertThat(e.spendMinor()).isEqualTo(12_345);
    assertThat(e.state()).isEqualTo(encoded);
    assertThat(e.idempotencyKey()).isEqualTo("old-key");
    assertThat(e.idempotencyRecord()).isEqualTo(record);
    assertThat(e.profile().serviceNotices()).isTrue();
  }
}
