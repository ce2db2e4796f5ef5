package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.http.ErrorCode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The documentation keeps up with the code, and the repository stands alone. */
class DocsTest {
  static final Path ROOT = Path.of("..");

  @Test
  void everyErrorCodeIsDocumentedWithItsStatus() throws IOException {
    String reference = Files.readString(ROOT.resolve("docs/REFERENCE.md"));
    for (ErrorCode code : ErrorCode.values()) {
      assertThat(reference).as(code.code()).contains("| `" + code.code() + "` | " + code.status() + " |");
    }
  }

  @Test
  void everyLedgerKindTheRulesWriteIsDocumented() throws IOException {
    String rules = Files.readString(ROOT.resolve("gateway/src/main/java/io/loyalty/gateway/rules/Rules.java"));
    // kinds are the string literals given to entry(...), take(...) and giveBack(...)
    Matcher m = Pattern.compile("(?:entry|take|giveBack)\\([^;]*?\"([a-z_]+)\"").matcher(rules);
    Set<String> kinds = new TreeSet<>();
    while (m.find()) {
      kinds.add(m.group(1));
    }
    assertThat(kinds).contains("accrue", "redeem", "hold", "capture", "refund_reverse");
    String reference = Files.readString(ROOT.resolve("docs/REFERENCE.md"));
    for (String kind : kinds) {
      assertThat(reference).as(kind).contains("| `" + kind + "` |");
    }
  }

  @Test
  void theRepositoryStandsAlone() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    assertThat(readme).contains("(docs/REFERENCE.md)").contains("(LICENSE)");
    assertThat(Files.readString(ROOT.resolve("LICENSE"))).contains("Apache License").contains("Version 2.0");
    for (String doc : Arrays.asList("README.md", "BENCHMARKS.md", "docs/REFERENCE.md", "deploy/README.md")) {
      String text = Files.readString(ROOT.resolve(doc));
      assertThat(text).as(doc + " links outside the repository").doesNotContain("](../shared").doesNotContain("DESIGN.md");
      assertThat(text).as(doc + " names an issue").doesNotContainPattern("(?i)issue #?\\d+");
      Matcher link = Pattern.compile("\\]\\((?!https?://|#)([^)#]+)").matcher(text);
      while (link.find()) {
        Path target = ROOT.resolve(doc).getParent() == null ? ROOT.resolve(link.group(1))
            : ROOT.resolve(doc).getParent().resolve(link.group(1));
        assertThat(target).as(doc + " links " + link.group(1)).exists();
      }
    }
  }
}
