package io.loyalty.gateway.member;

import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber.PhoneNumber;

/** Phone numbers in E.164, as libphonenumber reads them. */
public final class Phones {
  private static final PhoneNumberUtil UTIL = PhoneNumberUtil.getInstance();

  private Phones() {
  }

  /**
   * The E.164 form of {@code raw}, or null when it is not a valid number. Numbers without a leading '+' are read
   * in {@code defaultRegion} (null: they must carry a country code).
   */
  public static String normalise(String raw, String defaultRegion) {
    try {
      PhoneNumber number = UTIL.parse(raw, defaultRegion == null ? "ZZ" : defaultRegion);
      return UTIL.isValidNumber(number) ? UTIL.format(number, PhoneNumberUtil.PhoneNumberFormat.E164) : null;
    } catch (NumberParseException e) {
      return null;
    }
  }
}
