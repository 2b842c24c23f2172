-- A fresh start and a page's "older" read a user's newest rows by id, one index range scan per
-- audience (NotificationStore.LATEST): the user's own on notifications_recipient_id, each role's on
-- notifications_recipient_role_id, and the rows for everyone on this one. Small: it holds only the
-- rows addressed to everyone. CREATE INDEX blocks inserts while it reads the table (seconds at 10
-- million rows): on a large table create it beforehand with CREATE INDEX CONCURRENTLY under this
-- name (db/README.md).
CREATE INDEX IF NOT EXISTS notifications_everyone_id ON notifications (id) WHERE recipient IS NULL AND recipient_role IS NULL;
