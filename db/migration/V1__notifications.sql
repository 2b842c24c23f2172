-- The notifications table: anyone with SQL access (the app, a batch job, a DBA in psql) inserts
-- rows here, and notification-stream delivers them. See db/README.md.

CREATE TABLE notifications (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient   text,                 -- the user's login name; NULL = every user
    category    text,
    title       text        NOT NULL,
    body        text,
    link        text,
    data        jsonb,
    created_at  timestamptz NOT NULL DEFAULT now(),
    -- The writing transaction: which cursors (pg_snapshot) have seen this row. Set by a trigger.
    txid        xid8        NOT NULL DEFAULT pg_current_xact_id(),

    CONSTRAINT notifications_recipient_length CHECK (char_length(recipient) BETWEEN 1 AND 256),
    CONSTRAINT notifications_category_length  CHECK (char_length(category) BETWEEN 1 AND 64),
    CONSTRAINT notifications_title_length     CHECK (char_length(title) BETWEEN 1 AND 200),
    CONSTRAINT notifications_body_length      CHECK (char_length(body) <= 10000),
    CONSTRAINT notifications_link_length      CHECK (char_length(link) <= 2048),
    CONSTRAINT notifications_data_size        CHECK (octet_length(data::text) <= 16384)
);

-- "What has a cursor not seen": txid >= xmax OR txid IN (xip), both index scans.
CREATE INDEX notifications_txid ON notifications (txid);
-- A user's rows (and, with recipient IS NULL, the broadcasts) newest first, for polling and last_n.
CREATE INDEX notifications_recipient_id ON notifications (recipient, id);

-- txid must be the real writing transaction or resumes would skip rows: an INSERT cannot choose
-- it and an UPDATE cannot change it.
CREATE FUNCTION notifications_force_txid() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.txid := pg_current_xact_id();
    ELSE
        NEW.txid := OLD.txid;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER notifications_force_txid
    BEFORE INSERT OR UPDATE ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_force_txid();

-- One payload-less wake-up per statement, delivered at commit: a 100,000-row INSERT ... SELECT
-- wakes each listener once, and NOTIFY's commit-time lock is taken once, not per row.
CREATE FUNCTION notifications_wake_listeners() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('notifications', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_wake_listeners
    AFTER INSERT ON notifications
    FOR EACH STATEMENT EXECUTE FUNCTION notifications_wake_listeners();
