package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.config.Config;
import dev.notificationstream.config.DatabaseSettings;
import dev.notificationstream.config.OriginSettings;
import dev.notificationstream.config.QueueLimits;
import dev.notificationstream.config.RolloutSettings;
import dev.notificationstream.config.StreamStartSettings;
import dev.notificationstream.config.TokenSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** tomcat-conf/context.xml lists every setting the application reads, with the application's defaults. */
class TomcatConfTest {

    private static final Pattern ENTRY = Pattern.compile(
            "<Environment name=\"([A-Z_]+)\"[^>]*?value=\"\\$\\{([A-Z_]+):-([^}]*)}\"", Pattern.DOTALL);

    @Test
    void the_docker_image_runs_on_the_tomcat_the_build_is_made_against() throws Exception {
        Matcher version = Pattern.compile("<tomcat.version>([^<]+)</tomcat.version>").matcher(Files.readString(Path.of("pom.xml")));
        assertTrue(version.find());
        Matcher from = Pattern.compile("(?m)^FROM tomcat:(\\S+)$").matcher(Files.readString(Path.of("Dockerfile")));
        assertTrue(from.find(), "the Dockerfile runs on the official tomcat image");
        assertEquals(version.group(1) + "-jdk21-temurin", from.group(1), "pinned to pom.xml's tomcat.version");
    }

    @Test
    void context_xml_has_an_entry_for_every_setting_with_the_applications_default() throws Exception {
        String contextXml = Files.readString(Path.of("tomcat-conf/context.xml"));
        Map<String, String> defaults = new TreeMap<>();
        Matcher entry = ENTRY.matcher(contextXml);
        while (entry.find()) {
            assertEquals(entry.group(1), entry.group(2), "the entry reads the environment variable of its own name");
            defaults.put(entry.group(1), entry.group(3));
        }

        TreeSet<String> read = new TreeSet<>();
        Config.Source unset = name -> {
            read.add(name);
            return null;
        };
        // Every settings record of the application (config/*), read from nothing and from context.xml.
        List<Function<Config.Source, Record>> records = List.of(Config::from, DatabaseSettings::from, OriginSettings::from,
                StreamStartSettings::from, TokenSettings::from, RolloutSettings::from, QueueLimits::from);
        for (Function<Config.Source, Record> load : records) {
            assertEquals(load.apply(unset), load.apply(defaults::get), "context.xml's defaults are the application's");
        }
        assertEquals(read, defaults.keySet(), "the settings the application reads");
    }
}
