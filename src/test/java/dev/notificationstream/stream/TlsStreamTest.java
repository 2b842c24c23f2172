package dev.notificationstream.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.connector.LeanHttp11NioProtocol;
import dev.notificationstream.support.RawStream;
import dev.notificationstream.support.TestServer;
import java.io.File;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.catalina.Engine;
import org.apache.catalina.connector.Connector;
import org.apache.tomcat.util.net.SSLHostConfig;
import org.apache.tomcat.util.net.SSLHostConfigCertificate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * An HTTP/1.1 stream over TLS terminated by Tomcat (no ALPN: HTTP/1.1): the servlet hands the
 * connection over as on plain HTTP, and the stream works over Tomcat's TLS channel: events arrive,
 * and either side's end closes the connection.
 */
class TlsStreamTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @RegisterExtension
    static final TestServer server = TestServer.forClass("SSE_HEARTBEAT_INTERVAL", "60");

    private static int tlsPort;
    private static SSLContext trustAll;

    @BeforeAll
    static void addTlsConnector() throws Exception {
        Path keystore = Files.createTempDirectory("tls-stream").resolve("localhost.p12");
        Process keytool = new ProcessBuilder(System.getProperty("java.home") + File.separator + "bin" + File.separator + "keytool",
                "-genkeypair", "-alias", "tomcat", "-keyalg", "RSA", "-keysize", "2048", "-validity", "2",
                "-dname", "CN=127.0.0.1", "-storetype", "PKCS12", "-keystore", keystore.toString(),
                "-storepass", "changeit", "-keypass", "changeit").inheritIO().start();
        assertEquals(0, keytool.waitFor(), "keytool made a key");

        Connector tls = new Connector(LeanHttp11NioProtocol.class.getName());
        tls.setPort(0);
        tls.setProperty("address", "127.0.0.1");
        tls.setProperty("SSLEnabled", "true");
        tls.setSecure(true);
        tls.setScheme("https");
        SSLHostConfig host = new SSLHostConfig();
        SSLHostConfigCertificate certificate = new SSLHostConfigCertificate(host, SSLHostConfigCertificate.Type.RSA);
        certificate.setCertificateKeystoreFile(keystore.toString());
        certificate.setCertificateKeystorePassword("changeit");
        host.addCertificate(certificate);
        tls.addSslHostConfig(host);
        ((Engine) server.tomcat().context().getParent().getParent()).getService().addConnector(tls);
        tlsPort = tls.getLocalPort();

        trustAll = SSLContext.getInstance("TLS");
        trustAll.init(null, new TrustManager[] {new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {}

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        }}, null);
    }

    private static RawStream openOverTls(String user) throws Exception {
        Socket socket = trustAll.getSocketFactory().createSocket("127.0.0.1", tlsPort);
        return new RawStream(socket, user, "/events", "");
    }

    @Test
    void a_stream_over_tls_is_handed_over_and_delivers() throws Exception {
        try (RawStream alice = openOverTls("alice")) {
            assertTrue(alice.statusLine.startsWith("HTTP/1.1 200"), alice.statusLine);
            assertEquals("close", alice.headers.get("connection"), "handed over: the body runs until the connection closes");
            assertNull(alice.headers.get("transfer-encoding"));
            alice.awaitLive(WAIT);
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'over tls')");
            assertTrue(alice.readUntil("over tls", WAIT).contains("\"title\":\"over tls\""), alice.body());
        }
    }

    @Test
    void a_client_ending_a_tls_stream_is_noticed() throws Exception {
        try (RawStream bob = openOverTls("bob")) {
            bob.awaitLive(WAIT);
            assertEquals(1, server.awaitActiveStreams(1, WAIT));
        }
        assertEquals(0, server.awaitActiveStreams(0, WAIT), "the client's close was noticed (heartbeats: every 60 s)");
    }
}
