-- Payloads keyed by their delivery's row number instead of its id (SQLite only; PostgreSQL keeps `payloads.id`).
--
-- Delivery ids land all over the id index, so a payloads index on them dirtied one more page per delivery in
-- every inbox commit (a page write to the WAL and one more to copy at checkpoint); row numbers only grow, so
-- payloads are appended. `seq` is declared (INTEGER PRIMARY KEY) because VACUUM may renumber an implicit rowid.
CREATE TABLE deliveries_by_seq (
    seq             INTEGER PRIMARY KEY,       -- row number, grows with arrival; payloads.delivery refers to it
    id              TEXT NOT NULL UNIQUE,      -- X-GitHub-Delivery
    event           TEXT NOT NULL,
    action          TEXT,
    status          TEXT NOT NULL,             -- pending | processing | done | failed | ignored
    attempts        INTEGER NOT NULL DEFAULT 0,
    processed_count INTEGER NOT NULL DEFAULT 0, -- times its effects were committed (must end at 1)
    last_error      TEXT,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    received_at     INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    repo            TEXT,
    has_payload     INTEGER NOT NULL DEFAULT 0 -- 1 when `payloads` holds its body
);
INSERT INTO deliveries_by_seq (seq, id, event, action, status, attempts, processed_count, last_error,
                               next_attempt_at, locked_until, received_at, updated_at, repo, has_payload)
SELECT rowid, id, event, action, status, attempts, processed_count, last_error,
       next_attempt_at, locked_until, received_at, updated_at, repo, has_payload
FROM deliveries ORDER BY rowid;

CREATE TABLE payloads_by_seq (
    delivery INTEGER PRIMARY KEY,              -- deliveries.seq
    body     BLOB NOT NULL                     -- LZ4 behind a marker, or JSON text from before compression
);
INSERT INTO payloads_by_seq (delivery, body)
SELECT d.seq, p.body FROM payloads AS p JOIN deliveries_by_seq AS d ON d.id = p.id ORDER BY d.seq;

DROP TABLE payloads;
DROP TABLE deliveries;
ALTER TABLE deliveries_by_seq RENAME TO deliveries;
ALTER TABLE payloads_by_seq RENAME TO payloads;
CREATE INDEX deliveries_queue ON deliveries (status, next_attempt_at);
CREATE INDEX deliveries_received ON deliveries (received_at);
