-- Statuses are enums in the app (store::status); the database refuses any other text too, so a hand edit or a
-- script cannot leave a row that no query finds (a misspelt `pending` would never be claimed).
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_known CHECK (status IN ('pending', 'processing', 'done', 'failed', 'ignored'));
ALTER TABLE outbox ADD CONSTRAINT outbox_status_known CHECK (status IN ('pending', 'sending', 'done', 'failed'));
ALTER TABLE backfills ADD CONSTRAINT backfills_status_known CHECK (status IN ('queued', 'journal', 'done', 'failed'));
ALTER TABLE installations ADD CONSTRAINT installations_status_known CHECK (status IN ('active', 'suspended', 'deleted'));
