ALTER TABLE organizations DROP COLUMN answers;
ALTER TABLE delegations DROP COLUMN answers;
ALTER TABLE participants DROP COLUMN answer_text, DROP COLUMN answers;
DROP TABLE custom_fields;
