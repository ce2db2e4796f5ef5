package io.loyalty.gateway.report;

import io.loyalty.gateway.program.Program;
import io.loyalty.gateway.program.ProgramRegistry;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Gauges of the points each program owes, from the same rollup the liability report reads (a few rows), sampled
 * before each scrape: {@code loyalty_program_points{program,state}} and
 * {@code loyalty_program_liability_minor{program,currency}} (available points at the point value).
 */
public final class LiabilityGauges {
  static final String SELECT = """
      SELECT program_id, sum(available), sum(pending), sum(held) FROM program_balances GROUP BY program_id""";

  private final Pool pool;
  private final ProgramRegistry programs;
  private final MeterRegistry registry;
  private final Map<String, AtomicLong> values = new ConcurrentHashMap<>();

  public LiabilityGauges(Pool pool, ProgramRegistry programs, MeterRegistry registry) {
    this.pool = pool;
    this.programs = programs;
    this.registry = registry;
  }

  public Future<Void> sample() {
    return pool.query(SELECT).execute().map(rows -> {
      for (Row row : rows) {
        String id = row.getString(0);
        Program program = programs.find(id);
        if (program == null) {
          continue;
        }
        long available = row.getLong(1);
        set(id, "available", available);
        set(id, "pending", row.getLong(2));
        set(id, "held", row.getLong(3));
        values.computeIfAbsent(id + "/liability", k -> {
          AtomicLong value = new AtomicLong();
          Gauge.builder("loyalty.program.liability.minor", value, AtomicLong::get)
              .description("Available points at the point value, in minor units of the program's currency")
              .tags("program", id, "currency", program.currency()).register(registry);
          return value;
        }).set(available * program.pointValueMinor());
      }
      return null;
    });
  }

  private void set(String program, String state, long points) {
    values.computeIfAbsent(program + "/" + state, k -> {
      AtomicLong value = new AtomicLong();
      Gauge.builder("loyalty.program.points", value, AtomicLong::get)
          .description("Points members of the program hold, by state (available, pending, held)")
          .tags("program", program, "state", state).register(registry);
      return value;
    }).set(points);
  }
}
