package dev.notificationstream.launch;

import java.nio.file.Path;
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
        LocalPostgres postgres = null;
        if (System.getenv("DATABASE_URL") == null && System.getProperty("DATABASE_URL") == null) {
            postgres = LocalPostgres.persistent(Path.of(".data/postgres"), 54329);
            settings.put("DATABASE_URL", postgres.url("postgres"));
            System.out.println("PostgreSQL (embedded) at " + postgres.url("postgres") + ", data in .data/postgres");
        }
        EmbeddedTomcat tomcat = EmbeddedTomcat.start(port, settings);
        LocalPostgres database = postgres;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                tomcat.close();
                if (database != null) {
                    database.close();
                }
            } catch (Exception e) {
                e.printStackTrace();
            }
        }));
        System.out.println("notification-stream on http://localhost:" + tomcat.port() + "/ (alice / alice-password, bob / bob-password)");
        tomcat.await();
    }
}
