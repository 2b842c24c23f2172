package dev.notificationstream.launch;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.support.TestServer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command the run commands print mints a token that the local run accepts, with nothing but python3. */
class DevTokenTest {

    @Test
    void the_printed_command_mints_a_token_that_signs_alice_in() throws Exception {
        try (TestServer server = TestServer.start("AUTH_TOKEN_SECRET", DevToken.SECRET)) {
            server.execute("INSERT INTO notifications (recipient, title) VALUES ('alice', 'for alice')");
            Process shell = new ProcessBuilder("bash", "-c", DevToken.mintCommand() + " && echo \"$TOKEN\"").start();
            String token = new String(shell.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).strip();
            assertEquals(0, shell.waitFor(), new String(shell.getErrorStream().readAllBytes(), StandardCharsets.UTF_8));
            assertEquals("for alice", given().header("Authorization", "Bearer " + token).when().get(server.url() + "/api/notifications")
                    .then().statusCode(200).extract().jsonPath().getString("notifications[0].title"));
        }
    }
}
