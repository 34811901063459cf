CREATE OR REPLACE FUNCTION notify_gate_rules() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('expopass_gate', format('rules:%s:::',
        CASE WHEN TG_OP = 'DELETE' THEN OLD.event_id ELSE NEW.event_id END));
    RETURN NULL;
END
$$ LANGUAGE plpgsql;
