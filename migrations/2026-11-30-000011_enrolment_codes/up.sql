-- One-time enrolment codes: a device exchanges one (AuthService.Enroll)
-- for a token of its own with the code's scope. Only a hash of the code is
-- stored; a code works once and until it expires.
CREATE TABLE enrolment_codes (
    id          UUID PRIMARY KEY,
    code_hash   BYTEA NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('admin', 'desk', 'gate')),
    event_id    UUID REFERENCES events (id),
    gate_ids    UUID[] NOT NULL DEFAULT '{}',
    created_by  UUID REFERENCES api_tokens (id),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at  TIMESTAMPTZ NOT NULL,
    used_at     TIMESTAMPTZ,
    token_id    UUID REFERENCES api_tokens (id),
    CHECK (cardinality(gate_ids) = 0 OR event_id IS NOT NULL)
);
