-- What an entry records beyond its entity: an export's filters, columns and
-- row count. Codes, ids and counts only, never a personal value.
ALTER TABLE audit_log ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb;
