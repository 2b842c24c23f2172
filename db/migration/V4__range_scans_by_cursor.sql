-- Every read by cursor is an index range scan in (txid, id) order that stops after its page,
-- whatever the table's size and the cursor's age (NotificationStore.after, docs/scaling.md):
-- everyone's rows (the ChangeFeed) by (txid, id); a user's own by (recipient, txid, id); the rows
-- for everyone and for roles by (txid, id) among those with no recipient. (txid, id) replaces the
-- index on txid alone, whose ties come in no useful order: a large transaction was sorted whole
-- for every page of it.
CREATE INDEX IF NOT EXISTS notifications_txid_id ON notifications (txid, id);
CREATE INDEX IF NOT EXISTS notifications_recipient_txid_id ON notifications (recipient, txid, id) WHERE recipient IS NOT NULL;
CREATE INDEX IF NOT EXISTS notifications_broadcast_txid_id ON notifications (txid, id) WHERE recipient IS NULL;
DROP INDEX IF EXISTS notifications_txid;
-- CREATE INDEX blocks inserts while it runs (about a minute at 10 million rows): on a large table
-- create them beforehand with CREATE INDEX CONCURRENTLY under these names (db/README.md).
