package io.loyalty.gateway.rules;

/**
 * What the member gave at enrolment, and its consents as they stand; it rides along in the hot copy so a member view
 * and the events about the member need no other read.
 *
 * @param serviceNotices whether the member takes service notices (expiry reminders, digests): its own consent,
 *     apart from marketing
 */
public record Profile(String phone, String card, String externalId, boolean personalData, boolean marketing,
    boolean serviceNotices, long enrolledAt) {
}
