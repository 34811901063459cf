-- Names of zones and categories in Russian and Uzbek beside the English
-- one (`name`): a gate, a desk and the board show them in the operator's
-- language. Empty means "as in English".
ALTER TABLE zones ADD COLUMN name_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE zones ADD COLUMN name_uz TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN name_ru TEXT NOT NULL DEFAULT '';
ALTER TABLE categories ADD COLUMN name_uz TEXT NOT NULL DEFAULT '';

-- The device that reported a gate's state: the board names it by its
-- token's (enrolment) name.
ALTER TABLE gate_status ADD COLUMN token_id UUID REFERENCES api_tokens (id) ON DELETE SET NULL;
