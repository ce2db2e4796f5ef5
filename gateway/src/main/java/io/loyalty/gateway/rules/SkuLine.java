package io.loyalty.gateway.rules;

/** A receipt's lines for one SKU, added up: what a refund by line needs. */
public record SkuLine(String sku, long amountMinor, long eligibleMinor) {
}
