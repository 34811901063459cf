DROP FUNCTION gate_scan(UUID, TEXT, UUID, UUID, BIGINT, INTEGER, TEXT, TIMESTAMPTZ, TEXT, BOOLEAN);

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
