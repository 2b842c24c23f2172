package dev.notificationstream.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.notificationstream.launch.TomcatDistribution;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real Keycloak 26 (the Maven Central distribution that {@code pre-integration-test} unpacks
 * into target/keycloak), started once for all the tests of a run that register this extension,
 * in dev mode on a free loopback port, with the realm of src/test/resources/keycloak/acme-realm.json
 * (users kate, in realm role auditors, and leo; clients signing with RS256, ES256 and EdDSA).
 * Stopped when the run's tests are done. Starting takes ~30 s and ~430 MB.
 */
public final class Keycloak implements BeforeAllCallback {

    public static final String REALM = "acme";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private static Running running;

    /** {@code @RegisterExtension static final Keycloak keycloak = new Keycloak();} */
    public Keycloak() {}

    private record Running(Process process, String url) implements ExtensionContext.Store.CloseableResource {
        @Override
        public void close() throws InterruptedException {
            process.descendants().forEach(ProcessHandle::destroy);
            process.destroy();
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly().waitFor();
            }
        }
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        synchronized (Keycloak.class) {
            if (running == null) {
                running = start();
                // The root store closes it once every test of the run has finished.
                context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL).put(Keycloak.class, running);
            }
        }
    }

    private static Running start() throws Exception {
        String configured = System.getProperty("notificationstream.keycloak.home");
        Path home = Path.of(configured != null ? configured : "target/keycloak/keycloak-26.5.6").toAbsolutePath();
        if (!Files.isRegularFile(home.resolve("bin/kc.sh"))) {
            throw new IllegalStateException("no Keycloak at " + home + ": run `./mvnw -DskipTests pre-integration-test` first");
        }
        // A fresh database each run: the realm is imported from the file, keys and all.
        delete(home.resolve("data"));
        Path imports = Files.createDirectories(home.resolve("data/import"));
        try (var realm = Keycloak.class.getResourceAsStream("/keycloak/acme-realm.json")) {
            Files.copy(realm, imports.resolve("acme-realm.json"), StandardCopyOption.REPLACE_EXISTING);
        }
        int port = TomcatDistribution.freePort();
        ProcessBuilder builder = new ProcessBuilder("/bin/sh", home.resolve("bin/kc.sh").toString(), "start-dev",
                "--http-host=127.0.0.1", "--http-port=" + port, "--http-management-port=" + TomcatDistribution.freePort(),
                "--import-realm");
        builder.environment().put("JAVA_HOME", System.getProperty("java.home"));
        builder.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", "admin");
        builder.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", "admin");
        Path log = home.resolveSibling("keycloak.log");
        builder.redirectErrorStream(true).redirectOutput(log.toFile());
        Process process = builder.start();
        Running started = new Running(process, "http://127.0.0.1:" + port);
        long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Keycloak exited with " + process.exitValue() + "; see " + log);
            }
            try {
                if (HTTP.send(HttpRequest.newBuilder(URI.create(started.url + "/realms/" + REALM + "/.well-known/openid-configuration")).build(),
                        HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return started;
                }
            } catch (IOException notYet) {
                // still starting
            }
            Thread.sleep(500);
        }
        started.close();
        throw new IllegalStateException("Keycloak did not start within 240 s; see " + log);
    }

    public String url() {
        return running.url;
    }

    public String issuer() {
        return url() + "/realms/" + REALM;
    }

    public String jwksUrl() {
        return issuer() + "/protocol/openid-connect/certs";
    }

    /** An access token from the realm's token endpoint (password grant) for {@code client}. */
    public String token(String client, String user, String password) throws Exception {
        return tokenFrom(REALM, Map.of("grant_type", "password", "client_id", client, "username", user, "password", password, "scope", "openid"));
    }

    private String tokenFrom(String realm, Map<String, String> form) throws Exception {
        String body = form.entrySet().stream()
                .map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8)).collect(Collectors.joining("&"));
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/realms/" + realm + "/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 200) {
            throw new IllegalStateException("Keycloak's token endpoint answered " + answer.statusCode() + ": " + answer.body());
        }
        return JSON.readTree(answer.body()).get("access_token").asText();
    }

    /**
     * Rotates the realm's RS256 key as an administrator would: a new generated key of higher
     * priority signs from now on (the old one stays published, for tokens already issued).
     */
    public void rotateRsaKey() throws Exception {
        String admin = tokenFrom("master", Map.of("grant_type", "password", "client_id", "admin-cli", "username", "admin", "password", "admin"));
        JsonNode component = JSON.readTree("""
                {"name":"rsa-rotated","providerId":"rsa-generated","providerType":"org.keycloak.keys.KeyProvider",
                 "parentId":"acme","config":{"priority":["200"],"keySize":["2048"]}}""");
        HttpResponse<String> answer = HTTP.send(HttpRequest.newBuilder(URI.create(url() + "/admin/realms/" + REALM + "/components"))
                .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(component))).build(), HttpResponse.BodyHandlers.ofString());
        if (answer.statusCode() != 201) {
            throw new IllegalStateException("adding a key answered " + answer.statusCode() + ": " + answer.body());
        }
    }

    private static void delete(Path path) throws IOException {
        if (Files.exists(path)) {
            try (Stream<Path> paths = Files.walk(path)) {
                for (Path each : paths.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(each);
                }
            }
        }
    }
}
