-- 0005: live-session sequence leases and the per-account open-session count.
-- seq_lease: every sequence number issued for the session is below it, so numbering resumes
-- above it if Redis loses its data (no number is issued twice).
ALTER TABLE live_sessions ADD COLUMN seq_lease bigint NOT NULL DEFAULT 0;
CREATE INDEX live_sessions_open_owner_idx ON live_sessions (owner_id) WHERE status = 'open';
