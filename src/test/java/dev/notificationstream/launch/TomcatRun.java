package dev.notificationstream.launch;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The README's run command: {@code ./mvnw -DskipTests package exec:java}. The built WAR on the
 * real Tomcat 11 distribution with tomcat-conf, in a CATALINA_BASE at target/tomcat-base, serving
 * http://localhost:8080/ (PORT to change it) with the demo users; against DATABASE_URL when set,
 * else a local PostgreSQL whose data stays in .data/postgres. Ctrl-C stops Tomcat, then PostgreSQL.
 */
public final class TomcatRun {

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        Map<String, String> environment = new HashMap<>();
        LocalPostgres postgres = LocalPostgres.unlessConfigured();
        if (postgres != null) {
            environment.put("DATABASE_URL", postgres.url("postgres"));
        }
        environment.put("AUTH_TOKEN_SECRET", DevToken.SECRET);
        Path base = TomcatDistribution.prepare(Path.of("target/tomcat-base"), true);
        System.out.println("Tomcat " + TomcatDistribution.home() + " with CATALINA_BASE " + base);
        TomcatDistribution tomcat;
        try {
            tomcat = TomcatDistribution.start(base, port, environment, null);
        } catch (Exception failed) {
            if (postgres != null) {
                postgres.close();
            }
            throw failed;
        }
        // Ctrl-C reaches this JVM and Tomcat alike; stop Tomcat first so its streams and LISTEN
        // connection close before PostgreSQL goes.
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
        System.out.println("notification-stream on http://localhost:" + port + "/ (" + Banner.signIn() + "); Ctrl-C stops it");
        System.out.println(DevToken.banner(port));
        int exit = tomcat.waitFor();
        System.out.println(Banner.ending(exit, base.resolve("logs")));
    }
}
