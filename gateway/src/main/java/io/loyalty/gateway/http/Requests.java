package io.loyalty.gateway.http;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Secrets;
import io.loyalty.gateway.program.Till;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.function.Predicate;

/** What every handler reads off a request: who is calling, its JSON body, its idempotency key. */
public final class Requests {
  /** Printable ASCII without spaces; long enough for a UUID plus a till's own prefix. */
  public static final int IDEMPOTENCY_KEY_MAX = 128;
  public static final Predicate<String> IDEMPOTENCY_KEY = Fields.printableAscii(false);

  private Requests() {
  }

  private static final String CALLER = "till";

  /** The till whose API key is the bearer token; 401 otherwise. */
  public static Till till(RoutingContext ctx, ProgramRegistry programs) {
    Till till = caller(ctx, programs);
    if (till == null) {
      throw new ApiException(ErrorCode.UNAUTHORIZED, "Send a till API key as 'Authorization: Bearer <key>'");
    }
    return till;
  }

  /** The till whose API key is the bearer token, or null; looked up (a hash of the key) once per request. */
  static Till caller(RoutingContext ctx, ProgramRegistry programs) {
    Till known = ctx.get(CALLER);
    if (known == null) {
      known = programs.till(Secrets.bearer(ctx.request().getHeader("authorization")));
      if (known != null) {
        ctx.put(CALLER, known);
        programs.seen().record(known);
      }
    }
    return known;
  }

  /** Requires the admin token as bearer; 401 otherwise. */
  public static void admin(RoutingContext ctx, byte[] adminTokenHash) {
    if (!Secrets.matches(Secrets.bearer(ctx.request().getHeader("authorization")), adminTokenHash)) {
      throw new ApiException(ErrorCode.UNAUTHORIZED, "Send the admin token as 'Authorization: Bearer <token>'");
    }
  }

  /** Requires the admin token (401 otherwise) and returns the program the path names (404 if none). */
  public static Program adminProgram(RoutingContext ctx, byte[] adminTokenHash, ProgramRegistry programs) {
    admin(ctx, adminTokenHash);
    return programs.requireProgram(ctx.pathParam("program_id"));
  }

  public static JsonObject jsonBody(RoutingContext ctx) {
    jsonBytes(ctx);
    try {
      Object value = ctx.body().buffer().toJsonValue();
      if (value instanceof JsonObject object) {
        return object;
      }
      throw new ApiException(ErrorCode.MALFORMED_JSON, "The body must be a JSON object");
    } catch (DecodeException e) {
      throw new ApiException(ErrorCode.MALFORMED_JSON, "The body is not valid JSON");
    }
  }

  /** The body's bytes, once it is known to be a non-empty JSON body (415 or 400 otherwise). */
  public static byte[] jsonBytes(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("content-type");
    if (contentType == null || !contentType.toLowerCase(java.util.Locale.ROOT).startsWith("application/json")) {
      throw new ApiException(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "Send the body with 'Content-Type: application/json'");
    }
    if (ctx.body() == null || ctx.body().buffer() == null || ctx.body().length() == 0) {
      throw new ApiException(ErrorCode.MALFORMED_JSON, "The body is empty");
    }
    return ctx.body().buffer().getBytes();
  }

  public static String idempotencyKey(RoutingContext ctx) {
    String key = ctx.request().getHeader("idempotency-key");
    if (key == null || key.isEmpty() || key.length() > IDEMPOTENCY_KEY_MAX || !IDEMPOTENCY_KEY.test(key)) {
      throw new ApiException(ErrorCode.IDEMPOTENCY_KEY_MISSING,
          "Send an 'Idempotency-Key' header of 1 to 128 printable ASCII characters without spaces");
    }
    return key;
  }
}
