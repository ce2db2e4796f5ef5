package io.loyalty.gateway.admin;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Queries;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.member.MemberRef;
import io.loyalty.gateway.member.MemberRoutes;
import io.loyalty.gateway.member.MemberView;
import io.loyalty.gateway.member.Members;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Set;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * Calls made by a program's managers with the admin token: configure programs, issue and list till keys, find a
 * member and read its ledger.
 */
public final class AdminRoutes {
  private static final Predicate<String> STORE_OR_TILL = Pattern.compile("[A-Za-z0-9_.-]{1,64}").asMatchPredicate();
  static final int MAX_TILLS_PAGE = 1000;
  static final String SELECT_TILLS = """
      SELECT t.id, t.store_id, t.till_id, t.created_at, t.revoked_at, s.last_seen_at
        FROM tills t LEFT JOIN till_last_seen s ON s.till_ref = t.id
       WHERE t.program_id = $1 AND (t.store_id, t.till_id, t.id::text) > ($2, $3, $4)
       ORDER BY t.store_id, t.till_id, t.id::text
       LIMIT $5""";

  private final ProgramRegistry programs;
  private final byte[] adminTokenHash;
  private final Pool pool;
  private final Members members;

  public AdminRoutes(ProgramRegistry programs, byte[] adminTokenHash, Pool pool, Members members) {
    this.programs = programs;
    this.adminTokenHash = adminTokenHash;
    this.pool = pool;
    this.members = members;
  }

  /** GET /v1/admin/programs */
  public Future<Reply> listPrograms(RoutingContext ctx) {
    Requests.admin(ctx, adminTokenHash);
    JsonArray list = new JsonArray();
    programs.all().forEach(p -> list.add(p.toJson()));
    return Future.succeededFuture(new Reply(200, new JsonObject().put("programs", list)));
  }

  /**
   * GET /v1/admin/programs/{program_id}/tills?limit=&cursor=: every key issued, by store and till, with its last
   * authenticated request (as written every few seconds, or newer if this gateway saw it).
   */
  public Future<Reply> listTills(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    Fields f = new Fields();
    long limit = Queries.number(f, ctx, "limit", 100, 1, MAX_TILLS_PAGE);
    String cursor = ctx.queryParams().get("cursor");
    String[] after = {"", "", ""};
    if (cursor != null) {
      String[] parts = cursor.split("/", -1);
      if (parts.length != 3) {
        f.error("cursor", "must be a next_cursor from an earlier page");
      } else {
        after = parts;
      }
    }
    f.throwIfInvalid();
    return pool.preparedQuery(SELECT_TILLS)
        .execute(Tuple.of(program.id(), after[0], after[1], after[2], limit))
        .map(rows -> {
          JsonArray tills = new JsonArray();
          String last = null;
          for (Row row : rows) {
            Long unwritten = programs.seen().unwritten(row.getUUID("id"));
            OffsetDateTime written = row.getOffsetDateTime("last_seen_at");
            Instant seen = written == null ? null : written.toInstant();
            if (unwritten != null && (seen == null || unwritten > seen.toEpochMilli())) {
              seen = Instant.ofEpochMilli(unwritten);
            }
            tills.add(new JsonObject()
                .put("store_id", row.getString("store_id"))
                .put("till_id", row.getString("till_id"))
                .put("created_at", row.getOffsetDateTime("created_at").toInstant().toString())
                .put("revoked_at", row.getOffsetDateTime("revoked_at") == null ? null
                    : row.getOffsetDateTime("revoked_at").toInstant().toString())
                .put("last_seen_at", seen == null ? null : seen.toString()));
            last = row.getString("store_id") + "/" + row.getString("till_id") + "/" + row.getUUID("id");
          }
          return new Reply(200, new JsonObject().put("program_id", program.id()).put("tills", tills)
              .put("next_cursor", rows.size() == limit ? last : null));
        });
  }

  /** GET /v1/admin/programs/{program_id}/members?phone=|card=|external_id=: the member with its lots. */
  public Future<Reply> findMember(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    JsonObject query = new JsonObject();
    ctx.queryParams().forEach(entry -> query.put(entry.getKey(), entry.getValue()));
    Fields f = new Fields();
    Future<UUID> found;
    if (query.size() == 1 && query.containsKey("external_id")) {
      String externalId = f.text(query, "", "external_id", true, 64, MemberRef.EXTERNAL_ID);
      f.throwIfInvalid();
      found = members.byExternalId(program.id(), externalId);
    } else {
      MemberRef ref = MemberRef.parse(f, "", query, program);
      if (ref != null && ref.id() != null) {
        f.error("id", "find members by phone, card or external_id; GET .../members/{member_id}/ledger takes an id");
      }
      f.throwIfInvalid();
      found = members.resolve(program.id(), ref);
    }
    return found.compose(id -> id == null
            ? Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND, "No member with this phone, card or "
                + "external id"))
            : members.matured(program, id))
        .map(state -> new Reply(200, MemberView.renderWithLots(program, state)));
  }

  /** GET /v1/admin/programs/{program_id}/members/{member_id}/ledger?limit=&cursor= */
  public Future<Reply> memberLedger(RoutingContext ctx) {
    return MemberRoutes.ledgerPage(members, ctx, Requests.adminProgram(ctx, adminTokenHash, programs));
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
    return Future.succeededFuture(new Reply(200, Requests.adminProgram(ctx, adminTokenHash, programs).toJson()));
  }

  /** POST /v1/admin/programs/{program_id}/tills */
  public Future<Reply> issueTill(RoutingContext ctx) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
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
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    String storeId = ctx.pathParam("store_id");
    String tillId = ctx.pathParam("till_id");
    return programs.revokeTill(program.id(), storeId, tillId).map(revoked -> {
      if (revoked == 0) {
        throw new ApiException(ErrorCode.NOT_FOUND, "No active key for till " + storeId + "/" + tillId);
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
