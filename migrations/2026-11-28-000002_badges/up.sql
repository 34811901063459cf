-- Badges: per-event signing keys, small numbers for zones and categories
-- (they travel in the QR as bits and bytes), and the badges themselves.

-- Zone numbers 1..64 (a bit each in the QR), category numbers 1..255 (one
-- byte), assigned in creation order per event and never reused.
ALTER TABLE zones ADD COLUMN number SMALLINT;
ALTER TABLE categories ADD COLUMN number SMALLINT;

UPDATE zones z SET number = n.rn
FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY code) AS rn FROM zones) n
WHERE z.id = n.id;
UPDATE categories c SET number = n.rn
FROM (SELECT id, row_number() OVER (PARTITION BY event_id ORDER BY code) AS rn FROM categories) n
WHERE c.id = n.id;

ALTER TABLE zones ALTER COLUMN number SET NOT NULL;
ALTER TABLE zones ADD CONSTRAINT zones_number_range CHECK (number BETWEEN 1 AND 64);
ALTER TABLE zones ADD CONSTRAINT zones_number_uniq UNIQUE (event_id, number);
ALTER TABLE categories ALTER COLUMN number SET NOT NULL;
ALTER TABLE categories ADD CONSTRAINT categories_number_range CHECK (number BETWEEN 1 AND 255);
ALTER TABLE categories ADD CONSTRAINT categories_number_uniq UNIQUE (event_id, number);

-- New rows take the next free number of their event. The event row lock
-- serialises concurrent set-up calls of one event.
CREATE FUNCTION assign_setup_number() RETURNS trigger AS $$
BEGIN
    IF NEW.number IS NULL THEN
        PERFORM 1 FROM events WHERE id = NEW.event_id FOR UPDATE;
        EXECUTE format('SELECT coalesce(max(number), 0) + 1 FROM %I WHERE event_id = $1', TG_TABLE_NAME)
            INTO NEW.number USING NEW.event_id;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER zones_number BEFORE INSERT ON zones
    FOR EACH ROW EXECUTE FUNCTION assign_setup_number();
CREATE TRIGGER categories_number BEFORE INSERT ON categories
    FOR EACH ROW EXECUTE FUNCTION assign_setup_number();

-- Ed25519 signing keys. The key id (32 bits) is unique across events, so a
-- QR names its key without naming its event. The secret half is sealed
-- with a key kept outside the database, like travel documents.
CREATE TABLE signing_keys (
    key_id         BIGINT PRIMARY KEY CHECK (key_id BETWEEN 0 AND 4294967295),
    event_id       UUID NOT NULL REFERENCES events (id),
    public_key     BYTEA NOT NULL CHECK (length(public_key) = 32),
    secret_cipher  BYTEA NOT NULL,
    -- active: signs new badges (one per event); verifying: still accepted;
    -- retired: badges it signed stop verifying.
    status         TEXT NOT NULL CHECK (status IN ('active', 'verifying', 'retired')),
    created_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    retired_at     TIMESTAMPTZ
);
CREATE UNIQUE INDEX signing_keys_active_uniq ON signing_keys (event_id) WHERE status = 'active';
CREATE INDEX signing_keys_event_idx ON signing_keys (event_id);

-- Badge serials: the number printed on a badge and carried in its QR. One
-- sequence for all events (no per-event lock); reprints keep the serial.
CREATE SEQUENCE badge_serials AS BIGINT MINVALUE 1 MAXVALUE 4294967295;

CREATE TABLE badges (
    id                 UUID PRIMARY KEY,
    event_id           UUID NOT NULL REFERENCES events (id),
    participant_id     UUID NOT NULL REFERENCES participants (id),
    serial             BIGINT NOT NULL,
    version            INTEGER NOT NULL CHECK (version BETWEEN 1 AND 65535),
    key_id             BIGINT NOT NULL REFERENCES signing_keys (key_id),
    category_id        UUID NOT NULL REFERENCES categories (id),
    qr_text            TEXT NOT NULL,
    issued_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at         TIMESTAMPTZ,
    revocation_reason  TEXT CHECK (revocation_reason IN ('reprinted', 'cancelled', 'staff')),
    revocation_note    TEXT NOT NULL DEFAULT '',
    UNIQUE (participant_id, version),
    UNIQUE (serial, version),
    CHECK ((revoked_at IS NULL) = (revocation_reason IS NULL))
);
-- At most one valid badge per participant.
CREATE UNIQUE INDEX badges_current_uniq ON badges (participant_id) WHERE revoked_at IS NULL;
-- The revocation list of an event.
CREATE INDEX badges_revoked_idx ON badges (event_id, revoked_at) WHERE revoked_at IS NOT NULL;
