package dev.notificationstream.db;

import dev.notificationstream.model.Cursor;
import dev.notificationstream.model.Notification;
import java.util.List;

/**
 * Rows oldest first, and the cursor that follows them. {@code more} is true when the cursor stops
 * inside a batch and another page is waiting; {@code from} is the cursor the page was read after.
 * {@code reads}: for a user's read after a cursor, the ids they marked read since its base (on any
 * device), read in the same snapshot; otherwise empty.
 */
public record Page(Cursor from, List<Notification> rows, Cursor next, boolean more, List<Long> reads) {}
