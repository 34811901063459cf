CREATE TABLE participant_name_keys (
    event_id        UUID NOT NULL,
    key             TEXT COLLATE "C" NOT NULL,
    participant_id  UUID NOT NULL,
    PRIMARY KEY (event_id, key, participant_id)
);

INSERT INTO participant_name_keys (event_id, key, participant_id)
SELECT p.event_id, substr(t.term, 34), p.id
FROM participants p, unnest(tsvector_to_array(p.name_terms)) AS t(term);

-- The previous version also kept the first word of a name of several words
-- beside the whole name ("иван" beside "иван петров"); it is put back. A
-- word that only began another single word of the same person ("ann"
-- beside "anna") cannot be told from the stored keys and is not.
INSERT INTO participant_name_keys (event_id, key, participant_id)
SELECT DISTINCT k.event_id, substring(k.key FROM '^[^[:space:],-]+'), k.participant_id
FROM participant_name_keys k
WHERE k.key ~ '[[:space:]]'
  AND substring(k.key FROM '^[^[:space:],-]+') IS NOT NULL
ON CONFLICT DO NOTHING;

DROP INDEX participants_name_terms_idx;
ALTER TABLE participants DROP COLUMN name_terms;
