-- Statuses are enums in the app (store::status); the database refuses any other text too, so a hand edit or a
-- script cannot leave a row that no query finds (a misspelt `pending` would never be claimed).
-- SQLite cannot add a CHECK to an existing table without rebuilding it: triggers refuse the same rows.
CREATE TRIGGER deliveries_status_known_insert BEFORE INSERT ON deliveries
WHEN NEW.status NOT IN ('pending', 'processing', 'done', 'failed', 'ignored')
BEGIN SELECT RAISE(ABORT, 'deliveries.status must be one of pending, processing, done, failed, ignored'); END;
CREATE TRIGGER deliveries_status_known_update BEFORE UPDATE OF status ON deliveries
WHEN NEW.status NOT IN ('pending', 'processing', 'done', 'failed', 'ignored')
BEGIN SELECT RAISE(ABORT, 'deliveries.status must be one of pending, processing, done, failed, ignored'); END;
CREATE TRIGGER outbox_status_known_insert BEFORE INSERT ON outbox
WHEN NEW.status NOT IN ('pending', 'sending', 'done', 'failed')
BEGIN SELECT RAISE(ABORT, 'outbox.status must be one of pending, sending, done, failed'); END;
CREATE TRIGGER outbox_status_known_update BEFORE UPDATE OF status ON outbox
WHEN NEW.status NOT IN ('pending', 'sending', 'done', 'failed')
BEGIN SELECT RAISE(ABORT, 'outbox.status must be one of pending, sending, done, failed'); END;
CREATE TRIGGER backfills_status_known_insert BEFORE INSERT ON backfills
WHEN NEW.status NOT IN ('queued', 'journal', 'done', 'failed')
BEGIN SELECT RAISE(ABORT, 'backfills.status must be one of queued, journal, done, failed'); END;
CREATE TRIGGER backfills_status_known_update BEFORE UPDATE OF status ON backfills
WHEN NEW.status NOT IN ('queued', 'journal', 'done', 'failed')
BEGIN SELECT RAISE(ABORT, 'backfills.status must be one of queued, journal, done, failed'); END;
CREATE TRIGGER installations_status_known_insert BEFORE INSERT ON installations
WHEN NEW.status NOT IN ('active', 'suspended', 'deleted')
BEGIN SELECT RAISE(ABORT, 'installations.status must be one of active, suspended, deleted'); END;
CREATE TRIGGER installations_status_known_update BEFORE UPDATE OF status ON installations
WHEN NEW.status NOT IN ('active', 'suspended', 'deleted')
BEGIN SELECT RAISE(ABORT, 'installations.status must be one of active, suspended, deleted'); END;
