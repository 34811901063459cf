-- Search keys move from a table of one row per key into a column of the
-- participant: a `tsvector` of the keys (`search_key::name_keys`, written
-- as they are, never parsed or stemmed) under a GIN index. Each lexeme is
-- the event id in 32 hex digits, a space and the key, so an event's keys
-- sit together in the index as they did behind the key table's event_id.
-- A prefix is a `'<event> prefix':*` query, which GIN answers from its
-- sorted keys, bytewise, in any script. The key table cost a heap row and
-- a B-tree entry per key, about five per participant and half of a bulk
-- import's database time; a GIN index with fast update adds a
-- participant's keys to a pending list and merges that list into the
-- index in bulk.
ALTER TABLE participants ADD COLUMN name_terms tsvector NOT NULL DEFAULT '';

UPDATE participants p
SET name_terms = k.terms
FROM (
    SELECT participant_id,
           array_to_tsvector(array_agg(replace(event_id::text, '-', '') || ' ' || key)) AS terms
    FROM participant_name_keys
    GROUP BY participant_id
) k
WHERE k.participant_id = p.id;

ALTER TABLE participants ALTER COLUMN name_terms DROP DEFAULT;

CREATE INDEX participants_name_terms_idx ON participants USING gin (name_terms);

DROP TABLE participant_name_keys;
