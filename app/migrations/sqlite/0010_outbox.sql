-- The outbox: every write to GitHub, planned in the same transaction as the state change that caused it and
-- sent afterwards by the outbox sender. One row per hidden marker (`mentor:<kind>:<key>`): planning again with
-- a different body replaces the row's desired state (and bumps `version`), planning the same body is a no-op.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    marker          TEXT NOT NULL UNIQUE,      -- <kind>:<key>, also hidden in the text written
    installation_id INTEGER NOT NULL,
    repo            TEXT NOT NULL,             -- owner/name written to
    op              TEXT NOT NULL,             -- serde JSON of outbox::Write (the desired state)
    version         INTEGER NOT NULL DEFAULT 1,   -- bumped when op changes; fences the sender's result
    status          TEXT NOT NULL,             -- pending | sending | done | failed
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    delivery_id     TEXT,                      -- the delivery that planned it last, if any
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX outbox_queue ON outbox (status, next_attempt_at);

-- What Mentor has written to GitHub, by marker: the comment id (or issue number) and the body last sent, so an
-- edit is only sent when the text changed and a lost id is found again by its marker.
CREATE TABLE written (
    marker     TEXT PRIMARY KEY,
    repo       TEXT NOT NULL,
    object_id  INTEGER NOT NULL,
    body       TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Conventional Comments counts of the review or comment a touchpoint came from (serde JSON of
-- mentor_core::conventional::FeedbackMix): counts only, never the text.
ALTER TABLE touchpoints ADD COLUMN feedback TEXT;
