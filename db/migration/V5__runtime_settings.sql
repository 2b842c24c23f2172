-- Settings an operator changes while the service runs, first the share of users on SSE. Every
-- change is a row here (the latest row of a setting is its value), and a wake-up on the channel
-- notification_settings, which every instance's ChangeFeed LISTENs on with the connection it
-- already holds: each instance applies the change within a second, no restart.
CREATE TABLE notification_settings_history (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    setting     text        NOT NULL CHECK (setting IN ('sse_rollout_percent')),
    value       integer     NOT NULL,
    reason      text        CHECK (char_length(reason) <= 500),
    changed_by  text        NOT NULL DEFAULT session_user,
    changed_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX notification_settings_history_latest ON notification_settings_history (setting, id);

--   SELECT notifications_set_sse_rollout(10, 'canary');
-- The share of users (0 to 100) whose browsers use SSE; the others poll. Returns the value set.
CREATE FUNCTION notifications_set_sse_rollout(percent integer, reason text DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql AS $$
BEGIN
    IF percent IS NULL OR percent < 0 OR percent > 100 THEN
        RAISE EXCEPTION 'the SSE rollout is a percentage from 0 to 100, not %', percent
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO notification_settings_history (setting, value, reason)
    VALUES ('sse_rollout_percent', percent, reason);
    PERFORM pg_notify('notification_settings', 'sse_rollout_percent');
    RETURN percent;
END
$$;

-- The share set last, or NULL while none was (then SSE_ROLLOUT_PERCENT applies).
CREATE FUNCTION notifications_sse_rollout() RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT value FROM notification_settings_history
    WHERE setting = 'sse_rollout_percent' ORDER BY id DESC LIMIT 1
$$;
