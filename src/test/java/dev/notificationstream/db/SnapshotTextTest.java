package dev.notificationstream.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.notificationstream.model.Snapshot;
import dev.notificationstream.support.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cursor's snapshot text against PostgreSQL's own parser (pg_snapshot_in). */
class SnapshotTextTest {

    /** Every snapshot text our parser takes, PostgreSQL's pg_snapshot takes: no cursor reaches the database to fail there. */
    @Test
    void a_cursor_the_parser_takes_is_one_postgresql_takes() throws Exception {
        List<String> texts = new ArrayList<>(List.of("1:1:", "1:4294967296:", "4294967296:4294967297:", "4294967297:4294967297:",
                "4294967295:4294967296:", "1:8589934593:4294967296", "1:2:1,1", "0:1:", "1:9223372036854775807:",
                "8589934592:8589934593:", "3:3:", "5:4:"));
        for (long epoch = 1; epoch <= 50; epoch++) {
            texts.add("1:" + (epoch << 32) + ":");
        }
        String url = TestDatabase.create();
        try (Connection connection = TestDatabase.connect(url);
                PreparedStatement cast = connection.prepareStatement("SELECT ?::pg_snapshot")) {
            for (String text : texts) {
                boolean ours;
                try {
                    Snapshot.parse(text);
                    ours = true;
                } catch (IllegalArgumentException refused) {
                    ours = false;
                }
                boolean postgres;
                cast.setString(1, text);
                try (ResultSet ignored = cast.executeQuery()) {
                    postgres = true;
                } catch (SQLException refused) {
                    postgres = false;
                }
                if (ours) {
                    assertEquals(true, postgres, text + " is taken by Snapshot.parse but refused by PostgreSQL");
                }
            }
        }
    }
}
