-- What gates show of a holder: the name (names_at_gates, since the
-- foundation) and now the photo, online and on ALLOW only.
ALTER TABLE events ADD COLUMN photos_at_gates BOOLEAN NOT NULL DEFAULT false;

-- Conflicts found in uploaded offline scans, kept for the operations board.
-- `scans` names the scans involved ("<gate id>/<nonce>" each, sorted, one
-- space between): a conflict found again by a repeated upload is the same
-- row.
CREATE TABLE scan_conflicts (
    id BIGSERIAL PRIMARY KEY,
    event_id UUID NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    serial BIGINT,
    version INT,
    scans TEXT NOT NULL,
    gate_ids UUID[] NOT NULL,
    nonces TEXT[] NOT NULL,
    scanned_at TIMESTAMPTZ NOT NULL,
    found_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    UNIQUE (event_id, kind, scans)
);
CREATE INDEX scan_conflicts_event_found_idx ON scan_conflicts (event_id, found_at);
