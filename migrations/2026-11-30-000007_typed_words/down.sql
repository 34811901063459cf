-- The previous rules also kept a name of several words whole ("иван
-- петров"), which typed text with a space was matched against as one
-- prefix; it is put back, lower-cased by PostgreSQL.
UPDATE participants
SET name_terms = name_terms || array_to_tsvector(ARRAY(
    SELECT replace(event_id::text, '-', '') || ' ' || lower(n)
    FROM unnest(ARRAY[given_name, family_name, native_name]) AS n
    WHERE n ~ '[[:space:]]'))
WHERE given_name ~ '[[:space:]]' OR family_name ~ '[[:space:]]' OR native_name ~ '[[:space:]]';

ALTER INDEX participants_name_terms_idx RESET (gin_pending_list_limit);
DROP INDEX participants_stale_terms_idx;
ALTER TABLE participants DROP COLUMN terms_version;
