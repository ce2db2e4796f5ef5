package io.loyalty.gateway.support;

import io.loyalty.gateway.Config;
import io.loyalty.gateway.EmbeddedStores;
import java.util.HashMap;
import java.util.Map;

/**
 * The Redis and PostgreSQL every test talks to: started once per test JVM as real embedded servers on free
 * ports, or the servers named by TEST_REDIS_URL / TEST_DATABASE_URL.
 */
public final class TestStores {
  private static EmbeddedStores stores;

  private TestStores() {
  }

  public static synchronized EmbeddedStores get() {
    if (stores == null) {
      Map<String, String> env = new HashMap<>();
      putIfSet(env, "REDIS_URL", System.getenv("TEST_REDIS_URL"));
      putIfSet(env, "DATABASE_URL", System.getenv("TEST_DATABASE_URL"));
      stores = EmbeddedStores.startMissing(Config.fromEnv(env), null);
      Runtime.getRuntime().addShutdownHook(new Thread(stores::close));
    }
    return stores;
  }

  private static void putIfSet(Map<String, String> env, String name, String value) {
    if (value != null && !value.isBlank()) {
      env.put(name, value);
    }
  }
}
