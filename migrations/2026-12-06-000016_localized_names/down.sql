ALTER TABLE gate_status DROP COLUMN token_id;
ALTER TABLE categories DROP COLUMN name_uz;
ALTER TABLE categories DROP COLUMN name_ru;
ALTER TABLE zones DROP COLUMN name_uz;
ALTER TABLE zones DROP COLUMN name_ru;
