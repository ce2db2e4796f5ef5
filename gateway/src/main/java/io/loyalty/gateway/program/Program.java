package io.loyalty.gateway.program;

import io.loyalty.gateway.http.Fields;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Currency;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * A loyalty program's rules, as configured by its manager. Immutable; tiers are sorted by threshold.
 *
 * @param expiryDays days a lot stays available; null means points never expire
 * @param defaultPhoneRegion ISO 3166 region used to read phone numbers written without a country code
 * @param holdTtlSeconds how long an authorisation holds points before the gateway voids it
 * @param allowNegativeBalance whether a refund may claw back more points than the member has left
 * @param restoreGraceDays life given to restored points whose original lot has expired meanwhile
 * @param offlineMaxAgeDays how old an offline (batched) receipt may be
 * @param expiryReminderDays days before a lot expires to remind the member, largest first (empty: no reminders)
 * @param digest how often members get a balance digest
 * @param secondLife how expired points come back at the next purchase, or null for never
 */
public record Program(
    String id,
    String currency,
    long pointValueMinor,
    long accrualRateBp,
    AccrueOn accrueOn,
    long maxRedeemShareBp,
    int pendingDays,
    Integer expiryDays,
    List<Tier> tiers,
    Set<String> excludedCategories,
    String defaultPhoneRegion,
    int holdTtlSeconds,
    boolean allowNegativeBalance,
    int restoreGraceDays,
    int offlineMaxAgeDays,
    List<Integer> expiryReminderDays,
    Digest digest,
    SecondLife secondLife) {

  public static final Pattern ID = Pattern.compile("[a-z0-9][a-z0-9_-]{0,62}");
  public static final long MAX_RATE_BP = 10_000;
  public static final int MAX_TIERS = 20;
  public static final int MAX_EXCLUDED_CATEGORIES = 100;
  private static final Predicate<String> TIER_NAME =
      Pattern.compile("[\\p{L}\\p{N}][\\p{L}\\p{N} _-]{0,39}").asMatchPredicate();
  /**
   * A product category, as programs exclude them and receipt lines name them: 1 to 64 letters, numbers (any
   * script), '_', '.' and '-' ({@code [\p{L}\p{N}_.-]{1,64}}, checked without a regular expression: it is on
   * every receipt line).
   */
  public static final Predicate<String> CATEGORY = Program::isCategory;

  private static final Set<String> FIELDS = Set.of("currency", "point_value_minor", "accrual_rate_bp", "accrue_on",
      "max_redeem_share_bp", "pending_days", "expiry_days", "tiers", "excluded_categories", "default_phone_region",
      "hold_ttl_seconds", "allow_negative_balance", "restore_grace_days", "offline_max_age_days",
      "expiry_reminder_days", "digest", "second_life");
  public static final int MAX_REMINDERS = 5;

  public enum AccrueOn {
    /** Accrue on the part of the eligible amount paid with money. */
    PAID,
    /** Accrue on the whole eligible amount. */
    TOTAL
  }

  public enum Digest {
    OFF, MONTHLY, QUARTERLY;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Points that expired within the last {@code windowDays} come back at the member's next purchase of at least
   * {@code minReceiptMinor}: {@code shareBp} of them, as a new lot under the program's expiry.
   */
  public record SecondLife(int windowDays, long shareBp, long minReceiptMinor) {
  }

  /** A tier applies once a member's lifetime spend reaches {@code minSpendMinor}. */
  public record Tier(String name, long minSpendMinor, long accrualRateBp) {
  }

  /** Index into {@link #tiers} of the highest tier reached by this lifetime spend, or -1. */
  public int tierIndex(long lifetimeSpendMinor) {
    int index = -1;
    for (int i = 0; i < tiers.size() && tiers.get(i).minSpendMinor() <= lifetimeSpendMinor; i++) {
      index = i;
    }
    return index;
  }

  /** {@code {name, next, spend_to_next_minor}} for a member with this lifetime spend. */
  public JsonObject tierJson(long lifetimeSpendMinor) {
    int index = tierIndex(lifetimeSpendMinor);
    Tier next = index + 1 < tiers.size() ? tiers.get(index + 1) : null;
    return tierJson(index < 0 ? null : tiers.get(index).name(), next == null ? null : next.name(),
        next == null ? null : next.minSpendMinor() - lifetimeSpendMinor);
  }

  public static JsonObject tierJson(String name, String next, Long spendToNextMinor) {
    return new JsonObject().put("name", name).put("next", next).put("spend_to_next_minor", spendToNextMinor);
  }

  public static boolean isExcluded(Set<String> excludedCategories, String category) {
    return category != null && excludedCategories.contains(category.toLowerCase(Locale.ROOT));
  }

  /** Validates a PUT body; throws a 422 listing every bad field. Absent fields take their defaults. */
  public static Program parse(String id, JsonObject body) {
    Fields f = new Fields();
    f.rejectUnknown(body, "", FIELDS);
    String currency = f.text(body, "", "currency", true, 3, Pattern.compile("[A-Z]{3}").asMatchPredicate());
    if (currency != null && Currency.getAvailableCurrencies().stream().noneMatch(c -> c.getCurrencyCode().equals(currency))) {
      f.error("currency", "is not an ISO 4217 currency code");
    }
    Long pointValue = f.integer(body, "", "point_value_minor", 100L, 1, 1_000_000);
    Long rate = f.integer(body, "", "accrual_rate_bp", 500L, 0, MAX_RATE_BP);
    String accrueOn = f.text(body, "", "accrue_on", false, 5, Pattern.compile("paid|total").asMatchPredicate());
    Long share = f.integer(body, "", "max_redeem_share_bp", 3000L, 0, 10_000);
    Long pendingDays = f.integer(body, "", "pending_days", 0L, 0, 365);
    Long expiryDays = body.getValue("expiry_days") == null ? null : f.integer(body, "", "expiry_days", null, 1, 3650);
    List<Tier> tiers = parseTiers(f, f.array(body, "", "tiers", false, MAX_TIERS));
    Set<String> excluded = parseCategories(f, f.array(body, "", "excluded_categories", false, MAX_EXCLUDED_CATEGORIES));
    String region = f.text(body, "", "default_phone_region", false, 2, Pattern.compile("[A-Z]{2}").asMatchPredicate());
    if (region != null && !com.google.i18n.phonenumbers.PhoneNumberUtil.getInstance().getSupportedRegions().contains(region)) {
      f.error("default_phone_region", "is not a supported ISO 3166 region");
    }
    Long holdTtl = f.integer(body, "", "hold_ttl_seconds", 900L, 10, 30L * 86400);
    Boolean allowNegative = f.bool(body, "", "allow_negative_balance", false);
    Long graceDays = f.integer(body, "", "restore_grace_days", 30L, 0, 3650);
    Long offlineDays = f.integer(body, "", "offline_max_age_days", 7L, 0, 90);
    List<Integer> reminders = parseReminders(f, f.array(body, "", "expiry_reminder_days", false, MAX_REMINDERS));
    String digest = f.text(body, "", "digest", false, 9, Pattern.compile("off|monthly|quarterly").asMatchPredicate());
    SecondLife secondLife = parseSecondLife(f, body.getValue("second_life") == null ? null
        : f.object(body, "", "second_life", false));
    f.throwIfInvalid();
    return new Program(id, currency, pointValue, rate,
        accrueOn == null || accrueOn.equals("paid") ? AccrueOn.PAID : AccrueOn.TOTAL, share,
        pendingDays.intValue(), expiryDays == null ? null : expiryDays.intValue(), tiers, excluded, region,
        holdTtl.intValue(), allowNegative, graceDays.intValue(), offlineDays.intValue(), reminders,
        digest == null ? Digest.OFF : Digest.valueOf(digest.toUpperCase(Locale.ROOT)), secondLife);
  }

  private static List<Integer> parseReminders(Fields f, JsonArray array) {
    TreeSet<Integer> days = new TreeSet<>(Comparator.reverseOrder());
    if (array == null) {
      return List.of();
    }
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof Integer day) || day < 1 || day > 365) {
        f.error("expiry_reminder_days[" + i + "]", "must be a whole number of days from 1 to 365");
      } else if (!days.add(day)) {
        f.error("expiry_reminder_days[" + i + "]", "is listed twice");
      }
    }
    return List.copyOf(days);
  }

  private static SecondLife parseSecondLife(Fields f, JsonObject object) {
    if (object == null) {
      return null;
    }
    f.rejectUnknown(object, "second_life.", Set.of("window_days", "share_bp", "min_receipt_minor"));
    Long window = f.integer(object, "second_life.", "window_days", null, 1, 3650);
    Long share = f.integer(object, "second_life.", "share_bp", null, 1, 10_000);
    Long minReceipt = f.integer(object, "second_life.", "min_receipt_minor", 0L, 0, Fields.MAX_AMOUNT_MINOR);
    return window == null || share == null || minReceipt == null ? null
        : new SecondLife(window.intValue(), share, minReceipt);
  }

  private static List<Tier> parseTiers(Fields f, JsonArray array) {
    List<Tier> tiers = new ArrayList<>();
    if (array == null) {
      return tiers;
    }
    Set<String> names = new HashSet<>();
    Set<Long> thresholds = new HashSet<>();
    f.eachObject(array, "tiers", (path, tier) -> {
      f.rejectUnknown(tier, path, Set.of("name", "min_spend_minor", "accrual_rate_bp"));
      String name = f.text(tier, path, "name", true, 40, TIER_NAME);
      Long minSpend = f.integer(tier, path, "min_spend_minor", null, 0, Fields.MAX_AMOUNT_MINOR * 1000);
      Long tierRate = f.integer(tier, path, "accrual_rate_bp", null, 0, MAX_RATE_BP);
      if (name != null && !names.add(name)) {
        f.error(path + "name", "duplicates another tier's name");
      }
      if (minSpend != null && !thresholds.add(minSpend)) {
        f.error(path + "min_spend_minor", "duplicates another tier's threshold");
      }
      if (name != null && minSpend != null && tierRate != null) {
        tiers.add(new Tier(name, minSpend, tierRate));
      }
    });
    tiers.sort(Comparator.comparingLong(Tier::minSpendMinor));
    return List.copyOf(tiers);
  }

  private static boolean isCategory(String text) {
    int count = 0;
    for (int i = 0; i < text.length(); i += Character.charCount(text.codePointAt(i))) {
      int c = text.codePointAt(i);
      int type = Character.getType(c);
      boolean number = type == Character.DECIMAL_DIGIT_NUMBER || type == Character.LETTER_NUMBER
          || type == Character.OTHER_NUMBER;
      if (!(Character.isLetter(c) || number || c == '_' || c == '.' || c == '-') || ++count > 64) {
        return false;
      }
    }
    return count > 0;
  }

  private static Set<String> parseCategories(Fields f, JsonArray array) {
    Set<String> categories = new TreeSet<>();
    if (array == null) {
      return categories;
    }
    for (int i = 0; i < array.size(); i++) {
      if (!(array.getValue(i) instanceof String category) || !CATEGORY.test(category)) {
        f.error("excluded_categories[" + i + "]", "must be 1 to 64 letters, digits, '_', '.' or '-'");
        continue;
      }
      categories.add(category.toLowerCase(Locale.ROOT));
    }
    return Set.copyOf(categories);
  }

  public JsonObject toJson() {
    JsonArray tierArray = new JsonArray();
    tiers.forEach(t -> tierArray.add(new JsonObject().put("name", t.name())
        .put("min_spend_minor", t.minSpendMinor()).put("accrual_rate_bp", t.accrualRateBp())));
    return new JsonObject()
        .put("program_id", id)
        .put("currency", currency)
        .put("point_value_minor", pointValueMinor)
        .put("accrual_rate_bp", accrualRateBp)
        .put("accrue_on", accrueOn.name().toLowerCase(Locale.ROOT))
        .put("max_redeem_share_bp", maxRedeemShareBp)
        .put("pending_days", pendingDays)
        .put("expiry_days", expiryDays)
        .put("tiers", tierArray)
        .put("excluded_categories", new JsonArray(new ArrayList<>(new TreeSet<>(excludedCategories))))
        .put("default_phone_region", defaultPhoneRegion)
        .put("hold_ttl_seconds", holdTtlSeconds)
        .put("allow_negative_balance", allowNegativeBalance)
        .put("restore_grace_days", restoreGraceDays)
        .put("offline_max_age_days", offlineMaxAgeDays)
        .put("expiry_reminder_days", new JsonArray(new ArrayList<>(expiryReminderDays)))
        .put("digest", digest.wire())
        .put("second_life", secondLife == null ? null : new JsonObject().put("window_days", secondLife.windowDays())
            .put("share_bp", secondLife.shareBp()).put("min_receipt_minor", secondLife.minReceiptMinor()));
  }

  /** The stored form: the API form without the id (the row's key). */
  public JsonObject toStoredJson() {
    JsonObject json = toJson();
    json.remove("program_id");
    return json;
  }
}
