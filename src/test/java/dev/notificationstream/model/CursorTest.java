package dev.notificationstream.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class CursorTest {

    @Test
    void a_plain_cursor_is_postgresql_snapshot_text_and_round_trips() {
        Cursor cursor = Cursor.parse("752:760:753,755");
        assertEquals(new Snapshot(752, 760, new long[] {753, 755}), cursor.base());
        assertEquals("752:760:753,755", cursor.toString());
        assertEquals(cursor, Cursor.parse(cursor.toString()));
    }

    @Test
    void a_cursor_inside_a_batch_carries_the_batch_snapshot_and_the_last_rows_position() {
        Cursor cursor = Cursor.parse("752:760:753~770:771:~765~12345");
        assertEquals(Snapshot.parse("770:771:"), cursor.batch());
        assertEquals(765, cursor.afterTxid());
        assertEquals(12345, cursor.afterId());
        assertEquals("752:760:753~770:771:~765~12345", cursor.toString());
        assertEquals(771, cursor.newestXmax());
    }

    @Test
    void a_cursor_of_the_earlier_form_inside_a_batch_resumes_at_the_start_of_its_batch() {
        Cursor cursor = Cursor.parse("752:760:753~770:771:~12345");
        assertEquals(Cursor.within(Snapshot.parse("752:760:753"), Snapshot.parse("770:771:"), 0, 0), cursor);
    }

    @Test
    void a_snapshot_has_not_seen_transactions_at_or_after_xmax_or_in_progress() {
        Snapshot snapshot = Snapshot.parse("100:110:103,107");
        assertFalse(snapshot.unseen(99));
        assertFalse(snapshot.unseen(104));
        assertTrue(snapshot.unseen(103));
        assertTrue(snapshot.unseen(107));
        assertTrue(snapshot.unseen(110));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", " ", "garbage", "1:2", "1:2:3:4", "5:4:", "0:1:", "10:20:25", "10:20:15,12",
            "a:b:", "1:2:x", "-1:2:", "99999999999999999999:1:", "1:2:~1:2:~", "1:2:~1:2:~x", "1:2:~1:2:", "1:2:~1:2:~1~x", "1:2:~1:2:~1~1~1"})
    void anything_else_is_refused_with_a_message(String token) {
        IllegalArgumentException refused = assertThrows(IllegalArgumentException.class, () -> Cursor.parse(token));
        assertTrue(refused.getMessage().startsWith("cursor is"), refused.getMessage());
    }

    @Test
    void a_huge_cursor_is_refused_before_parsing() {
        String huge = "1:2:" + "1,".repeat(10_000);
        assertThrows(IllegalArgumentException.class, () -> Cursor.parse(huge));
    }
}
