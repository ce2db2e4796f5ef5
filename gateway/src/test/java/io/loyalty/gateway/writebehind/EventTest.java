package io.loyalty.gateway.writebehind;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The streaming decoder reads what member.lua writes, including cjson's quirks, and keeps records verbatim. */
class EventTest {
  static final String MEMBER = UUID.randomUUID().toString();
  static final String TX_1 = "{\"id\":\"" + UUID.randomUUID() + "\",\"till\":\"" + UUID.randomUUID()
      + "\",\"kind\":\"purchase\",\"st\":\"captured\",\"rn\":\"R-1\",\"tot\":100000,\"el\":90000,\"red\":20,"
      + "\"rf\":{\"tot\":5000,\"by\":{\"k\":[1,2]}},\"lines\":{\"sku-\\\"x\\\"\":[30000,30000]},\"s\":7,\"at\":1.7954315111e+12}";
  static final String TX_2 = "{\"id\":\"" + UUID.randomUUID() + "\",\"till\":\"" + UUID.randomUUID()
      + "\",\"kind\":\"authorization\",\"st\":\"authorized\",\"held\":30,\"s\":7,\"at\":1795431511000}";

  @Test
  void readsEveryFieldAndKeepsTransactionRecordsAsTheyCame() {
    String json = "{\"m\":\"" + MEMBER + "\",\"p\":\"prog\",\"s\":7,\"a\":120,\"pe\":30,\"h\":30,\"sp\":100000,"
        + "\"d\":0,\"t\":1795431511000,\"l\":[{\"s\":6,\"k\":\"accrue\",\"p\":50,\"da\":0,\"dpe\":50,\"dh\":0,"
        + "\"lot\":3,\"r\":\"purchase\",\"at\":1795431511000}],\"lots\":{},\"idem\":{\"till\":\"t\",\"k\":\"key\","
        + "\"fp\":\"f\",\"o\":\"{}\"},\"unknown\":[1,{\"x\":2}],\"txs\":[" + TX_1 + "," + TX_2 + "]}";
    Event event = Event.parse(json);
    assertThat(event.member()).hasToString(MEMBER);
    assertThat(new long[] {event.seq(), event.available(), event.pending(), event.held(), event.spend(),
        event.debt(), event.at()}).containsExactly(7, 120, 30, 30, 100_000, 0, 1_795_431_511_000L);
    assertThat(event.ledger()).hasSize(1);
    assertThat(Event.optional(event.ledger().get(0), "dpe")).isEqualTo(50);
    assertThat(Event.optional(event.ledger().get(0), "tx")).isNull();
    assertThat(event.lots()).as("cjson writes an empty list as {}").isEmpty();
    assertThat(Event.text(event.idempotency(), "k")).isEqualTo("key");
    assertThat(event.transactions()).extracting(Event.Transaction::json).containsExactly(TX_1, TX_2);
    assertThat(new JsonObject(event.transactions().get(0).json()).getLong("tot")).isEqualTo(100_000);
    assertThat(event.transactions()).extracting(Event.Transaction::refundedMinor).containsExactly(5_000L, 0L);
    assertThat(Event.number(event.transactions().get(0).fields(), "at", null)).isEqualTo(1_795_431_511_100L);
    assertThat(Event.number(event.transactions().get(1).fields(), "red", 0L)).isZero();
  }

  @Test
  void whatIsNotAnEventIsADecodeError() {
    assertThatThrownBy(() -> Event.parse("{not json")).isInstanceOf(DecodeException.class);
    assertThatThrownBy(() -> Event.parse("[1]")).isInstanceOf(DecodeException.class);
    assertThatThrownBy(() -> Event.parse("{\"p\":\"no member\",\"s\":1}")).isInstanceOf(DecodeException.class);
  }
}
