-- 0004: token revocation. Tokens carry users.token_version as their `tv` claim; changing the
-- password increments it, which revokes every token issued before (HTTP and WebSockets).
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
