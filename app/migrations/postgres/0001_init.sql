-- Mentor's store (PostgreSQL). Times are Unix milliseconds (UTC). To change the schema, add a new numbered file in
-- BOTH migrations/sqlite and migrations/postgres; never edit an applied one.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,          -- X-GitHub-Delivery
    event           TEXT NOT NULL,
    action          TEXT,
    status          TEXT NOT NULL,             -- pending | processing | done | failed | ignored
    attempts        BIGINT NOT NULL DEFAULT 0,
    processed_count BIGINT NOT NULL DEFAULT 0, -- times its effects were committed (must end at 1)
    last_error      TEXT,
    next_attempt_at BIGINT NOT NULL,
    locked_until    BIGINT NOT NULL DEFAULT 0,
    received_at     BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    repo            TEXT,
    has_payload     BIGINT NOT NULL DEFAULT 0 -- 1 when `payloads` holds its body
);
CREATE INDEX deliveries_queue ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_received ON deliveries (received_at);

-- Raw bodies live apart from the queue rows: status updates then rewrite a small row, not the whole payload.
CREATE TABLE payloads (
    id   TEXT PRIMARY KEY,                     -- deliveries.id
    body TEXT NOT NULL
);

CREATE TABLE touchpoints (
    key         TEXT PRIMARY KEY,
    mentor      TEXT NOT NULL,
    mentee      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    data        TEXT NOT NULL                  -- serde JSON of mentor_core::Touchpoint
);
CREATE INDEX touchpoints_mentor ON touchpoints (mentor, at);

CREATE TABLE evidence (
    key         TEXT PRIMARY KEY,
    mentee      TEXT NOT NULL,
    at          BIGINT NOT NULL,
    delivery_id TEXT NOT NULL,
    data        TEXT NOT NULL                  -- serde JSON of mentor_core::Evidence
);
CREATE INDEX evidence_mentee ON evidence (mentee);

CREATE TABLE tokens (
    hash       TEXT PRIMARY KEY,               -- sha256 hex of the bearer token
    role       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE repos (
    repo            TEXT PRIMARY KEY,          -- owner/name with a config in force
    installation_id BIGINT NOT NULL,
    seen_at         BIGINT NOT NULL
);

CREATE TABLE config_problems (
    repo    TEXT PRIMARY KEY,
    message TEXT NOT NULL,
    seen_at BIGINT NOT NULL
);
