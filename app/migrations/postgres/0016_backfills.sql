-- History backfills: one row per org and repository whose merged pull requests are read from GitHub's GraphQL API
-- (at install and on demand). The cursor of the last stored page makes a killed backfill continue where it stopped;
-- the counters are what `mentor-app backfill status` shows. Times are epoch milliseconds.
CREATE TABLE backfills (
    org             TEXT NOT NULL,
    repo            TEXT NOT NULL,
    installation_id BIGINT NOT NULL,
    since_at        BIGINT NOT NULL,            -- merged at or after this instant
    page_cursor     TEXT,                       -- end cursor of the last page stored, NULL before the first
    page_size       BIGINT NOT NULL DEFAULT 50, -- halved when GitHub times out (502/504)
    status          TEXT NOT NULL DEFAULT 'queued', -- queued | journal (read, journals pending) | done | failed
    prs             BIGINT NOT NULL DEFAULT 0,
    requests        BIGINT NOT NULL DEFAULT 0,
    points          BIGINT NOT NULL DEFAULT 0,
    note            TEXT,                       -- the last error or why there was nothing to read
    not_before      BIGINT NOT NULL DEFAULT 0,  -- a transient failure waits until then
    requested_at    BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    finished_at     BIGINT,
    PRIMARY KEY (org, repo)
);
