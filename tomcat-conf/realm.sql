-- The tables of the production realm (server.xml: LockOutRealm around a DataSourceRealm over
-- jdbc/users). Tomcat only reads them; create users with your own tooling.
--
-- Passwords are PBKDF2 hashes in Tomcat's format (salt$iterations$hash, hex), made with
--   $CATALINA_HOME/bin/digest.sh -a PBKDF2WithHmacSHA256 -i 20000 -s 16 -k 256 \
--       -h org.apache.catalina.realm.SecretKeyCredentialHandler 'the password'
-- (the text before the last ':' of its output is the password; the rest is the hash).
-- The parameters must match the CredentialHandler in server.xml.
--
-- In a schema of their own: they may live in the application's database, where Flyway expects
-- the public schema to be its own (a foreign table there stops the first migration).
--
-- user_name is what the application sees as request.getRemoteUser(): the value of
-- notifications.recipient that addresses this user.

CREATE SCHEMA realm;

CREATE TABLE realm.users (
    user_name text PRIMARY KEY,
    user_pass text NOT NULL
);

-- Any role signs in (web.xml requires the role "**", any authenticated user); "user" is the
-- convention.
CREATE TABLE realm.user_roles (
    user_name text NOT NULL REFERENCES realm.users ON DELETE CASCADE,
    role_name text NOT NULL,
    PRIMARY KEY (user_name, role_name)
);

-- The account in server.xml's jdbc/users (USERS_DATABASE_USER) needs only to read them:
--   CREATE ROLE notification_stream_realm LOGIN PASSWORD '...';
--   GRANT USAGE ON SCHEMA realm TO notification_stream_realm;
--   GRANT SELECT ON realm.users, realm.user_roles TO notification_stream_realm;
--
-- Example:
--   INSERT INTO realm.users VALUES ('alice', '<hash from digest.sh>');
--   INSERT INTO realm.user_roles VALUES ('alice', 'user');
