package dev.notificationstream.feed;

/** Why a stream ended; the client resumes from its cursor in every case. */
public enum StreamEnd {
    /** A write failed or the container reported an error: the client left. */
    CLIENT_GONE,
    /** Its queue filled up, or it took nothing for two heartbeats: it catches up from the database instead. */
    SLOW_CONSUMER,
    /** The service is stopping; the client was told when to come back. */
    SHUTDOWN,
    /**
     * SSE was taken back from its user (the rollout share lowered, or the brake): the stream was
     * told so with an {@code event: config} and the client polls from its cursor.
     */
    SSE_DISABLED,
    /** Its sign-in token expired (the stream was told a little before): the client comes back with a fresh one. */
    TOKEN_EXPIRED,
    /** Something on our side failed. */
    ERROR
}
