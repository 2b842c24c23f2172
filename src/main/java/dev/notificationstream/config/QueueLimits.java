package dev.notificationstream.config;

/**
 * What the streams' queues may hold, in bytes of encoded events: one client that stops reading
 * must not fill the heap with what the others have long received. A stream past its bound is ended
 * and resumes from its cursor, at its own pace, from the database.
 *
 * @param streamBytes what one stream may have queued and not yet written (a queue of one item
 *     may hold more: a page is never split)
 * @param totalBytes what all queues together may hold, each page counted once however many queues
 *     hold it; past it, the streams holding the most are ended
 */
public record QueueLimits(long streamBytes, long totalBytes) {

    public static QueueLimits from(Config.Source source) {
        Config.Reader read = new Config.Reader(source);
        long streamBytes = read.number("SSE_QUEUE_BYTES", 8 << 20, 64 << 10, 1 << 30);
        int totalMb = read.number("SSE_QUEUES_TOTAL_MB", 0, 0, 1 << 20);
        // 0: an eighth of the heap. A queued page keeps its rows and their encoding, about three
        // times its encoded bytes, so this keeps queues under about 40 % of the heap.
        long totalBytes = totalMb == 0 ? Runtime.getRuntime().maxMemory() / 8 : (long) totalMb << 20;
        return new QueueLimits(streamBytes, totalBytes);
    }
}
