-- The holder's photo, as the server re-encoded it: a JPEG without metadata,
-- 3:4, at most 600 x 800. A removal keeps the row with no image, so that a
-- badge printed before the change is known to be outdated.
CREATE TABLE participant_photos (
    participant_id UUID PRIMARY KEY REFERENCES participants (id) ON DELETE CASCADE,
    event_id UUID NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    jpeg BYTEA,
    width INT NOT NULL DEFAULT 0,
    height INT NOT NULL DEFAULT 0,
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (jpeg IS NULL OR octet_length(jpeg) <= 153600)
);
