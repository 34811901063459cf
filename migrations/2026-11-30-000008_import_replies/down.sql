DROP TABLE import_replies;
DROP INDEX participants_external_ref_uniq;
ALTER TABLE participants DROP COLUMN external_ref;
