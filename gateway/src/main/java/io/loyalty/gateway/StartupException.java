package io.loyalty.gateway;

/**
 * Why the gateway cannot start, said in one line for the person starting it: what is wrong, the variable or path
 * involved, and what to do. The command line prints the message alone (no stack trace) and exits 1.
 */
public final class StartupException extends RuntimeException {
  public StartupException(String message, Throwable cause) {
    super(message, cause);
  }

  public StartupException(String message) {
    super(message);
  }
}
