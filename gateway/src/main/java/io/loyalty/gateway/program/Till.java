package io.loyalty.gateway.program;

import java.util.UUID;

/** An authenticated till: {@code ref} is its row id, which scopes its idempotency keys. */
public record Till(UUID ref, String programId, String storeId, String tillId) {
}
