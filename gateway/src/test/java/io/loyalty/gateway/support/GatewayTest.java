package io.loyalty.gateway.support;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** A test class with its own gateway over the shared test stores, started once for the class. */
public abstract class GatewayTest {
  protected static TestGateway gw;

  @BeforeAll
  static void startGateway() {
    gw = TestGateway.start();
  }

  @AfterAll
  static void stopGateway() {
    gw.close();
  }
}
