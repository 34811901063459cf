DROP TRIGGER participants_changed_by ON participants;
DROP FUNCTION participants_changed_by;
DROP INDEX participants_changes_idx;
ALTER TABLE participants DROP COLUMN changed_by;

-- The previous version's search terms, derived again here as it derived
-- them: each word of each name lower-cased, and a name of several words
-- whole; the event id in front of each key.
ALTER TABLE participants ADD COLUMN name_terms tsvector NOT NULL DEFAULT '';
UPDATE participants p
SET name_terms = coalesce((
    SELECT array_to_tsvector(array_agg(DISTINCT replace(p.event_id::text, '-', '') || ' ' || k.key))
    FROM (
        SELECT regexp_split_to_table(lower(n), '[[:space:],-]+') AS key
        FROM unnest(ARRAY[p.given_name, p.family_name, p.native_name]) AS n
        UNION
        SELECT lower(n) FROM unnest(ARRAY[p.given_name, p.family_name, p.native_name]) AS n
        WHERE n ~ '[[:space:]]'
    ) AS k
    WHERE k.key <> ''), '');
ALTER TABLE participants ALTER COLUMN name_terms DROP DEFAULT;
CREATE INDEX participants_name_terms_idx ON participants USING gin (name_terms);
