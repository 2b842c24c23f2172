package dev.notificationstream.feed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.notificationstream.db.Page;
import dev.notificationstream.model.Audience;
import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import dev.notificationstream.model.Snapshot;
import dev.notificationstream.stream.EventFormat;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Which cursors the ChangeFeed's recent pages cover, and what a start from them gets. */
class RecentTest {

    private static final Audience ALICE = new Audience("alice", Set.of());
    private static final EventFormat FORMAT = new EventFormat();

    private static Cursor at(String snapshot) {
        return Cursor.at(Snapshot.parse(snapshot));
    }

    private static Notification row(long id, String recipient, long txid) {
        return new Notification(id, recipient, null, null, "t" + id, null, null, null, Instant.EPOCH, null, txid, false);
    }

    private static Page page(Cursor from, Cursor next, Notification... rows) {
        return new Page(from, List.of(rows), next, false, List.of());
    }

    private static void add(Recent recent, Page page, long nanos) {
        recent.add(page, page.rows().isEmpty() ? null : FORMAT.encode(page), nanos, 1_000); // read at t = 1 s
    }

    /** Ids of the notifications in the missed events. */
    private static String text(Catchup.Missed missed) {
        StringBuilder all = new StringBuilder();
        missed.events().forEach(bytes -> all.append(new String(bytes, StandardCharsets.UTF_8)));
        return all.toString();
    }

    /** The feed read from 100:100: (txid 100 in flight at 100:101:100, then committed with 101). */
    private static Recent window() {
        Recent recent = new Recent(1_000, TimeUnit.SECONDS.toNanos(60));
        Cursor c0 = at("100:100:");
        Cursor c1 = at("100:102:100");
        Cursor c2 = at("102:103:");
        add(recent, page(c0, c1, row(2, "alice", 101)), 0);
        add(recent, page(c1, c2, row(1, null, 100), row(3, "bob", 102)), 0);
        recent.addMarks(Snapshot.parse("100:100:"), Map.of("alice", List.of(7L)), Snapshot.parse("102:103:"), 0);
        return recent;
    }

    @Test
    void a_cursor_inside_the_window_gets_exactly_the_rows_it_had_not_seen_then_the_window_s_cursor() {
        Catchup.Missed missed = window().since(ALICE, at("100:102:100"), 0).missed();
        String events = text(missed);
        assertTrue(events.contains("\"id\":1,"), events); // committed late, after a cursor that saw 101
        assertFalse(events.contains("\"id\":2,"), events); // its cursor saw it
        assertFalse(events.contains("\"id\":3,"), events); // bob's
        assertEquals(at("102:103:"), missed.next());
        assertTrue(missed.endsAtNext(), "the last page closes with the window's cursor");
        assertEquals(List.of(7L), missed.reads());
        assertEquals(Snapshot.parse("100:102:100"), missed.replayed(), "live pages skip what the cursor had seen");
    }

    @Test
    void the_window_s_first_cursor_gets_every_row_of_the_user_s() {
        String events = text(window().since(ALICE, at("100:100:"), 0).missed());
        assertTrue(events.contains("\"id\":1,") && events.contains("\"id\":2,"), events);
    }

    @Test
    void a_fresh_start_after_the_feed_s_last_read_began_goes_to_the_database() {
        assertNull(window().since(ALICE, null, 1_000), "a row committed before the request may not have been read yet");
        assertNotNull(window().since(ALICE, null, 999));
    }

    @Test
    void a_fresh_start_gets_the_window_s_cursor_and_nothing_else() {
        Catchup.Missed missed = window().since(ALICE, null, 0).missed();
        assertEquals(List.of(), missed.events());
        assertFalse(missed.endsAtNext());
        assertEquals(at("102:103:"), missed.next());
    }

    @Test
    void cursors_older_than_the_window_inside_a_batch_or_ahead_of_the_feed_go_to_the_database() {
        Recent recent = window();
        assertNull(recent.since(ALICE, at("99:100:99"), 0), "it had not seen 99, which the window's start had");
        assertNull(recent.since(ALICE, at("90:95:"), 0), "older than the window");
        assertNull(recent.since(ALICE, Cursor.within(Snapshot.parse("100:100:"), Snapshot.parse("100:102:100"), 101, 2), 0),
                "inside a batch");
        assertNull(recent.since(ALICE, at("104:104:"), 0), "ahead of the feed: perhaps another database's");
        assertNotNull(recent.since(ALICE, at("101:103:101"), 0), "newer than the window's start, not ahead of it");
    }

    @Test
    void a_client_that_finished_a_batch_the_feed_is_still_inside_keeps_its_own_cursor() {
        Recent recent = new Recent(1_000, TimeUnit.SECONDS.toNanos(60));
        Cursor before = at("100:100:");
        Snapshot batch = Snapshot.parse("100:103:");
        add(recent, new Page(before, List.of(row(1, "alice", 100), row(2, "alice", 101)), Cursor.within(before.base(), batch, 101, 2), true, List.of()), 0);
        recent.addMarks(Snapshot.parse("100:100:"), Map.of(), batch, 0);
        Cursor finished = Cursor.at(batch); // read through the database to the batch's end
        Catchup.Missed missed = recent.since(ALICE, finished, 0).missed();
        assertEquals(List.of(), missed.events());
        assertEquals(finished, missed.next(), "not the feed's cursor inside the batch: a resume from it would repeat rows");
        assertFalse(missed.endsAtNext());
    }

    @Test
    void pages_past_the_age_limit_leave_the_window_and_their_cursors_with_them() {
        Recent recent = new Recent(1_000, 10);
        Cursor c0 = at("100:100:");
        Cursor c1 = at("101:101:");
        Cursor c2 = at("102:102:");
        add(recent, page(c0, c1, row(1, "alice", 100)), 0);
        recent.addMarks(Snapshot.parse("100:100:"), Map.of(), Snapshot.parse("101:101:"), 0);
        add(recent, page(c1, c2, row(2, "alice", 101)), 20);
        assertNull(recent.since(ALICE, c0, 0), "its page is gone");
        String events = text(recent.since(ALICE, c1, 0).missed());
        assertTrue(events.contains("\"id\":2,") && !events.contains("\"id\":1,"), events);
    }

    @Test
    void a_gap_in_the_feed_s_pages_starts_the_window_anew() {
        Recent recent = window();
        add(recent, page(at("110:110:"), at("111:111:")), 0);
        recent.addMarks(Snapshot.parse("110:110:"), Map.of(), Snapshot.parse("111:111:"), 0);
        assertNull(recent.since(ALICE, at("102:103:"), 0));
        assertNotNull(recent.since(ALICE, at("110:110:"), 0));
    }

    @Test
    void a_snapshot_sees_all_of_an_earlier_one_and_not_of_a_later_one() {
        Snapshot earlier = Snapshot.parse("100:102:100");
        assertTrue(Snapshot.parse("100:103:100").seesAllOf(earlier));
        assertTrue(Snapshot.parse("102:103:").seesAllOf(earlier));
        assertFalse(Snapshot.parse("100:103:100,101").seesAllOf(earlier), "101 was done for the earlier one");
        assertFalse(Snapshot.parse("99:101:99").seesAllOf(earlier));
    }
}
