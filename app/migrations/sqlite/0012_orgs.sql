-- Organizations are the boundary (one program per installation account). Every row that belongs to a program
-- carries its org: the installation account's login, lowercase. Rows stored before this migration are assigned
-- to the owner of their repository; indexes that serve reads lead with the org.

-- One row per installation account.
CREATE TABLE installations (
    org              TEXT PRIMARY KEY,          -- account login, lowercase
    installation_id  INTEGER NOT NULL,
    status           TEXT NOT NULL DEFAULT 'active', -- active | suspended | deleted
    last_delivery_at INTEGER,                   -- when it last received a delivery (Unix ms)
    config_repos     TEXT NOT NULL DEFAULT '[]',-- JSON list: repositories whose config counts
    problems         TEXT NOT NULL DEFAULT '[]',-- JSON list: current config problems
    updated_at       INTEGER NOT NULL
);
INSERT INTO installations (org, installation_id, last_delivery_at, updated_at)
SELECT lower(substr(repo, 1, instr(repo, '/') - 1)), installation_id, MAX(seen_at), MAX(seen_at)
FROM repos WHERE instr(repo, '/') > 1
GROUP BY lower(substr(repo, 1, instr(repo, '/') - 1));

ALTER TABLE deliveries ADD COLUMN org TEXT;
UPDATE deliveries SET org = lower(substr(repo, 1, instr(repo, '/') - 1)) WHERE instr(repo, '/') > 1;

ALTER TABLE touchpoints ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE touchpoints SET org = COALESCE(
    (SELECT lower(substr(d.repo, 1, instr(d.repo, '/') - 1)) FROM deliveries AS d
     WHERE d.id = touchpoints.delivery_id AND instr(d.repo, '/') > 1), '');
DROP INDEX touchpoints_mentor;
-- The minutes credited, beside the JSON: a load report reads (org, at, mentor, mentee, minutes) from the index
-- alone, never the rows.
ALTER TABLE touchpoints ADD COLUMN minutes INTEGER NOT NULL DEFAULT 0;
UPDATE touchpoints SET minutes = COALESCE(json_extract(data, '$.minutes'), 0);
CREATE INDEX touchpoints_org_at ON touchpoints (org, at, mentor, mentee, minutes);
CREATE INDEX touchpoints_org_pair ON touchpoints (org, mentor, mentee, at);

ALTER TABLE evidence ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE evidence SET org = COALESCE(
    (SELECT lower(substr(d.repo, 1, instr(d.repo, '/') - 1)) FROM deliveries AS d
     WHERE d.id = evidence.delivery_id AND instr(d.repo, '/') > 1), '');
DROP INDEX evidence_mentee;
CREATE INDEX evidence_org_mentee ON evidence (org, mentee, at);

-- A token created before orgs belongs to the only org there was, if there was exactly one.
ALTER TABLE tokens ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE tokens SET org = (SELECT org FROM installations) WHERE (SELECT COUNT(*) FROM installations) = 1;

ALTER TABLE outbox ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE outbox SET org = lower(substr(repo, 1, instr(repo, '/') - 1)) WHERE instr(repo, '/') > 1;
CREATE INDEX outbox_org ON outbox (org, status);

ALTER TABLE written ADD COLUMN org TEXT NOT NULL DEFAULT '';
UPDATE written SET org = lower(substr(repo, 1, instr(repo, '/') - 1)) WHERE instr(repo, '/') > 1;

-- Config problems are per org now (kept on `installations.problems`); the old table is not read any more.
DROP TABLE config_problems;
DROP TABLE repos;
