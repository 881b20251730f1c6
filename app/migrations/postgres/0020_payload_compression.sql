-- Raw webhook payloads (≈25 KB of JSON each) are TOAST-compressed; PostgreSQL's default method (pglz) cost more
-- CPU than everything else an ingest commit does: LZ4 ingested 1 765–2 136 deliveries/s against 1 009–1 323 with
-- pglz in interleaved runs (BENCHMARKS.md). Needs PostgreSQL 14+ built with lz4 (the common packages are); on a
-- server without it the column keeps the default and the migration still succeeds. Existing rows keep their
-- compression until rewritten; new ones use LZ4.
DO $$
BEGIN
    EXECUTE 'ALTER TABLE payloads ALTER COLUMN body SET COMPRESSION lz4';
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'payloads.body keeps the default TOAST compression: %', SQLERRM;
END
$$;
