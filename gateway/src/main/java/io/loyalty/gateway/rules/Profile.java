package io.loyalty.gateway.rules;

/** What the member gave at enrolment; it rides along in the hot copy so a member view needs no other read. */
public record Profile(String phone, String card, String externalId, boolean personalData, boolean marketing,
    long enrolledAt) {
}
