DROP TRIGGER api_tokens_notify ON api_tokens;
DROP FUNCTION notify_token_revoked();
DROP INDEX api_tokens_by_event;
ALTER TABLE api_tokens
    DROP CONSTRAINT api_tokens_gates_need_an_event,
    DROP COLUMN last_used_at,
    DROP COLUMN created_by,
    DROP COLUMN expires_at,
    DROP COLUMN gate_ids,
    DROP COLUMN event_id;
