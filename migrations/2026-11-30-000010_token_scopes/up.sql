-- Tokens with a scope, an expiry and a history: the event they are for
-- (NULL: every event), the gates a gate token may scan at (empty: every
-- gate of its event), when they stop working, who made them and when they
-- were last used. A revocation is announced on the gate channel, so every
-- instance forgets the token at once instead of after its cache expires.

ALTER TABLE api_tokens
    ADD COLUMN event_id     UUID REFERENCES events (id),
    ADD COLUMN gate_ids     UUID[] NOT NULL DEFAULT '{}',
    ADD COLUMN expires_at   TIMESTAMPTZ,
    ADD COLUMN created_by   UUID REFERENCES api_tokens (id),
    ADD COLUMN last_used_at TIMESTAMPTZ,
    ADD CONSTRAINT api_tokens_gates_need_an_event
        CHECK (cardinality(gate_ids) = 0 OR event_id IS NOT NULL);

CREATE INDEX api_tokens_by_event ON api_tokens (event_id, created_at);

CREATE FUNCTION notify_token_revoked() RETURNS trigger AS $$
BEGIN
    IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
        PERFORM pg_notify('expopass_gate', format('token:%s:::', NEW.id));
    END IF;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER api_tokens_notify AFTER UPDATE OF revoked_at ON api_tokens
    FOR EACH ROW EXECUTE FUNCTION notify_token_revoked();
