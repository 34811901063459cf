-- What each gate device last reported (ReportGateStatus), for the
-- operations board.
CREATE TABLE gate_status (
    gate_id UUID PRIMARY KEY REFERENCES gates (id) ON DELETE CASCADE,
    event_id UUID NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    bundle_version BIGINT NOT NULL,
    pending_offline INT NOT NULL,
    reported_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The board's last hour of an event's scans.
CREATE INDEX scans_event_recorded_idx ON scans (event_id, recorded_at);
