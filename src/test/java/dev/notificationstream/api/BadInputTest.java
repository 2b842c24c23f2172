package dev.notificationstream.api;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;

import dev.notificationstream.support.SseClient;
import dev.notificationstream.support.TestServer;
import io.restassured.specification.RequestSpecification;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Bad input gets a 4xx with a JSON body that says what was wrong; never a 500 or a stack trace. */
class BadInputTest {

    @RegisterExtension
    static final TestServer server = TestServer.forClass();

    private static RequestSpecification alice() {
        return given().header("Authorization", SseClient.basic("alice"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"garbage", "1:2", "5:4:", "10:20:25", "1:2:~1:2:~x", "<script>", "99999999999:99999999999:",
            "1:4294967296:", "4294967296:8589934593:", "1:2:~1:8589934592:~5", "9999999999999999999:9999999999999999999:"})
    void a_malformed_or_foreign_cursor_is_a_400_on_both_transports(String cursor) {
        for (String path : new String[] {"/events", "/api/notifications"}) {
            alice().queryParam("cursor", cursor)
                    .when().get(server.url() + path)
                    .then().statusCode(400)
                    .contentType("application/json")
                    .body("error", equalTo("invalid_cursor"))
                    .body("message", containsString("cursor"))
                    .body(not(containsString("Exception"))).body(not(containsString("For input string")));
        }
    }

    @Test
    void a_malformed_last_event_id_is_a_400() {
        alice().header("Last-Event-ID", "not-a-cursor")
                .when().get(server.url() + "/events")
                .then().statusCode(400)
                .body("error", equalTo("invalid_cursor"))
                .body("message", containsString("Last-Event-ID"));
    }

    @Test
    void a_huge_cursor_is_a_400_in_json_from_the_application_or_from_the_container() {
        String wellFormed = "1:100000:" + java.util.stream.IntStream.range(1, 1200).mapToObj(Integer::toString)
                .collect(java.util.stream.Collectors.joining(","));
        alice().header("Last-Event-ID", wellFormed)
                .when().get(server.url() + "/events")
                .then().statusCode(400).body("error", equalTo("invalid_cursor"));
        // Past the connector's request-header limit: Tomcat refuses it before the application.
        alice().queryParam("cursor", "1:2:" + "1,".repeat(5000))
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(400)
                .contentType("application/json")
                .body("status", equalTo(400))
                .body(not(containsString("java.")));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "501", "-1", "ten", "1e3", ""})
    void limit_out_of_range_is_a_400_naming_it(String limit) {
        alice().queryParam("limit", limit)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(400)
                .body("error", equalTo("invalid_parameter"))
                .body("message", containsString("limit must be a whole number from 1 to 500"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "x", "99999999999999999999"})
    void before_that_is_no_id_is_a_400_naming_it(String before) {
        alice().queryParam("before", before)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(400)
                .body("error", equalTo("invalid_parameter"))
                .body("message", containsString("before must be a whole number from 1"));
    }

    @Test
    void before_with_a_cursor_is_a_400() {
        String cursor = alice().get(server.url() + "/api/notifications?limit=1").then().extract().path("cursor");
        alice().queryParam("before", "10").queryParam("cursor", cursor)
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(400)
                .body("message", containsString("before lists older rows and takes no cursor"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"101", "-1", "many"})
    void last_n_out_of_range_is_a_400_naming_it(String lastN) {
        alice().queryParam("last_n", lastN)
                .when().get(server.url() + "/events")
                .then().statusCode(400)
                .body("message", containsString("last_n must be a whole number from 0 to 100"));
    }

    @Test
    void no_credentials_or_a_wrong_password_is_a_401_in_json_with_a_basic_challenge() {
        for (String path : new String[] {"/events", "/api/notifications", "/api/config"}) {
            given().when().get(server.url() + path)
                    .then().statusCode(401)
                    .header("WWW-Authenticate", containsString("Basic"))
                    .contentType("application/json")
                    .body("error", equalTo("unauthenticated"));
        }
        given().auth().preemptive().basic("alice", "wrong")
                .when().get(server.url() + "/api/notifications")
                .then().statusCode(401).body("error", equalTo("unauthenticated"));
    }

    @Test
    void an_unknown_path_or_method_answers_in_json() {
        alice().when().get(server.url() + "/api/nothing-here")
                .then().statusCode(404).contentType("application/json").body("error", equalTo("not_found"));
        alice().when().delete(server.url() + "/api/notifications")
                .then().statusCode(405).contentType("application/json").body("error", equalTo("method_not_allowed"));
    }
}
