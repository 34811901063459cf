CREATE INDEX participant_name_keys_participant_idx ON participant_name_keys (participant_id);
ALTER TABLE participant_name_keys
    ADD CONSTRAINT participant_name_keys_participant_id_fkey
    FOREIGN KEY (participant_id) REFERENCES participants (id) ON DELETE CASCADE;
