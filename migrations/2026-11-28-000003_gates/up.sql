-- Gates: blocked badges, scans (online and uploaded), presence per zone,
-- occupancy counters, and the scan decision as one server-side call.

-- Blocked badges, by serial (every version of the badge).
CREATE TABLE badge_blocks (
    serial      BIGINT PRIMARY KEY,
    event_id    UUID NOT NULL REFERENCES events (id),
    reason      TEXT NOT NULL,
    blocked_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX badge_blocks_event_idx ON badge_blocks (event_id);

-- Every scan once, keyed by (gate, nonce): online decisions and offline ones
-- uploaded later.
CREATE TABLE scans (
    gate_id      UUID NOT NULL REFERENCES gates (id),
    nonce        TEXT NOT NULL,
    event_id     UUID NOT NULL REFERENCES events (id),
    zone_id      UUID NOT NULL REFERENCES zones (id),
    -- The badge, when the QR could be read.
    serial       BIGINT,
    version      INTEGER,
    direction    TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    decision     TEXT NOT NULL CHECK (decision IN ('allow', 'deny')),
    reason       TEXT,
    scanned_at   TIMESTAMPTZ NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL DEFAULT now(),
    offline      BOOLEAN NOT NULL DEFAULT false,
    PRIMARY KEY (gate_id, nonce)
);
CREATE INDEX scans_badge_idx ON scans (serial, scanned_at) WHERE serial IS NOT NULL;

-- Who is inside which zone now.
CREATE TABLE presence (
    serial      BIGINT NOT NULL,
    zone_id     UUID NOT NULL REFERENCES zones (id),
    event_id    UUID NOT NULL REFERENCES events (id),
    since       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (serial, zone_id)
);

-- People inside each zone, as counters in 16 shards whose sum is the
-- occupancy. Entries into a zone with a capacity count in shard 0, and the
-- conditional increment there keeps the capacity exact (every entry takes
-- that row's lock). Entries into a zone without one count in shards 0-7,
-- picked by badge serial, so they do not queue on one row (a commit holds
-- its locks through its WAL flush). Leaving counts in shards 8-15. A scan
-- takes at most one entry lock, first, then leaving locks in zone order:
-- two scans cannot wait on each other in a cycle. A shard alone may go
-- negative; sums do not.
CREATE TABLE zone_occupancy (
    zone_id   UUID NOT NULL REFERENCES zones (id),
    shard     SMALLINT NOT NULL CHECK (shard BETWEEN 0 AND 15),
    event_id  UUID NOT NULL REFERENCES events (id),
    inside    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (zone_id, shard)
);
CREATE INDEX zone_occupancy_event_idx ON zone_occupancy (event_id);
INSERT INTO zone_occupancy (zone_id, shard, event_id) SELECT id, 0, event_id FROM zones;

CREATE FUNCTION add_zone_occupancy() RETURNS trigger AS $$
BEGIN
    INSERT INTO zone_occupancy (zone_id, shard, event_id) VALUES (NEW.id, 0, NEW.event_id)
    ON CONFLICT DO NOTHING;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER zones_occupancy AFTER INSERT ON zones
    FOR EACH ROW EXECUTE FUNCTION add_zone_occupancy();

-- Adds `delta` to a zone's count in the shard a badge counts in: an entry
-- (+1) in shard 0 for a zone with a capacity, 0-7 by serial otherwise; a
-- leave (-1) in 8-15 by serial. (PL/pgSQL rather than SQL: its plans are
-- cached across calls.)
CREATE FUNCTION zone_count(p_zone UUID, p_event UUID, p_serial BIGINT, p_delta INTEGER)
RETURNS void AS $$
BEGIN
    INSERT INTO zone_occupancy AS o (zone_id, shard, event_id, inside)
    SELECT p_zone,
           CASE WHEN p_delta < 0 THEN (8 + p_serial % 8)::smallint
                WHEN z.capacity = 0 THEN (p_serial % 8)::smallint
                ELSE 0 END,
           p_event, p_delta
    FROM zones z WHERE z.id = p_zone
    ON CONFLICT (zone_id, shard) DO UPDATE SET inside = o.inside + excluded.inside;
END
$$ LANGUAGE plpgsql;

-- The part of a scan decision that needs shared state, in one call (one
-- round trip, one transaction). The caller has already run the checks that
-- need no database (domain::offline::decide) and passes their refusal, if
-- any, as p_deny (for exits, only a refusal of the badge itself: exits are
-- not refused for days, zones, revocations or blocks). In the design's order this adds: revoked and blocked (the
-- authoritative state, in case the caller's copy is a moment old), zone
-- full, already inside; records the scan; and moves presence. A (gate, nonce) seen before returns its first
-- decision and changes nothing.
CREATE FUNCTION gate_scan(
    p_gate UUID, p_nonce TEXT, p_event UUID, p_zone UUID,
    p_serial BIGINT, p_version INTEGER, p_direction TEXT,
    p_scanned_at TIMESTAMPTZ, p_deny TEXT
) RETURNS TABLE (decision TEXT, reason TEXT, replayed BOOLEAN) AS $$
DECLARE
    v_reason TEXT := p_deny;
    v_prev_decision TEXT;
    v_prev_reason TEXT;
    v_parent UUID;
    v_capacity INTEGER;
    v_inside BIGINT;
    v_gone UUID;
BEGIN
    SELECT s.decision, s.reason INTO v_prev_decision, v_prev_reason
    FROM scans s WHERE s.gate_id = p_gate AND s.nonce = p_nonce;
    IF FOUND THEN
        RETURN QUERY SELECT v_prev_decision, v_prev_reason, true;
        RETURN;
    END IF;

    IF v_reason IS NULL AND p_direction = 'in' AND EXISTS (
        SELECT 1 FROM badges b
        WHERE b.serial = p_serial AND b.version = p_version AND b.revoked_at IS NOT NULL
    ) THEN
        v_reason := 'REVOKED';
    END IF;
    IF v_reason IS NULL AND p_direction = 'in'
       AND EXISTS (SELECT 1 FROM badge_blocks k WHERE k.serial = p_serial) THEN
        v_reason := 'BLOCKED';
    END IF;

    IF v_reason IS NULL AND p_direction = 'in' THEN
        SELECT z.capacity, z.parent_zone_id INTO v_capacity, v_parent FROM zones z WHERE z.id = p_zone;
        IF v_capacity > 0 THEN
            -- Shard 0's lock serialises entries. The sum is read after the
            -- lock is held, by a statement of its own, so it sees every
            -- entry committed before (a leave committing meanwhile only
            -- makes it err on the full side).
            PERFORM 1 FROM zone_occupancy o WHERE o.zone_id = p_zone AND o.shard = 0 FOR UPDATE;
            SELECT coalesce(sum(a.inside), 0) INTO v_inside FROM zone_occupancy a WHERE a.zone_id = p_zone;
            IF v_inside < v_capacity THEN
                UPDATE zone_occupancy o SET inside = o.inside + 1 WHERE o.zone_id = p_zone AND o.shard = 0;
            ELSE
                v_reason := 'ZONE_FULL';
            END IF;
        END IF;
        IF v_reason IS NULL THEN
            INSERT INTO presence (serial, zone_id, event_id, since)
            VALUES (p_serial, p_zone, p_event, p_scanned_at)
            ON CONFLICT DO NOTHING;
            IF NOT FOUND THEN
                v_reason := 'ALREADY_INSIDE';
                IF v_capacity > 0 THEN
                    UPDATE zone_occupancy SET inside = inside - 1 WHERE zone_id = p_zone AND shard = 0;
                END IF;
            ELSE
                IF v_capacity = 0 THEN
                    PERFORM zone_count(p_zone, p_event, p_serial, 1);
                END IF;
                -- Entering a zone leaves its siblings (same parent, or both
                -- top-level zones of the event) and the zones inside them.
                IF EXISTS (SELECT 1 FROM presence p WHERE p.serial = p_serial AND p.zone_id <> p_zone) THEN
                FOR v_gone IN
                    WITH RECURSIVE left_zones AS (
                        SELECT z.id FROM zones z
                        WHERE z.event_id = p_event AND z.id <> p_zone
                          AND z.parent_zone_id IS NOT DISTINCT FROM v_parent
                        UNION
                        SELECT c.id FROM zones c JOIN left_zones l ON c.parent_zone_id = l.id
                    ), gone AS (
                        DELETE FROM presence p USING left_zones l
                        WHERE p.serial = p_serial AND p.zone_id = l.id
                        RETURNING p.zone_id
                    )
                    SELECT gone.zone_id FROM gone ORDER BY gone.zone_id
                LOOP
                    PERFORM zone_count(v_gone, p_event, p_serial, -1);
                END LOOP;
                END IF;
            END IF;
        END IF;
    ELSIF v_reason IS NULL AND p_direction = 'out' THEN
        -- Exits are always let through; presence moves only if recorded.
        DELETE FROM presence p WHERE p.serial = p_serial AND p.zone_id = p_zone;
        IF FOUND THEN
            PERFORM zone_count(p_zone, p_event, p_serial, -1);
        END IF;
    END IF;

    INSERT INTO scans (gate_id, nonce, event_id, zone_id, serial, version, direction,
                       decision, reason, scanned_at)
    VALUES (p_gate, p_nonce, p_event, p_zone, p_serial, p_version, p_direction,
            CASE WHEN v_reason IS NULL THEN 'allow' ELSE 'deny' END, v_reason, p_scanned_at)
    ON CONFLICT DO NOTHING;
    IF NOT FOUND THEN
        -- The same (gate, nonce) committed meanwhile: undo this call; the
        -- caller calls again and gets that first decision.
        RAISE EXCEPTION 'scan replayed concurrently' USING ERRCODE = 'EP001';
    END IF;
    RETURN QUERY SELECT CASE WHEN v_reason IS NULL THEN 'allow' ELSE 'deny' END, v_reason, false;
END
$$ LANGUAGE plpgsql;

-- What gates must hear at once, from whichever instance or command made the
-- change: channel `expopass_gate`, payload `kind:event:serial:version:badge`
-- with kind revoked, blocked, unblocked, or rules (keys, categories, zones;
-- serial, version and badge empty).
CREATE FUNCTION notify_gate_badges() RETURNS trigger AS $$
BEGIN
    IF TG_TABLE_NAME = 'badges' THEN
        IF NEW.revoked_at IS NOT NULL AND OLD.revoked_at IS NULL THEN
            PERFORM pg_notify('expopass_gate', format('revoked:%s:%s:%s:%s',
                NEW.event_id, NEW.serial, NEW.version, NEW.id));
        END IF;
        RETURN NEW;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM pg_notify('expopass_gate', format('blocked:%s:%s::', NEW.event_id, NEW.serial));
        RETURN NEW;
    ELSE
        PERFORM pg_notify('expopass_gate', format('unblocked:%s:%s::', OLD.event_id, OLD.serial));
        RETURN OLD;
    END IF;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER badges_notify AFTER UPDATE OF revoked_at ON badges
    FOR EACH ROW EXECUTE FUNCTION notify_gate_badges();
CREATE TRIGGER badge_blocks_notify AFTER INSERT OR DELETE ON badge_blocks
    FOR EACH ROW EXECUTE FUNCTION notify_gate_badges();

CREATE FUNCTION notify_gate_rules() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('expopass_gate', format('rules:%s:::',
        CASE WHEN TG_OP = 'DELETE' THEN OLD.event_id ELSE NEW.event_id END));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
CREATE TRIGGER signing_keys_notify AFTER INSERT OR UPDATE OR DELETE ON signing_keys
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();
CREATE TRIGGER categories_notify AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();
CREATE TRIGGER zones_notify AFTER INSERT OR UPDATE OR DELETE ON zones
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();
CREATE TRIGGER events_notify AFTER UPDATE ON events
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();
CREATE TRIGGER gates_notify AFTER INSERT OR UPDATE OR DELETE ON gates
    FOR EACH ROW EXECUTE FUNCTION notify_gate_rules();
