package dev.notificationstream.launch;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class BannerTest {

    @Test
    void the_banner_names_every_demo_user_and_what_more_they_may_do() throws Exception {
        assertEquals("alice / alice-password, bob / bob-password, ops / ops-password (notifier, metrics)", Banner.signIn());
    }

    @Test
    void a_stop_by_sigterm_reads_as_a_stop_and_anything_else_as_a_failure() {
        assertEquals("Tomcat stopped", Banner.ending(143, Path.of("logs")));
        assertEquals("Tomcat stopped", Banner.ending(0, Path.of("logs")));
        assertEquals("Tomcat exited with 1; see logs", Banner.ending(1, Path.of("logs")));
    }
}
