package dev.notificationstream.connector;

import static org.junit.jupiter.api.Assertions.assertEquals;

import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.catalina.Context;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ValveBase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connector class on a real Tomcat: its smaller buffers are in effect, and a request that needs
 * more still gets it. The reader-buffer part reaches a private Tomcat field; on a Tomcat upgrade
 * that renames it, this test fails instead of the saving silently going away.
 */
class LeanHttp11NioProtocolTest {

    private static Tomcat tomcat;
    private static int port;
    /** The reader buffer's capacity as each request arrives, seen by a valve before the servlet. */
    private static final ConcurrentLinkedQueue<Integer> readerChars = new ConcurrentLinkedQueue<>();

    @BeforeAll
    static void start() throws Exception {
        tomcat = new Tomcat();
        tomcat.setBaseDir(Files.createTempDirectory("lean-connector").toString());
        tomcat.getEngine().setName("LeanConnectorTest");
        Connector connector = new Connector(LeanHttp11NioProtocol.class.getName());
        connector.setPort(0);
        connector.setProperty("address", "127.0.0.1");
        tomcat.setConnector(connector);
        Context context = tomcat.addContext("", null);
        context.getPipeline().addValve(new ValveBase() {
            @Override
            public void invoke(Request request, Response response) throws IOException, ServletException {
                readerChars.add(LeanHttp11NioProtocol.readerChars(request));
                getNext().invoke(request, response);
            }
        });
        Tomcat.addServlet(context, "echo", new HttpServlet() {
            @Override
            protected void service(HttpServletRequest req, HttpServletResponse resp) throws IOException {
                String body = req.getReader().lines().reduce("", String::concat);
                resp.setContentType("text/plain");
                resp.getWriter().print(resp.getBufferSize() + " " + body.length() + " " + body.hashCode());
            }
        });
        context.addServletMappingDecoded("/*", "echo");
        tomcat.start();
        port = connector.getLocalPort();
    }

    @AfterAll
    static void stop() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }

    @Test
    void smallBuffersAfterTheFirstRequestAndLargeBodiesStillRead() throws IOException {
        String large = "é".repeat(30_000); // 60,000 bytes of UTF-8: far past the shrunk reader buffer
        readerChars.clear();
        try (Socket socket = new Socket("127.0.0.1", port)) {
            List<String> answers = new ArrayList<>();
            for (String body : List.of("", large, "", large)) {
                answers.add(exchange(socket, body));
            }
            // The servlet response buffer: 1 KiB instead of Tomcat's 8 KiB (and as many chars, not 16 KiB worth).
            for (int i = 0; i < answers.size(); i++) {
                String body = i % 2 == 0 ? "" : large;
                assertEquals(LeanHttp11NioProtocol.RESPONSE_BUFFER + " " + body.length() + " " + body.hashCode(), answers.get(i));
            }
        }
        // The first request on a connection meets Tomcat's 8192-char reader buffer; every later one a
        // small buffer again, also after a request whose reader grew it.
        assertEquals(List.of(8192, LeanHttp11NioProtocol.REQUEST_CHARS, LeanHttp11NioProtocol.REQUEST_CHARS, LeanHttp11NioProtocol.REQUEST_CHARS),
                List.copyOf(readerChars));
    }

    /** One POST on a kept-alive connection; the response body. */
    private static String exchange(Socket socket, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /echo HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain; charset=UTF-8\r\nContent-Length: "
                + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        InputStream in = socket.getInputStream();
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new IOException("connection closed in the response headers: " + head);
            }
            head.write(b);
        }
        int length = -1;
        for (String line : head.toString(StandardCharsets.US_ASCII).split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).strip());
            }
        }
        if (length < 0) {
            throw new IOException("no Content-Length: " + head);
        }
        return new String(in.readNBytes(length), StandardCharsets.UTF_8);
    }
}
