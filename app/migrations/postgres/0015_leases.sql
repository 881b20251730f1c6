-- Leases for work that one replica at a time should do (the scheduler's tick): a holder keeps a named lease until an
-- instant (epoch milliseconds, wall clock) and renews it; another replica takes it over once it has run out.
CREATE TABLE leases (
    name     TEXT PRIMARY KEY,
    holder   TEXT NOT NULL,
    until_at BIGINT NOT NULL
);
