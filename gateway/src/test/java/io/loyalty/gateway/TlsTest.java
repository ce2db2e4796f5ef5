package io.loyalty.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.loyalty.gateway.support.TestGateway;
import io.vertx.core.net.SelfSignedCertificate;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;

/** With GATEWAY_TLS_CERT and GATEWAY_TLS_KEY the gateway serves HTTPS only. */
class TlsTest {

  @Test
  void servesHttpsWithTheConfiguredCertificate() throws Exception {
    SelfSignedCertificate certificate = SelfSignedCertificate.create("localhost");
    int port = EmbeddedStores.freePort();
    try (TestGateway gw = TestGateway.start(Map.of("GATEWAY_PORT", Integer.toString(port),
        "GATEWAY_TLS_CERT", certificate.certificatePath(), "GATEWAY_TLS_KEY", certificate.privateKeyPath()))) {
      HttpResponse<String> secure = trustingAll().send(HttpRequest.newBuilder(
          URI.create("https://localhost:" + port + "/health/live")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(secure.statusCode()).isEqualTo(200);
      assertThat(secure.sslSession()).isPresent();

      // plain HTTP gets no answer, and a client that does not trust the certificate refuses the handshake
      HttpClient plain = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/health/live"))
          .build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(IOException.class);
      assertThatThrownBy(() -> plain.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port
          + "/health/live")).build(), HttpResponse.BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
    }
  }

  /** Trusts any certificate: only to reach the test's self-signed one. */
  static HttpClient trustingAll() throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new X509TrustManager() {
      public void checkClientTrusted(X509Certificate[] chain, String authType) {
      }

      public void checkServerTrusted(X509Certificate[] chain, String authType) {
      }

      public X509Certificate[] getAcceptedIssuers() {
        return new X509Certificate[0];
      }
    }}, null);
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(context).build();
  }
}
