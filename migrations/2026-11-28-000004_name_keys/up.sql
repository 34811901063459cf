-- Search keys are derived rows: always written in the transaction that
-- writes their participant (registration, import, update), from its names,
-- and participants are never deleted (cancelling keeps them). Writing them
-- is most of a bulk import's cost, so they carry only their primary key:
-- the foreign key checked and share-locked the participant once per key,
-- and the index by participant is not needed since a participant's keys
-- can be worked out from its names (an update deletes the old names' keys
-- through the primary key; a search finds a hit's smallest key the same way).
ALTER TABLE participant_name_keys
    DROP CONSTRAINT participant_name_keys_participant_id_fkey;
DROP INDEX participant_name_keys_participant_idx;
