package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.loyalty.gateway.support.GatewayTest;
import io.loyalty.gateway.support.TestGateway;
import io.vertx.core.json.JsonObject;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The admin page in a real browser (Debian's chromium, headless, through chromedriver) against a gateway with a known
 * data set: sign in, pick the program, and every figure shown equals the API's; a member found by phone shows its
 * balance, lots and ledger; no Content-Security-Policy violation; readable at 1280 and 390 px. Screenshots go to
 * target/screenshots. Needs {@code apt-get install chromium chromium-driver} (CI installs them).
 */
class AdminPageTest extends GatewayTest {
  static final File CHROMIUM = new File("/usr/bin/chromium");
  static final File CHROMEDRIVER = new File("/usr/bin/chromedriver");
  static WebDriver browser;

  @BeforeAll
  static void openBrowser() {
    Assumptions.assumeTrue(CHROMIUM.canExecute() && CHROMEDRIVER.canExecute(),
        "the browser tests need Debian's chromium and chromium-driver: apt-get install chromium chromium-driver");
    ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM)
        .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    browser = new ChromeDriver(new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER).build(), options);
  }

  @BeforeEach
  void forgetEarlierConsoleMessages() {
    browser.manage().logs().get(LogType.BROWSER);
  }

  @AfterAll
  static void closeBrowser() {
    if (browser != null) {
      browser.quit();
    }
  }

  @Test
  void aManagerSeesTheApisFiguresAndFindsAMember() throws Exception {
    ManagerFiguresTest.Shop shop = ManagerFiguresTest.Shop.open(new JsonObject().put("expiry_days", 60));
    String phone = TestGateway.randomPhone();
    String member = gw.enrol(shop.tillA(), phone).getString("member_id");
    String other = gw.member(shop.tillB());
    gw.purchase(shop.tillA(), "p1", TestGateway.purchase(member, "R-1", 250_000, null));
    gw.purchase(shop.tillA(), "p2", TestGateway.purchase(member, "R-2", 80_000, 40));
    gw.purchase(shop.tillB(), "p3", TestGateway.purchase(other, "R-3", 1_234_500, null));
    gw.awaitDrained();
    JsonObject liability = shop.get("/liability");
    String today = liability.getString("as_of");
    JsonObject month = shop.get("/analytics?group_by=month&from=" + today + "&to=" + today).getJsonArray("groups")
        .getJsonObject(0);
    JsonObject usage = shop.get("/usage?month=" + today.substring(0, 7));

    browser.get("http://127.0.0.1:" + gw.config().httpPort() + "/admin/");
    browser.findElement(By.id("token")).sendKeys(TestGateway.ADMIN_TOKEN);
    browser.findElement(By.cssSelector("#sign-in button")).click();
    await(() -> browser.findElement(By.id("program")).findElements(By.tagName("option")).size() > 0);
    new Select(browser.findElement(By.id("program"))).selectByValue(shop.program());
    await(() -> value("members-total") != null && value("members-total") == 2
        && browser.findElement(By.id("tills")).findElements(By.cssSelector("tbody tr")).size() == 2);

    assertThat(value("available-points")).isEqualTo(liability.getLong("available_points"));
    assertThat(value("value")).isEqualTo(liability.getLong("value_minor"));
    assertThat(text("value")).isEqualTo(money(liability.getLong("value_minor")) + " RUB");
    assertThat(value("pending-points")).isEqualTo(liability.getLong("pending_points"));
    assertThat(value("held-points")).isEqualTo(liability.getLong("held_points"));
    assertThat(value("inactive-points")).isEqualTo(liability.getJsonObject("inactive").getLong("points"));
    assertThat(value("inactive-members")).isEqualTo(liability.getJsonObject("inactive").getLong("members"));
    assertThat(value("dormant-members")).isEqualTo(liability.getLong("dormant_members"));
    assertThat(value("receipts")).isEqualTo(month.getLong("receipts")).isEqualTo(3);
    assertThat(value("share-redeeming")).isEqualTo(month.getLong("share_redeeming_bp")).isEqualTo(5_000);
    assertThat(value("avg-with")).isEqualTo(month.getLong("average_receipt_with_points_minor")).isEqualTo(80_000);
    assertThat(value("avg-without")).isEqualTo(month.getLong("average_receipt_without_points_minor"));
    assertThat(value("repeat-members")).isEqualTo(month.getLong("repeat_members"));
    assertThat(value("tills-active")).isEqualTo(usage.getLong("tills_active")).isEqualTo(2);
    assertThat(value("transactions")).isEqualTo(usage.getLong("transactions"));
    for (String chart : List.of("expiring-chart", "revenue-chart", "points-chart")) {
      assertThat(script("return Chart.getChart('" + chart + "') != null")).as(chart + " drawn").isEqualTo(true);
    }
    assertThat(script("return Chart.getChart('expiring-chart').data.datasets[0].data.join(',')"))
        .isEqualTo(liability.getJsonObject("expiring").getLong("d7") + ","
            + liability.getJsonObject("expiring").getLong("d30") + ","
            + liability.getJsonObject("expiring").getLong("d90"));
    screenshot("admin-1280.png");

    // a member's question: found by phone, with balance, lots and ledger
    browser.findElement(By.id("member-query")).sendKeys(phone);
    browser.findElement(By.cssSelector("#member-search button")).click();
    await(() -> browser.findElement(By.id("member")).isDisplayed());
    JsonObject balance = gw.memberView(shop.tillA(), member).getJsonObject("balance");
    assertThat(value("member-available")).isEqualTo(balance.getLong("available"));
    assertThat(browser.findElements(By.cssSelector("#member-lots tbody tr"))).isNotEmpty();
    assertThat(browser.findElements(By.cssSelector("#member-ledger tbody tr")).stream().map(r -> r.getText()).toList())
        .anyMatch(row -> row.contains("redeem"));

    // the token lives in this tab only: not in the address, not in a cookie
    assertThat(browser.getCurrentUrl()).doesNotContain(TestGateway.ADMIN_TOKEN);
    assertThat(browser.manage().getCookies()).isEmpty();
    assertThat(script("return sessionStorage.getItem('loyalty-admin-token')")).isEqualTo(TestGateway.ADMIN_TOKEN);

    browser.manage().window().setSize(new Dimension(390, 844));
    await(() -> ((Number) script("return document.documentElement.scrollWidth")).intValue() <= 390);
    screenshot("admin-390.png");
    browser.manage().window().setSize(new Dimension(1280, 1000));

    List<String> problems = browser.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(e -> e.getLevel().intValue() >= Level.WARNING.intValue()).map(LogEntry::getMessage).toList();
    assertThat(problems).as("console errors (a Content-Security-Policy violation among them)").isEmpty();
  }

  @Test
  void aWrongTokenIsRefusedAndThePageIsServedUnderAStrictPolicy() {
    TestGateway.Response page = gw.call("GET", "/admin/", null, null, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("content-security-policy")).contains("default-src 'none'").contains("script-src 'self'")
        .doesNotContain("unsafe");
    assertThat(gw.call("GET", "/admin/vendor/chart.umd.js", null, null, null).raw().body()).contains("Chart");

    browser.get("http://127.0.0.1:" + gw.config().httpPort() + "/admin/");
    script("sessionStorage.clear()");
    browser.navigate().refresh();
    browser.findElement(By.id("token")).sendKeys("not-the-token");
    browser.findElement(By.cssSelector("#sign-in button")).click();
    await(() -> !browser.findElement(By.id("sign-in-error")).getText().isEmpty());
    assertThat(browser.findElement(By.id("dashboard")).isDisplayed()).isFalse();
    assertThat(script("return sessionStorage.getItem('loyalty-admin-token')")).isNull();
  }

  static Long value(String id) {
    String value = browser.findElement(By.id(id)).getDomAttribute("data-value");
    return value == null ? null : Long.valueOf(value);
  }

  static String text(String id) {
    return browser.findElement(By.id(id)).getText();
  }

  static Object script(String js) {
    return ((JavascriptExecutor) browser).executeScript(js);
  }

  /** Minor units of a two-digit currency as the page writes them: 1,234.56 */
  static String money(long minor) {
    return String.format(java.util.Locale.ROOT, "%,d.%02d", minor / 100, minor % 100);
  }

  static void await(java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser, Duration.ofSeconds(15)).until(d -> condition.getAsBoolean());
  }

  static void screenshot(String name) throws Exception {
    Path dir = Path.of("target", "screenshots");
    Files.createDirectories(dir);
    Files.copy(((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE).toPath(), dir.resolve(name),
        StandardCopyOption.REPLACE_EXISTING);
  }
}
