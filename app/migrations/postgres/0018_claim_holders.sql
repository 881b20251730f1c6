-- Which process holds a claim: a delivery being processed, a GitHub write being sent. Each process renews the
-- leases of its own claims with a heartbeat, so leases can be short (a replica that dies is taken over within
-- one lease) while a slow delivery or write that is still in hand is never taken from a live process.
ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
