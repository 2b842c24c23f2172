package dev.notificationstream.launch;

import java.util.HashMap;
import java.util.Map;

/**
 * The quick local run on embedded Tomcat: {@code ./mvnw test-compile exec:java@embedded}. Serves http://localhost:8080/
 * (PORT to change it) with the demo users, against DATABASE_URL when set, else against a local
 * PostgreSQL whose data lives in .data/postgres. Ctrl-C stops both.
 */
public final class DevServer {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        Map<String, String> settings = new HashMap<>();
        LocalPostgres postgres = LocalPostgres.unlessConfigured();
        if (postgres != null) {
            settings.put("DATABASE_URL", postgres.url("postgres"));
        }
        settings.put("AUTH_TOKEN_SECRET", DevToken.SECRET);
        EmbeddedTomcat tomcat = EmbeddedTomcat.start(port, settings);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.close();
                if (postgres != null) {
                    postgres.close();
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        System.out.println("notification-stream on http://localhost:" + tomcat.port() + "/ (" + Banner.signIn() + ")");
        System.out.println(DevToken.banner(tomcat.port()));
        tomcat.await();
    }
}
