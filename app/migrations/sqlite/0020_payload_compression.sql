-- PostgreSQL's 0020 makes payloads LZ4-compressed by the database. SQLite has no column compression: the app
-- compresses payloads itself (store::sqlite, LZ4 since migration 0011), so there is nothing to change here; the
-- file keeps both backends' migration numbers in step.
SELECT 1;
