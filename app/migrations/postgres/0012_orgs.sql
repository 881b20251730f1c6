-- Organizations are the boundary (one program per installation account). Every row that belongs to a program
-- carries its org: the installation account's login, lowercase. Rows stored before this migration are assigned
-- to the owner of their repository; indexes that serve reads lead with the org.

-- One row per installation account.
CREATE TABLE installations (
    org              TEXT PRIMARY KEY,          -- account login, lowercase
    installation_id  BIGINT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'active', -- active | suspended | deleted
    last_delivery_at BIGINT,                    -- when it last received a delivery (Unix ms)
    config_repos     TEXT NOT NULL DEFAULT '[]',-- JSON list: repositories whose config counts
    problems         TEXT NOT NULL DEFAULT '[]',-- JSON list: current config problems
    updated_at       BIGINT NOT NULL
);
INSERT INTO installations (org, installation_id, last_delivery_at, updated_at)
SELECT DISTINCT ON (lower(split_part(repo, '/', 1))) lower(split_part(repo, '/', 1)), installation_id, seen_at, seen_at
FROM repos WHERE position('/' in repo) > 1
ORDER BY lower(split_part(repo, '/', 1)), seen_at DESC;

ALTER TABLE deliveries ADD COLUMN org TEXT;
UPDATE deliveries SET org = lower(split_part(repo, '/', 1)) WHERE position('/' in repo) > 1;

ALTER TABLE touchpoints ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE touchpoints AS t SET org = lower(split_part(d.repo, '/', 1))
FROM deliveries AS d WHERE d.id = t.delivery_id AND position('/' in d.repo) > 1;
DROP INDEX touchpoints_mentor;
-- The minutes credited, beside the JSON: a load report reads (org, at, mentor, mentee, minutes) from the index
-- alone, never the rows.
ALTER TABLE touchpoints ADD COLUMN minutes BIGINT NOT NULL DEFAULT 0;
UPDATE touchpoints SET minutes = COALESCE((data::json->>'minutes')::bigint, 0);
CREATE INDEX touchpoints_org_at ON touchpoints (org, at, mentor, mentee, minutes);
CREATE INDEX touchpoints_org_pair ON touchpoints (org, mentor, mentee, at);

ALTER TABLE evidence ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE evidence AS e SET org = lower(split_part(d.repo, '/', 1))
FROM deliveries AS d WHERE d.id = e.delivery_id AND position('/' in d.repo) > 1;
DROP INDEX evidence_mentee;
CREATE INDEX evidence_org_mentee ON evidence (org, mentee, at);

-- A token created before orgs belongs to the only org there was, if there was exactly one.
ALTER TABLE tokens ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE tokens SET org = (SELECT org FROM installations LIMIT 1) WHERE (SELECT COUNT(*) FROM installations) = 1;

ALTER TABLE outbox ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE outbox SET org = lower(split_part(repo, '/', 1)) WHERE position('/' in repo) > 1;
CREATE INDEX outbox_org ON outbox (org, status);

ALTER TABLE written ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE written SET org = lower(split_part(repo, '/', 1)) WHERE position('/' in repo) > 1;

-- Config problems are per org now (kept on `installations.problems`); the old table is not read any more.
DROP TABLE config_problems;
DROP TABLE repos;
