-- Audiences besides one user and everyone, expiry, retention, and read state.

-- A row may address a role: delivered to the users for whom the container's isUserInRole(role)
-- is true. One audience per row: a user, a role, or (both NULL) everyone.
ALTER TABLE notifications
    ADD COLUMN recipient_role text,
    ADD COLUMN expires_at timestamptz,
    ADD CONSTRAINT notifications_recipient_role_length CHECK (char_length(recipient_role) BETWEEN 1 AND 64),
    ADD CONSTRAINT notifications_one_audience CHECK (recipient IS NULL OR recipient_role IS NULL);

CREATE INDEX notifications_recipient_role_id ON notifications (recipient_role, id) WHERE recipient_role IS NOT NULL;

-- Every role any row has addressed, so the service asks the container about those roles only.
-- Kept by a statement trigger; tiny.
CREATE TABLE notification_roles (
    role text PRIMARY KEY
);

CREATE FUNCTION notifications_remember_roles() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO notification_roles (role)
    SELECT DISTINCT recipient_role FROM new_rows WHERE recipient_role IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_remember_roles
    AFTER INSERT ON notifications
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_remember_roles();

-- Read state: one row per user and notification read, so a broadcast to 100,000 users costs one
-- notifications row until each of them reads it. txid and the wake-up work as for notifications:
-- marks travel through the ChangeFeed to the user's other devices, on every instance.
CREATE TABLE notification_reads (
    username         text        NOT NULL,
    notification_id  bigint      NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    read_at          timestamptz NOT NULL DEFAULT now(),
    txid             xid8        NOT NULL DEFAULT pg_current_xact_id(),
    PRIMARY KEY (username, notification_id)
);

CREATE INDEX notification_reads_txid ON notification_reads (txid);
CREATE INDEX notification_reads_notification ON notification_reads (notification_id);

CREATE TRIGGER notification_reads_force_txid
    BEFORE INSERT OR UPDATE ON notification_reads
    FOR EACH ROW EXECUTE FUNCTION notifications_force_txid();

CREATE TRIGGER notification_reads_wake_listeners
    AFTER INSERT ON notification_reads
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake_listeners();

-- Retention: deletes rows created before now() - keep, with their read state, in batches of
-- batch_size, committing after each, so no lock is held for long and open streams carry on.
--   CALL notifications_purge(interval '90 days');
CREATE PROCEDURE notifications_purge(keep interval, batch_size integer DEFAULT 5000)
LANGUAGE plpgsql AS $$
DECLARE
    deleted integer;
BEGIN
    LOOP
        DELETE FROM notifications
        WHERE id IN (SELECT id FROM notifications WHERE created_at < now() - keep ORDER BY id LIMIT batch_size);
        GET DIAGNOSTICS deleted = ROW_COUNT;
        COMMIT;
        EXIT WHEN deleted < batch_size;
    END LOOP;
END
$$;
