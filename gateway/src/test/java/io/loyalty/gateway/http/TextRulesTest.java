package io.loyalty.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.program.Program;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/** The text rules written without regular expressions accept exactly what the expressions they replace did. */
class TextRulesTest {
  static final Pattern CATEGORY = Pattern.compile("[\\p{L}\\p{N}_.-]{1,64}");
  static final Pattern PRINTABLE = Pattern.compile("[\\x21-\\x7E]+");
  static final Pattern PRINTABLE_WITH_SPACE = Pattern.compile("[\\x20-\\x7E]+");

  @Provide
  Arbitrary<String> texts() {
    // ASCII edges, letters and numbers of other scripts (Cyrillic, Han, Roman numerals, superscripts, Arabic-Indic
    // digits), a letter outside the BMP (a surrogate pair), controls, spaces and punctuation
    Arbitrary<String> pieces = Arbitraries.of("a", "Z", "0", "9", "_", ".", "-", " ", "~", "!", "\u007f", "\u0000",
        "\t", "я", "漢", "Ⅻ", "²", "٣", "\uD835\uDC00", "\u00a0", "é", "/", "+", "\u200b");
    return pieces.list().ofMinSize(0).ofMaxSize(70).map(list -> String.join("", list));
  }

  @Property(tries = 2000)
  void categoriesAreWhatTheExpressionAccepted(@ForAll("texts") String text) {
    assertThat(Program.CATEGORY.test(text)).as(text).isEqualTo(CATEGORY.matcher(text).matches());
  }

  @Property(tries = 2000)
  void printableAsciiIsWhatTheExpressionsAccepted(@ForAll("texts") String text) {
    if (!text.isEmpty()) { // the callers check the length first
      assertThat(Fields.printableAscii(false).test(text)).as(text).isEqualTo(PRINTABLE.matcher(text).matches());
      assertThat(Fields.printableAscii(true).test(text)).as(text)
          .isEqualTo(PRINTABLE_WITH_SPACE.matcher(text).matches());
    }
  }
}
