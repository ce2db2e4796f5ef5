package io.loyalty.gateway.member;

import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.program.Program;
import io.vertx.core.json.JsonObject;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/** How a request names a member: exactly one of its id, phone (E.164 after parsing) or card. */
public record MemberRef(UUID id, String phone, String card) {
  public static final Predicate<String> CARD = Pattern.compile("[A-Za-z0-9-]{4,64}").asMatchPredicate();
  public static final Predicate<String> EXTERNAL_ID = Fields.printableAscii(false);
  static final Predicate<String> PHONE_INPUT = Pattern.compile("[+0-9 ().-]{3,32}").asMatchPredicate();

  /** Reads {@code {id|phone|card}}; problems go to {@code f} and the result is then null. */
  public static MemberRef parse(Fields f, String path, JsonObject member, Program program) {
    f.rejectUnknown(member, path, Set.of("id", "phone", "card"));
    if (member.size() != 1) {
      f.error(path.isEmpty() ? "member" : path.substring(0, path.length() - 1), "must name exactly one of id, phone, card");
      return null;
    }
    if (member.containsKey("id")) {
      UUID id = uuid(f.text(member, path, "id", true, 36, null));
      if (id == null) {
        f.error(path + "id", "must be a member id (UUID)");
      }
      return id == null ? null : new MemberRef(id, null, null);
    }
    if (member.containsKey("phone")) {
      String phone = phone(f, path, member, program);
      return phone == null ? null : new MemberRef(null, phone, null);
    }
    String card = f.text(member, path, "card", true, 64, CARD);
    return card == null ? null : new MemberRef(null, null, card);
  }

  static String phone(Fields f, String path, JsonObject object, Program program) {
    String raw = f.text(object, path, "phone", true, 32, PHONE_INPUT);
    if (raw == null) {
      return null;
    }
    String phone = Phones.normalise(raw, program.defaultPhoneRegion());
    if (phone == null) {
      f.error(path + "phone", program.defaultPhoneRegion() == null
          ? "is not a valid phone number in international form (+country code)"
          : "is not a valid phone number");
    }
    return phone;
  }

  public static UUID uuid(String text) {
    if (text == null || text.length() != 36) {
      return null;
    }
    try {
      return UUID.fromString(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
