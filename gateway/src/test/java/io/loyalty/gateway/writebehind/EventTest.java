package io.loyalty.gateway.writebehind;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.rules.Lot;
import io.loyalty.gateway.rules.MemberState;
import io.loyalty.gateway.rules.Profile;
import io.loyalty.gateway.rules.Rules;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The expiry-day changes an event carries equal the difference of the lots before and after, day by day. */
class EventTest {
  @Property(tries = 500)
  void expiryDeltasAreTheDifferenceOfTheLotsByDay(@ForAll("lots") List<Lot> before, @ForAll("lots") List<Lot> after) {
    Map<Long, Long> expected = new TreeMap<>();
    before.stream().filter(l -> l.expireAt() != Lot.NEVER)
        .forEach(l -> expected.merge(Math.floorDiv(l.expireAt(), Rules.DAY_MILLIS), -l.remaining(), Long::sum));
    after.stream().filter(l -> l.expireAt() != Lot.NEVER)
        .forEach(l -> expected.merge(Math.floorDiv(l.expireAt(), Rules.DAY_MILLIS), l.remaining(), Long::sum));
    expected.values().removeIf(v -> v == 0);
    Map<Long, Long> found = new TreeMap<>();
    Event.expiryDeltas(state(before), state(after)).forEach(d -> {
      assertThat(found.put(d.epochDay(), d.points())).as("one delta per day").isNull();
    });
    assertThat(found).isEqualTo(expected);
  }

  @Provide
  Arbitrary<List<Lot>> lots() {
    Arbitrary<Lot> lot = Combinators.combine(Arbitraries.longs().between(1, 50), Arbitraries.longs().between(1, 500),
        Arbitraries.longs().between(0, 40L * Rules.DAY_MILLIS), Arbitraries.integers().between(0, 9))
        .as((id, points, expireAt, never) -> new Lot(id, points, points, 0, never == 0 ? Lot.NEVER : expireAt));
    // as a member state keeps them: by expiry (never last), then id
    return lot.list().ofMaxSize(12).map(list -> {
      List<Lot> sorted = new ArrayList<>(list);
      sorted.sort(Comparator.comparingLong(Lot::expireAt).thenComparingLong(Lot::id));
      return sorted;
    });
  }

  static MemberState state(List<Lot> lots) {
    long sum = lots.stream().mapToLong(Lot::remaining).sum();
    return new MemberState(UUID.randomUUID(), "p", 1, sum, 0, 0, 0, 0, List.of(), lots, List.of(),
        new Profile("+79990000001", null, null, true, false, true, 0), List.of(), List.of());
  }
}
