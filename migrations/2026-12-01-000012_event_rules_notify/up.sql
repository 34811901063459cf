-- An UPDATE of an event row failed: the rules trigger read `event_id`,
-- which events do not have (their own id is the event). Gates hear
-- `rules:<event>:::` for a changed event as for its keys, zones and gates.
CREATE OR REPLACE FUNCTION notify_gate_rules() RETURNS trigger AS $$
DECLARE
    changed UUID;
BEGIN
    IF TG_TABLE_NAME = 'events' THEN
        changed := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        changed := OLD.event_id;
    ELSE
        changed := NEW.event_id;
    END IF;
    PERFORM pg_notify('expopass_gate', format('rules:%s:::', changed));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
