package io.loyalty.gateway.admin;

import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Secrets;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.regex.Pattern;

/** Calls made by a program's managers with the admin token: configure programs, issue till keys. */
public final class AdminRoutes {
  private static final Pattern STORE_OR_TILL = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final ProgramRegistry programs;
  private final byte[] adminTokenHash;

  public AdminRoutes(ProgramRegistry programs, String adminToken) {
    this.programs = programs;
    this.adminTokenHash = Secrets.hash(adminToken);
  }

  /** PUT /v1/admin/programs/{program_id} */
  public Future<Reply> putProgram(RoutingContext ctx) {
    Requests.admin(ctx, adminTokenHash);
    String id = programId(ctx);
    Program program = Program.parse(id, Requests.jsonBody(ctx));
    return programs.put(program).map(created -> new Reply(created ? 201 : 200, program.toJson()));
  }

  /** GET /v1/admin/programs/{program_id} */
  public Future<Reply> getProgram(RoutingContext ctx) {
    Requests.admin(ctx, adminTokenHash);
    return Future.succeededFuture(new Reply(200, programs.requireProgram(ctx.pathParam("program_id")).toJson()));
  }

  /** POST /v1/admin/programs/{program_id}/tills */
  public Future<Reply> issueTill(RoutingContext ctx) {
    Requests.admin(ctx, adminTokenHash);
    Program program = programs.requireProgram(ctx.pathParam("program_id"));
    JsonObject body = Requests.jsonBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", Set.of("store_id", "till_id"));
    String storeId = f.text(body, "", "store_id", true, 64, STORE_OR_TILL);
    String tillId = f.text(body, "", "till_id", true, 64, STORE_OR_TILL);
    f.throwIfInvalid();
    return programs.issueTillKey(program.id(), storeId, tillId).map(apiKey -> new Reply(201, new JsonObject()
        .put("program_id", program.id())
        .put("store_id", storeId)
        .put("till_id", tillId)
        .put("api_key", apiKey)));
  }

  /** DELETE /v1/admin/programs/{program_id}/tills/{store_id}/{till_id} */
  public Future<Reply> revokeTill(RoutingContext ctx) {
    Requests.admin(ctx, adminTokenHash);
    Program program = programs.requireProgram(ctx.pathParam("program_id"));
    String storeId = ctx.pathParam("store_id");
    String tillId = ctx.pathParam("till_id");
    return programs.revokeTill(program.id(), storeId, tillId).map(revoked -> {
      if (revoked == 0) {
        throw new io.loyalty.gateway.http.ApiException(io.loyalty.gateway.http.ErrorCode.NOT_FOUND,
            "No active key for till " + storeId + "/" + tillId);
      }
      return new Reply(200, new JsonObject().put("program_id", program.id()).put("store_id", storeId)
          .put("till_id", tillId).put("revoked_keys", revoked));
    });
  }

  private static String programId(RoutingContext ctx) {
    String id = ctx.pathParam("program_id");
    if (!Program.ID.matcher(id).matches()) {
      Fields f = new Fields();
      f.error("program_id", "must be 1 to 63 lowercase letters, digits, '_' or '-', starting with a letter or digit");
      f.throwIfInvalid();
    }
    return id;
  }
}
