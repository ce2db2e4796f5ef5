package io.loyalty.gateway.program;

import io.loyalty.gateway.http.ApiException;
import io.loyalty.gateway.http.ErrorCode;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Programs and till keys, held in memory so no request reads them from a store. Every gateway polls the
 * configuration version on a timer and reloads both tables when it moved (a program change or a revoked key
 * reaches all instances within one refresh period), and applies its own admin writes at once.
 */
public final class ProgramRegistry {
  static final String SELECT_VERSION = "SELECT version FROM config_version";
  static final String SELECT_PROGRAMS = "SELECT id, config FROM programs";
  static final String SELECT_TILLS =
      "SELECT id, program_id, store_id, till_id, key_hash FROM tills WHERE revoked_at IS NULL";
  static final String UPSERT_PROGRAM = """
      INSERT INTO programs (id, config) VALUES ($1, $2)
      ON CONFLICT (id) DO UPDATE SET config = excluded.config, updated_at = now()
      RETURNING (xmax = 0) AS created""";
  static final String REVOKE_TILL = """
      UPDATE tills SET revoked_at = now()
       WHERE program_id = $1 AND store_id = $2 AND till_id = $3 AND revoked_at IS NULL
      RETURNING key_hash""";
  static final String INSERT_TILL =
      "INSERT INTO tills (id, program_id, store_id, till_id, key_hash) VALUES ($1, $2, $3, $4, $5)";

  private final Pool pool;
  private volatile Map<String, Program> programs = Map.of();
  private volatile Map<ByteBuffer, Till> tillsByKeyHash = Map.of();
  /** Bumped by every local write, so a reload that overlapped one is dropped instead of undoing it. */
  private final java.util.concurrent.atomic.AtomicLong localWrites = new java.util.concurrent.atomic.AtomicLong();
  /** The configuration version the maps were loaded at; -1 before the first load. */
  private volatile long loadedVersion = -1;

  private final TillsSeen seen;

  public ProgramRegistry(Pool pool, java.time.Clock clock) {
    this.pool = pool;
    this.seen = new TillsSeen(pool, clock);
  }

  public TillsSeen seen() {
    return seen;
  }

  /** Every program, by id. */
  public java.util.List<Program> all() {
    return programs.values().stream().sorted(java.util.Comparator.comparing(Program::id)).toList();
  }

  /**
   * Reloads programs and tills if the configuration version moved since the last load. The version is read
   * before the tables, so a change committed in between is loaded now and loaded again on the next refresh.
   */
  public Future<Void> refresh() {
    return pool.query(SELECT_VERSION).execute().map(rows -> rows.iterator().next().getLong(0))
        .compose(version -> version == loadedVersion ? Future.succeededFuture() : load(version));
  }

  private Future<Void> load(long version) {
    long writesBefore = localWrites.get();
    Future<Map<String, Program>> loadedPrograms = pool.query(SELECT_PROGRAMS).execute().map(rows -> {
      Map<String, Program> map = new HashMap<>();
      for (Row row : rows) {
        String id = row.getString("id");
        map.put(id, Program.parse(id, (JsonObject) row.getValue("config")));
      }
      return map;
    });
    Future<Map<ByteBuffer, Till>> loadedTills = pool.query(SELECT_TILLS).execute().map(rows -> {
      Map<ByteBuffer, Till> map = new HashMap<>();
      for (Row row : rows) {
        map.put(ByteBuffer.wrap(row.getBuffer("key_hash").getBytes()), new Till(row.getUUID("id"),
            row.getString("program_id"), row.getString("store_id"), row.getString("till_id")));
      }
      return map;
    });
    return Future.all(loadedPrograms, loadedTills).map(done -> {
      synchronized (this) {
        if (localWrites.get() == writesBefore) {
          programs = Map.copyOf(loadedPrograms.result());
          tillsByKeyHash = Map.copyOf(loadedTills.result());
          loadedVersion = version;
        }
      }
      return null;
    });
  }

  /** The program with this id, or null. */
  public Program find(String id) {
    return programs.get(id);
  }

  public Program requireProgram(String id) {
    Program program = programs.get(id);
    if (program == null) {
      throw new ApiException(ErrorCode.PROGRAM_NOT_FOUND, "No program '" + id + "'");
    }
    return program;
  }

  /** The till whose API key this is, or null. The lookup is by hash, so the key never sits in memory. */
  public Till till(String apiKey) {
    return apiKey == null ? null : tillsByKeyHash.get(ByteBuffer.wrap(Secrets.hash(apiKey)));
  }

  /** Creates or replaces a program; the future holds true when it was created. */
  public Future<Boolean> put(Program program) {
    return pool.preparedQuery(UPSERT_PROGRAM)
        .execute(Tuple.of(program.id(), program.toStoredJson()))
        .map(rows -> {
          synchronized (this) {
            localWrites.incrementAndGet();
            Map<String, Program> next = new HashMap<>(programs);
            next.put(program.id(), program);
            programs = Map.copyOf(next);
          }
          return rows.iterator().next().getBoolean("created");
        });
  }

  /**
   * Revokes every key of a till: at once on this gateway, and on the others at their next refresh. The future
   * holds how many keys were revoked.
   */
  public Future<Integer> revokeTill(String programId, String storeId, String tillId) {
    return pool.preparedQuery(REVOKE_TILL).execute(Tuple.of(programId, storeId, tillId)).map(rows -> {
      synchronized (this) {
        localWrites.incrementAndGet();
        Map<ByteBuffer, Till> next = new HashMap<>(tillsByKeyHash);
        rows.forEach(row -> next.remove(ByteBuffer.wrap(row.getBuffer("key_hash").getBytes())));
        tillsByKeyHash = Map.copyOf(next);
      }
      return rows.rowCount();
    });
  }

  /** Issues a new API key for a till; the key is returned once and only its hash is stored. */
  public Future<String> issueTillKey(String programId, String storeId, String tillId) {
    String apiKey = Secrets.newApiKey("lgk_");
    byte[] hash = Secrets.hash(apiKey);
    Till till = new Till(UUID.randomUUID(), programId, storeId, tillId);
    return pool.preparedQuery(INSERT_TILL)
        .execute(Tuple.of(till.ref(), programId, storeId, tillId, io.vertx.core.buffer.Buffer.buffer(hash)))
        .map(rows -> {
          synchronized (this) {
            localWrites.incrementAndGet();
            Map<ByteBuffer, Till> next = new HashMap<>(tillsByKeyHash);
            next.put(ByteBuffer.wrap(hash), till);
            tillsByKeyHash = Map.copyOf(next);
          }
          return apiKey;
        });
  }
}
