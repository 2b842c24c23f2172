package dev.notificationstream.ops;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.specification.RequestSpecification;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Hostile requests get a clear 4xx or are cut off; everyone else keeps being served and nothing is lost. */
class HostileInputTest {

    private static TestServer server;
    private static SseClient bystander;

    @BeforeAll
    static void start() throws Exception {
        server = TestServer.start();
        bystander = SseClient.open(server.url(), "/events", "bob", null);
        bystander.awaitCursor(Duration.ofSeconds(10));
    }

    @AfterAll
    static void stop() throws Exception {
        // Through everything below, bob's stream kept working.
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('bob', 'still here')");
        List<String> titles = bystander.drain(Duration.ofSeconds(2)).stream().map(n -> n.get("title").asText()).toList();
        bystander.close();
        server.close();
        assertEquals("still here", titles.getLast());
    }

    private static RequestSpecification alice() {
        return given().header("Authorization", SseClient.basic("alice"));
    }

    @Test
    void unknown_query_parameters_are_refused_by_name() {
        alice().queryParam("recipient", "bob").when().get(server.url() + "/api/notifications")
                .then().statusCode(400).body("error", equalTo("invalid_parameter"))
                .body("message", containsString("unknown parameter 'recipient'"));
        alice().queryParam("user", "bob").when().get(server.url() + "/events")
                .then().statusCode(400).body("message", containsString("unknown parameter 'user'"));
    }

    @Test
    void another_users_cursor_reveals_nothing_of_theirs() throws Exception {
        String bobsCursor = given().header("Authorization", SseClient.basic("bob")).when()
                .get(server.url() + "/api/notifications?limit=1").then().extract().path("cursor");
        server.execute("INSERT INTO notifications (recipient, title) VALUES ('bob', 'private to bob'), ('alice', 'for alice')");
        alice().queryParam("cursor", bobsCursor).when().get(server.url() + "/api/notifications")
                .then().statusCode(200)
                .body("notifications.title", equalTo(List.of("for alice")));
    }

    @Test
    void oversized_headers_are_refused_in_json_without_details() throws Exception {
        alice().header("X-Padding", "x".repeat(20_000)).when().get(server.url() + "/api/config")
                .then().statusCode(400).contentType("application/json")
                .body(not(containsString("java."))).body(not(containsString("Tomcat")));
    }

    @Test
    void a_request_that_never_finishes_its_headers_is_cut_off() throws Exception {
        try (Socket slow = new Socket("127.0.0.1", server.tomcat().port())) {
            slow.setSoTimeout(60_000);
            OutputStream out = slow.getOutputStream();
            out.write("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n".getBytes(StandardCharsets.US_ASCII)); // and then nothing
            out.flush();
            InputStream in = slow.getInputStream();
            // The connector's connectionTimeout (20 s) closes it.
            byte[] answer = in.readAllBytes();
            String text = new String(answer, StandardCharsets.US_ASCII);
            assertEquals(false, text.contains("text/event-stream"), "no stream was opened: " + text);
        }
    }

    @Test
    void a_method_http_does_not_define_is_a_501_that_claims_no_internal_error() {
        for (String method : new String[] {"PROPFIND", "FOO"}) {
            alice().when().request(method, server.url() + "/api/notifications")
                    .then().statusCode(501).contentType("application/json")
                    .body("error", equalTo("not_implemented")).body("message", not(containsString("logged")));
        }
    }

    @Test
    void a_method_the_resource_does_not_take_is_a_405_naming_it_with_what_it_takes() {
        String[][] cases = {
            {"DELETE", "/api/notifications", "GET, HEAD, POST, OPTIONS"},
            {"PUT", "/api/notifications/1/read", "GET, HEAD, POST, OPTIONS"},
            {"POST", "/events", "GET, HEAD, OPTIONS"},
            {"PATCH", "/api/config", "GET, HEAD, OPTIONS"},
            {"PUT", "/", "GET, HEAD, OPTIONS"},
            {"DELETE", "/index.html", "GET, HEAD, OPTIONS"},
        };
        for (String[] c : cases) {
            alice().when().request(c[0], server.url() + c[1])
                    .then().statusCode(405).header("Allow", equalTo(c[2]))
                    .body("error", equalTo("method_not_allowed"))
                    .body("message", equalTo("this resource does not take " + c[0] + "; it takes " + c[2]));
        }
        given().when().options(server.url() + "/events").then().statusCode(204).header("Allow", equalTo("GET, HEAD, OPTIONS"));
        alice().when().get(server.url() + "/error").then().statusCode(404).body("error", equalTo("not_found"));
    }

    /** Tomcat answers these before any application sees them; they carry the headers all the same. */
    @Test
    void errors_the_container_makes_carry_the_security_headers() throws Exception {
        String[] requests = {
            "GET /api/config HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: " + "x".repeat(20_000) + "\r\n\r\n",
            "GET /api/config HTTP/1.2\r\nHost: 127.0.0.1\r\n\r\n",
            "POST /api/notifications HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
        };
        for (String request : requests) {
            try (Socket socket = new Socket("127.0.0.1", server.tomcat().port())) {
                socket.setSoTimeout(10_000);
                socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
                String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                String head = answer.substring(0, Math.max(0, answer.indexOf("\r\n\r\n")));
                assertEquals(true, head.matches("(?s)HTTP/1.1 [45]\\d\\d .*"), head);
                for (String header : new String[] {"Content-Security-Policy: default-src 'self'", "X-Content-Type-Options: nosniff",
                        "Referrer-Policy: no-referrer", "X-Frame-Options: DENY"}) {
                    assertEquals(true, head.contains(header), header + " in " + head);
                }
            }
        }
    }

    @Test
    void garbage_instead_of_http_is_answered_with_400_and_closed() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", server.tomcat().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write("\u0000\u0001garbage\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
            String answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
            assertEquals(true, answer.startsWith("HTTP/1.1 400"), answer);
        }
    }
}
