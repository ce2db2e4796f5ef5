package io.loyalty.gateway.report;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.loyalty.gateway.http.Fields;
import io.loyalty.gateway.http.Queries;
import io.loyalty.gateway.http.Reply;
import io.loyalty.gateway.http.Requests;
import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import java.time.Clock;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/** The managers' figures over HTTP (admin token): liability, analytics and usage, as JSON or CSV. */
public final class ReportRoutes {
  /** Most groups one analytics answer holds, per grouping (about ten years of months, five of weeks). */
  static final int MAX_DAYS = 366;
  static final int MAX_WEEKS = 260;
  static final int MAX_MONTHS = 120;
  static final int MAX_STORE_MONTHS = 12;
  static final int MAX_INACTIVE_AFTER_DAYS = 3650;
  public static final int DEFAULT_INACTIVE_AFTER_DAYS = 90;

  private final ProgramRegistry programs;
  private final byte[] adminTokenHash;
  private final Reports reports;
  private final Clock clock;

  public ReportRoutes(ProgramRegistry programs, byte[] adminTokenHash, Reports reports, Clock clock) {
    this.programs = programs;
    this.adminTokenHash = adminTokenHash;
    this.reports = reports;
    this.clock = clock;
  }

  /** GET /v1/admin/programs/{program_id}/liability?inactive_after_days= */
  public Future<Reply> liability(RoutingContext ctx) {
    return liabilityFigures(ctx).map(json -> new Reply(200, json));
  }

  /** GET /v1/admin/programs/{program_id}/liability.csv */
  public Future<Reply> liabilityCsv(RoutingContext ctx) {
    return liabilityFigures(ctx).map(json -> Reply.csv(Csv.of(List.of(json))));
  }

  /** GET /v1/admin/programs/{program_id}/analytics?from=&to=&group_by= */
  public Future<Reply> analytics(RoutingContext ctx) {
    return analyticsFigures(ctx).map(json -> new Reply(200, json));
  }

  /** GET /v1/admin/programs/{program_id}/analytics.csv */
  public Future<Reply> analyticsCsv(RoutingContext ctx) {
    return analyticsFigures(ctx).map(json -> Reply.csv(Csv.of(json.getJsonArray("groups").stream()
        .map(g -> (JsonObject) g).toList())));
  }

  /** GET /v1/admin/programs/{program_id}/usage?month=YYYY-MM */
  public Future<Reply> usage(RoutingContext ctx) {
    Program program = admin(ctx, Set.of("month"));
    Fields f = new Fields();
    YearMonth month = YearMonth.from(today());
    String value = ctx.queryParams().get("month");
    if (value != null) {
      try {
        month = YearMonth.parse(value);
      } catch (DateTimeParseException e) {
        f.error("month", "must be a month as YYYY-MM");
      }
    }
    f.throwIfInvalid();
    return reports.usage(program, month).map(json -> new Reply(200, json));
  }

  private Future<JsonObject> liabilityFigures(RoutingContext ctx) {
    Program program = admin(ctx, Set.of("inactive_after_days"));
    Fields f = new Fields();
    long days = Queries.number(f, ctx, "inactive_after_days", DEFAULT_INACTIVE_AFTER_DAYS, 1,
        MAX_INACTIVE_AFTER_DAYS);
    f.throwIfInvalid();
    return reports.liability(program, today(), (int) days);
  }

  private Future<JsonObject> analyticsFigures(RoutingContext ctx) {
    Program program = admin(ctx, Set.of("from", "to", "group_by"));
    Fields f = new Fields();
    Reports.GroupBy groupBy = Reports.GroupBy.DAY;
    String by = ctx.queryParams().get("group_by");
    if (by != null) {
      try {
        groupBy = Reports.GroupBy.valueOf(by.toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        f.error("group_by", "must be one of day, week, month, store");
      }
    }
    LocalDate to = date(f, ctx, "to", today());
    LocalDate from = date(f, ctx, "from", switch (groupBy) {
      case DAY -> to.minusDays(29);
      case WEEK -> to.minusWeeks(11);
      case MONTH -> to.minusMonths(11);
      case STORE -> to;
    });
    f.throwIfInvalid();
    if (from.isAfter(to)) {
      throw new ApiException(ErrorCode.INVALID_RANGE, "'from' (" + from + ") is after 'to' (" + to + ")",
          new JsonObject().put("errors", new JsonArray().add(new JsonObject().put("field", "from")
              .put("message", "must not be after 'to'"))));
    }
    long groups = groupBy.unit.between(groupBy.start(from), groupBy.start(to)) + 1;
    long max = switch (groupBy) {
      case DAY -> MAX_DAYS;
      case WEEK -> MAX_WEEKS;
      case MONTH -> MAX_MONTHS;
      case STORE -> MAX_STORE_MONTHS;
    };
    if (groups > max) {
      throw new ApiException(ErrorCode.INVALID_RANGE, "The range spans " + groups + " "
          + groupBy.unit.toString().toLowerCase(Locale.ROOT) + "; at most " + max + " with group_by="
          + groupBy.name().toLowerCase(Locale.ROOT), new JsonObject().put("errors", new JsonArray()
              .add(new JsonObject().put("field", "from").put("message", "is too far before 'to'"))));
    }
    return reports.analytics(program, from, to, groupBy);
  }

  private Program admin(RoutingContext ctx, Set<String> queryNames) {
    Program program = Requests.adminProgram(ctx, adminTokenHash, programs);
    Fields f = new Fields();
    for (String name : ctx.queryParams().names()) {
      if (!queryNames.contains(name)) {
        f.error(name, "is not a known parameter (known: " + String.join(", ", queryNames.stream().sorted().toList())
            + ")");
      }
    }
    f.throwIfInvalid();
    return program;
  }

  private static LocalDate date(Fields f, RoutingContext ctx, String name, LocalDate fallback) {
    String value = ctx.queryParams().get(name);
    if (value == null) {
      return fallback;
    }
    try {
      return LocalDate.parse(value);
    } catch (DateTimeParseException e) {
      f.error(name, "must be a date as YYYY-MM-DD");
      return fallback;
    }
  }

  private LocalDate today() {
    return LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
  }
}
