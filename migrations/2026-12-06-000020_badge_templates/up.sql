-- Badge templates: an event's own badge layouts. Version 0 of a code is
-- its draft, which the designer rewrites as often as it likes; versions
-- from 1 are published and never change (a trigger refuses it), so a
-- badge that records the version it was printed with can always be
-- printed again as it was.
CREATE TABLE badge_templates (
    event_id uuid NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    code text NOT NULL CHECK (code ~ '^[A-Z][A-Z0-9_]{1,31}$'),
    version integer NOT NULL CHECK (version >= 0),
    name text NOT NULL DEFAULT '',
    document jsonb NOT NULL,
    saved_at timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    PRIMARY KEY (event_id, code, version),
    CHECK ((version = 0) = (published_at IS NULL))
);

CREATE FUNCTION badge_templates_published_stay() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.version > 0 THEN
        RAISE EXCEPTION 'published badge template %/% v% cannot change',
            OLD.event_id, OLD.code, OLD.version
            USING ERRCODE = 'restrict_violation';
    END IF;
    RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END $$;

CREATE TRIGGER badge_templates_published_stay
    BEFORE UPDATE ON badge_templates
    FOR EACH ROW EXECUTE FUNCTION badge_templates_published_stay();

-- The template a category's badges are printed with (its newest published
-- version); NULL: the built-in layout of `badge_layout`.
ALTER TABLE categories ADD COLUMN badge_template text;

-- What each badge was printed with; NULL for a built-in layout.
ALTER TABLE badges
    ADD COLUMN template_code text,
    ADD COLUMN template_version integer;
