package dev.notificationstream.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.config.Config;
import dev.notificationstream.config.DatabaseSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** tomcat-conf/context.xml lists every setting the application reads, with the application's defaults. */
class TomcatConfTest {

    private static final Pattern ENTRY = Pattern.compile(
            "<Environment name=\"([A-Z_]+)\"[^>]*?value=\"\\$\\{([A-Z_]+):-([^}]*)}\"", Pattern.DOTALL);

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
        Config unset = Config.from(name -> {
            read.add(name);
            return null;
        });
        DatabaseSettings unsetTimeouts = DatabaseSettings.from(name -> {
            read.add(name);
            return null;
        });
        assertEquals(read, defaults.keySet(), "the settings Config and the settings records read");
        assertEquals(unset, Config.from(defaults::get), "context.xml's defaults are Config's");
        assertEquals(unsetTimeouts, DatabaseSettings.from(defaults::get), "context.xml's defaults are DatabaseSettings'");
    }
}
