-- A person's data: who read whose evidence or feedback (kept a year), the record of each erasure (who erased whom
-- and when, with counts only, never the data), and when retention cleared a delivery's raw payload. Times are
-- epoch milliseconds.
CREATE TABLE access_log (
    id          BIGSERIAL PRIMARY KEY,
    org         TEXT NOT NULL,
    reader_kind TEXT NOT NULL,                 -- token | session
    reader      TEXT NOT NULL,                 -- the token's role (`mentor:bob`, `admin`) or the session's login
    subject     TEXT NOT NULL,                 -- the mentee whose data was read (lowercase)
    what        TEXT NOT NULL,                 -- evidence | feedback
    route       TEXT NOT NULL,                 -- the matched route pattern
    at          BIGINT NOT NULL
);
CREATE INDEX access_log_org_at ON access_log (org, at);
CREATE INDEX access_log_at ON access_log (at);

CREATE TABLE erasures (
    id        BIGSERIAL PRIMARY KEY,
    org       TEXT NOT NULL,
    login     TEXT NOT NULL,                   -- whose data was erased (lowercase)
    erased_by TEXT NOT NULL,                   -- `--by` or the OS user who ran `person erase`
    erased_at BIGINT NOT NULL,
    counts    TEXT NOT NULL                    -- JSON: rows removed per kind (numbers only)
);

-- Set when `MENTOR_PAYLOAD_RETENTION` cleared the raw payload (`has_payload` is 0 then).
ALTER TABLE deliveries ADD COLUMN payload_cleared_at BIGINT;
