package dev.notificationstream.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** What the run commands print: where to sign in, and how Tomcat ended. */
final class Banner {

    private static final Pattern USER = Pattern.compile("<user username=\"([^\"]+)\" password=\"([^\"]+)\" roles=\"([^\"]*)\"");

    private Banner() {}

    /** Every demo user of tomcat-conf/demo-users.xml, with the roles beyond "user". */
    static String signIn() throws IOException {
        List<String> users = new ArrayList<>();
        Matcher user = USER.matcher(Files.readString(Path.of("tomcat-conf/demo-users.xml")));
        while (user.find()) {
            String extra = String.join(", ", List.of(user.group(3).split(",")).stream().filter(r -> !r.equals("user")).toList());
            users.add(user.group(1) + " / " + user.group(2) + (extra.isEmpty() ? "" : " (" + extra + ")"));
        }
        return String.join(", ", users);
    }

    /**
     * How Tomcat's process ended. 143 is 128 + SIGTERM: the stop we asked for (Ctrl-C reaches the
     * run command, which stops Tomcat with SIGTERM), not a failure.
     */
    static String ending(int exit, Path logs) {
        return exit == 0 || exit == 143 ? "Tomcat stopped" : "Tomcat exited with " + exit + "; see " + logs;
    }
}
