-- 0001: users, runs, live sessions, audit events.
CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[A-Za-z0-9_.-]{3,64}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('viewer', 'researcher', 'admin')),
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
    id             uuid PRIMARY KEY,
    owner_id       bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    scenario_name  text NOT NULL,
    scenario       jsonb NOT NULL,
    seed           bigint NOT NULL,
    qtcore_version text NOT NULL,
    kernel         text NOT NULL CHECK (kernel IN ('numpy', 'python')),
    results        jsonb NOT NULL,
    tags           text[] NOT NULL DEFAULT '{}',
    runtime_ms     double precision NOT NULL CHECK (runtime_ms >= 0),
    frames         bytea,
    frames_bytes   integer NOT NULL DEFAULT 0,
    content_hash   text NOT NULL UNIQUE,
    features       jsonb NOT NULL,
    anomaly_score  double precision,
    anomaly_detail jsonb,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_scenario_created_idx ON runs (scenario_name, created_at DESC);
CREATE INDEX runs_owner_idx ON runs (owner_id);
CREATE INDEX runs_created_idx ON runs (created_at DESC);
CREATE INDEX runs_tags_idx ON runs USING gin (tags);
CREATE INDEX runs_anomaly_idx ON runs (anomaly_score);

CREATE TABLE live_sessions (
    id            uuid PRIMARY KEY,
    owner_id      bigint NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
    title         text NOT NULL,
    scenario_name text,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'ended')),
    created_at    timestamptz NOT NULL DEFAULT now(),
    ended_at      timestamptz
);

CREATE TABLE audit_events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor_id       bigint,
    actor_username text,
    action         text NOT NULL,
    target_type    text NOT NULL,
    target_id      text,
    detail         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_events_at_idx ON audit_events (at DESC);
