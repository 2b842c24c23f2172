-- The rules the HTTP API applies to links and role names, in the table too, so that SQL cannot
-- store what the API refuses (model/NewNotification.java says the same in Java):
--   link: an http(s) URL or a path on this site. '//host' and '/\host' lead to another site (a
--         browser reads '\' as '/'), and browsers drop tabs and newlines inside a URL ('/<tab>/host'
--         is '//host'), so no control character anywhere.
--   recipient_role: not '*' or '**', the servlet API's "any role" and "any signed-in user".
--
-- Rows written before this migration that break a rule are not deleted and not left to reach
-- users: they move to notifications_quarantine with the reason and the users who had read them,
-- a WARNING says how many, and the service logs a line at each start while any are there.
-- db/README.md ("Quarantined rows") says how to look at them and bring them back.

CREATE TABLE notifications_quarantine (
    LIKE notifications,                              -- the same columns, none of the checks
    read_by         text[]      NOT NULL DEFAULT '{}', -- notification_reads.username of its marks
    reason          text        NOT NULL,
    quarantined_at  timestamptz NOT NULL DEFAULT now()
);

-- One definition of a safe link, for the check below and for the rows already there.
CREATE FUNCTION notifications_link_is_safe(link text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT link ~ '^(https?://|/([^/\\]|$))' AND link !~ '[\x01-\x1f\x7f]'
$$;

DO $$
DECLARE
    moved integer;
BEGIN
    INSERT INTO notifications_quarantine
    SELECT n.*,
           ARRAY(SELECT r.username FROM notification_reads r WHERE r.notification_id = n.id ORDER BY r.username),
           CASE WHEN NOT notifications_link_is_safe(n.link) THEN 'link leaves the site or is not http(s)'
                ELSE 'recipient_role is ' || n.recipient_role || ' (any role)' END,
           now()
    FROM notifications n
    WHERE NOT notifications_link_is_safe(n.link) OR n.recipient_role IN ('*', '**');
    GET DIAGNOSTICS moved = ROW_COUNT;
    -- Their read marks go with them (ON DELETE CASCADE); read_by above kept who had read each.
    DELETE FROM notifications n WHERE NOT notifications_link_is_safe(n.link) OR n.recipient_role IN ('*', '**');
    IF moved > 0 THEN
        RAISE WARNING '% notifications broke the link or role rules of migration V3 and were moved to notifications_quarantine (db/README.md)', moved;
    END IF;
END
$$;

ALTER TABLE notifications
    ADD CONSTRAINT notifications_link_safe CHECK (notifications_link_is_safe(link)),
    ADD CONSTRAINT notifications_recipient_role_not_reserved CHECK (recipient_role NOT IN ('*', '**'));
