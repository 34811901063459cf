-- The roster's own reference for a participant (a delegation's list
-- number, an HR id): unique per event, so that importing a corrected
-- roster updates those people instead of adding them again.
ALTER TABLE participants ADD COLUMN external_ref TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX participants_external_ref_uniq
    ON participants (event_id, external_ref) WHERE external_ref <> '';

-- An import is one transaction, claimed by its request id
-- (`idempotency_keys`, scope 'participant.import', resource_id = the
-- import's id) when it starts; its per-row results are kept here, written
-- in the same transaction, so that a retry with the same request id gets
-- every row's result back. `reply` is the results as deflated JSON.
CREATE TABLE import_replies (
    id          UUID PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    rows        INTEGER NOT NULL,
    reply       BYTEA NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
