-- Custom registration fields: each event's own questions, versioned. A
-- field's definition (kind, labels, rules, options, per-category
-- settings) is one jsonb document per version; the newest version is the
-- one asked. A change to a field that already has answers adds a version,
-- so old answers keep the labels they were given with.
CREATE TABLE custom_fields (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    key text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]{1,39}$'),
    version integer NOT NULL CHECK (version >= 1),
    definition jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, key, version)
);

-- Every instance drops its cached definitions when they change, as it
-- drops an event's gate rules.
CREATE TRIGGER custom_fields_notify AFTER INSERT OR UPDATE OR DELETE ON custom_fields
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();

-- Answers, by field key: {"<key>": {"v": version, "x": value}}, or
-- {"v": version, "s": sealed} for a secret field's answer (encrypted
-- like the travel document). `answer_text` is the searchable text of the
-- public and internal answers, which the desk's search index reads with
-- the names.
ALTER TABLE participants
    ADD COLUMN answers jsonb NOT NULL DEFAULT '{}',
    ADD COLUMN answer_text text NOT NULL DEFAULT '';
ALTER TABLE delegations ADD COLUMN answers jsonb NOT NULL DEFAULT '{}';
ALTER TABLE organizations ADD COLUMN answers jsonb NOT NULL DEFAULT '{}';
