package dev.notificationstream.db;

/**
 * A row addresses a role the reader's audience was not asked about (the first row for a new role):
 * nothing was read; ask the container again (the store's known roles now include it) and retry.
 */
public final class UnaskedRoleException extends RuntimeException {
    public UnaskedRoleException() {
        super("a row addresses a role this audience was not asked about", null, false, false);
    }
}
