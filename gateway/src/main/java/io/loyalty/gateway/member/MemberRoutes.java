package io.loyalty.gateway.member;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Queries;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.loyalty.gateway.program.Secrets;
import io.loyalty.gateway.rules.Command;
import io.loyalty.gateway.program.Till;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.util.Set;
import java.util.UUID;

/**
 * Member calls: enrol, read by id, look up by phone or card, read the ledger (tills); change consents (tills and
 * managers).
 */
public final class MemberRoutes {
  public static final int MAX_LEDGER_PAGE = 200;
  private static final Set<String> ENROL_FIELDS = Set.of("phone", "card", "external_id", "consents");
  private static final Set<String> CONSENTS = Set.of("personal_data", "marketing", "service_notices");

  private final ProgramRegistry programs;
  private final Members members;
  private final byte[] adminTokenHash;

  public MemberRoutes(ProgramRegistry programs, Members members, byte[] adminTokenHash) {
    this.programs = programs;
    this.members = members;
    this.adminTokenHash = adminTokenHash;
  }

  /** POST /v1/members */
  public Future<Reply> enrol(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    Program program = programs.requireProgram(till.programId());
    JsonObject body = Requests.jsonBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", ENROL_FIELDS);
    String phone = MemberRef.phone(f, "", body, program);
    String card = f.text(body, "", "card", false, 64, MemberRef.CARD);
    String externalId = f.text(body, "", "external_id", false, 64, MemberRef.EXTERNAL_ID);
    JsonObject consents = f.object(body, "", "consents", true);
    Boolean personalData = null;
    Boolean marketing = null;
    Boolean serviceNotices = null;
    if (consents != null) {
      f.rejectUnknown(consents, "consents.", CONSENTS);
      personalData = f.bool(consents, "consents.", "personal_data", null);
      marketing = f.bool(consents, "consents.", "marketing", null);
      serviceNotices = f.bool(consents, "consents.", "service_notices", personalData);
    }
    f.throwIfInvalid();
    Members.Enrolment enrolment = new Members.Enrolment(phone, card, externalId, personalData, marketing,
        serviceNotices, till.ref());
    return members.enrol(program.id(), enrolment)
        .compose(id -> members.view(program, id))
        .map(member -> new Reply(201, member));
  }

  /**
   * PATCH /v1/members/{member_id}/consents: by a till of the member's program, or by a manager with the admin
   * token. Consents left out stay as they are; each change is kept in the member's consent history.
   */
  public Future<Reply> consents(RoutingContext ctx) {
    UUID id = memberId(ctx);
    boolean admin = Secrets.matches(Secrets.bearer(ctx.request().getHeader("authorization")), adminTokenHash);
    Till till = admin ? null : Requests.till(ctx, programs);
    JsonObject body = Requests.jsonBody(ctx);
    Fields f = new Fields();
    f.rejectUnknown(body, "", CONSENTS);
    CONSENTS.forEach(name -> f.bool(body, "", name, false)); // each optional, true or false
    if (body.isEmpty()) {
      f.error("", "name at least one of " + String.join(", ", CONSENTS.stream().sorted().toList()));
    }
    f.throwIfInvalid();
    Command.Consent change = new Command.Consent((Boolean) body.getValue("personal_data"),
        (Boolean) body.getValue("marketing"), (Boolean) body.getValue("service_notices"), admin ? null : till.ref());
    Future<Program> program = admin ? members.programOf(id).map(programs::requireProgram)
        : Future.succeededFuture(programs.requireProgram(till.programId()));
    return program.compose(p -> members.changeConsents(p, id, change))
        .map(state -> new Reply(200, new JsonObject().put("member_id", id.toString())
            .put("consents", MemberView.consents(state.profile()))));
  }

  /** GET /v1/members/{member_id} */
  public Future<Reply> get(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    Program program = programs.requireProgram(till.programId());
    return members.view(program, memberId(ctx)).map(member -> new Reply(200, member));
  }

  /** GET /v1/members/lookup?phone=… or ?card=… */
  public Future<Reply> lookup(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    Program program = programs.requireProgram(till.programId());
    JsonObject query = new JsonObject();
    ctx.queryParams().forEach(entry -> query.put(entry.getKey(), entry.getValue()));
    Fields f = new Fields();
    MemberRef ref = MemberRef.parse(f, "", query, program);
    if (ref != null && ref.id() != null) {
      f.error("id", "look members up by phone or card; use GET /v1/members/{member_id} for an id");
    }
    f.throwIfInvalid();
    return members.resolve(program.id(), ref).compose(id -> id == null
        ? Future.failedFuture(new ApiException(ErrorCode.MEMBER_NOT_FOUND, "No member with this phone or card"))
        : members.view(program, id)).map(member -> new Reply(200, member));
  }

  /** GET /v1/members/{member_id}/ledger?limit=&cursor= */
  public Future<Reply> ledger(RoutingContext ctx) {
    Till till = Requests.till(ctx, programs);
    return ledgerPage(members, ctx, programs.requireProgram(till.programId()));
  }

  /**
   * A page of the ledger of the member the path names, newest first ({@code limit}, {@code cursor} from the query).
   * Maturing the member first proves it belongs to the program (404 otherwise) and brings its lots up to date.
   */
  public static Future<Reply> ledgerPage(Members members, RoutingContext ctx, Program program) {
    UUID id = memberId(ctx);
    Fields f = new Fields();
    long limit = Queries.number(f, ctx, "limit", 50, 1, MAX_LEDGER_PAGE);
    long before = Queries.number(f, ctx, "cursor", Long.MAX_VALUE, 1, Long.MAX_VALUE);
    f.throwIfInvalid();
    return members.matured(program, id)
        .compose(member -> members.ledger(program.id(), id, before, (int) limit))
        .map(page -> new Reply(200, page));
  }


  private static UUID memberId(RoutingContext ctx) {
    UUID id = MemberRef.uuid(ctx.pathParam("member_id"));
    if (id == null) {
      throw new ApiException(ErrorCode.MEMBER_NOT_FOUND, "No such member");
    }
    return id;
  }

}
