-- Foundation: API tokens, events and their set-up, organisations,
-- delegations, participants, idempotency keys and the audit trail.

CREATE TABLE api_tokens (
    id          UUID PRIMARY KEY,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'desk', 'gate')),
    -- SHA-256 of the token text; the token itself is never stored.
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    revoked_at  TIMESTAMPTZ
);

CREATE TABLE events (
    id              UUID PRIMARY KEY,
    code            TEXT NOT NULL UNIQUE,
    name            TEXT NOT NULL,
    venue           TEXT NOT NULL,
    time_zone       TEXT NOT NULL,
    first_day       DATE NOT NULL,
    last_day        DATE NOT NULL,
    names_at_gates  BOOLEAN NOT NULL DEFAULT false,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (last_day >= first_day)
);

CREATE TABLE zones (
    id              UUID PRIMARY KEY,
    event_id        UUID NOT NULL REFERENCES events (id),
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    capacity        INTEGER NOT NULL CHECK (capacity >= 0),
    parent_zone_id  UUID REFERENCES zones (id),
    UNIQUE (event_id, code)
);

CREATE TABLE categories (
    id              UUID PRIMARY KEY,
    event_id        UUID NOT NULL REFERENCES events (id),
    code            TEXT NOT NULL,
    name            TEXT NOT NULL,
    color           TEXT NOT NULL,
    zone_ids        UUID[] NOT NULL,
    valid_days      DATE[] NOT NULL,
    UNIQUE (event_id, code)
);

CREATE TABLE gates (
    id          UUID PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    zone_id     UUID NOT NULL REFERENCES zones (id),
    UNIQUE (event_id, code)
);

CREATE TABLE organizations (
    id          UUID PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    name        TEXT NOT NULL,
    -- lower-cased name: uniqueness and prefix search
    name_key    TEXT COLLATE "C" NOT NULL,
    country     TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, name_key)
);

CREATE TABLE delegations (
    id                   UUID PRIMARY KEY,
    event_id             UUID NOT NULL REFERENCES events (id),
    country              TEXT NOT NULL,
    name                 TEXT NOT NULL,
    head_participant_id  UUID,
    created_at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, name)
);

CREATE TABLE delegation_quotas (
    delegation_id  UUID NOT NULL REFERENCES delegations (id) ON DELETE CASCADE,
    category_id    UUID NOT NULL REFERENCES categories (id),
    quota          INTEGER NOT NULL CHECK (quota >= 0),
    PRIMARY KEY (delegation_id, category_id)
);

CREATE TABLE participants (
    id                UUID PRIMARY KEY,
    event_id          UUID NOT NULL REFERENCES events (id),
    given_name        TEXT NOT NULL,
    family_name       TEXT NOT NULL,
    native_name       TEXT NOT NULL,
    -- Lower-cased, NFC-normalised names: the stable listing order.
    given_key         TEXT COLLATE "C" NOT NULL,
    family_key        TEXT COLLATE "C" NOT NULL,
    organization_id   UUID REFERENCES organizations (id),
    country           TEXT NOT NULL,
    job_title         TEXT NOT NULL,
    category_id       UUID NOT NULL REFERENCES categories (id),
    delegation_id     UUID REFERENCES delegations (id),
    email             TEXT NOT NULL,
    phone             TEXT NOT NULL,
    -- XChaCha20-Poly1305 of the travel document (nonce || ciphertext).
    document_cipher   BYTEA,
    -- HMAC-SHA-256 of the normalised travel document, for duplicate checks.
    document_hash     BYTEA,
    status            TEXT NOT NULL CHECK (status IN ('active', 'cancelled')),
    cancel_reason     TEXT NOT NULL DEFAULT '',
    version           BIGINT NOT NULL DEFAULT 1,
    created_at        TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at        TIMESTAMPTZ NOT NULL DEFAULT now()
);

ALTER TABLE delegations
    ADD CONSTRAINT delegations_head_fk FOREIGN KEY (head_participant_id) REFERENCES participants (id);

-- Duplicates among active participants of one event.
CREATE UNIQUE INDEX participants_email_uniq
    ON participants (event_id, lower(email))
    WHERE email <> '' AND status = 'active';
CREATE UNIQUE INDEX participants_document_uniq
    ON participants (event_id, document_hash)
    WHERE document_hash IS NOT NULL AND status = 'active';

-- The stable listing order of search results.
CREATE INDEX participants_order_idx ON participants (event_id, family_key, given_key, id);
CREATE INDEX participants_delegation_idx ON participants (delegation_id, category_id) WHERE delegation_id IS NOT NULL;
CREATE INDEX participants_organization_idx ON participants (organization_id) WHERE organization_id IS NOT NULL;

-- Name search: one row per word of the given, family and native-script
-- names (lower-cased, NFC; plus a copy without diacritics where it differs).
-- The C collation makes `key LIKE 'prefix%'` a range scan of the primary key.
CREATE TABLE participant_name_keys (
    event_id        UUID NOT NULL,
    key             TEXT COLLATE "C" NOT NULL,
    participant_id  UUID NOT NULL REFERENCES participants (id) ON DELETE CASCADE,
    PRIMARY KEY (event_id, key, participant_id)
);
CREATE INDEX participant_name_keys_participant_idx ON participant_name_keys (participant_id);

-- Idempotency of creating calls: the first call's body fingerprint and the
-- id of what it created.
CREATE TABLE idempotency_keys (
    scope        TEXT NOT NULL,
    request_id   TEXT NOT NULL,
    fingerprint  BYTEA NOT NULL,
    resource_id  UUID NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (scope, request_id)
);

-- Who changed what. No personal values: ids and action names only.
CREATE TABLE audit_log (
    id           BIGSERIAL PRIMARY KEY,
    at           TIMESTAMPTZ NOT NULL DEFAULT now(),
    token_id     UUID,
    action       TEXT NOT NULL,
    entity_type  TEXT NOT NULL,
    entity_id    UUID NOT NULL,
    request_id   TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_id);
