package dev.notificationstream.db;

/**
 * A row addresses a role the reader's audience was not asked about (the first row for a new role):
 * nothing was read; ask the container again about the store's known roles (read anew) and retry.
 */
public final class UnaskedRoleException extends RuntimeException {
    public UnaskedRoleException() {
        super("a row addresses a role this audience was not asked about", null, false, false);
    }
}
