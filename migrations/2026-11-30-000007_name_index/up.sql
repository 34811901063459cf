-- Name search moves into each server instance's memory
-- (`domain::name_index`): a sorted map of every participant's search keys
-- per event, brought up to date before each search. The search terms
-- column and its GIN index go: no query reads them any more, and they were
-- a good part of what an import cost.
DROP INDEX participants_name_terms_idx;
ALTER TABLE participants DROP COLUMN name_terms;

-- Which transaction last wrote each participant, so that an instance
-- brings its index up to date with one indexed query: the rows written by
-- transactions its last snapshot could not see (those in progress then,
-- or begun after it). Inserts take the column default; the trigger sets
-- it on every update.
ALTER TABLE participants ADD COLUMN changed_by xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX participants_changes_idx ON participants (event_id, changed_by);

CREATE FUNCTION participants_changed_by() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.changed_by := pg_current_xact_id();
    RETURN NEW;
END
$$;

CREATE TRIGGER participants_changed_by BEFORE UPDATE ON participants
    FOR EACH ROW EXECUTE FUNCTION participants_changed_by();
