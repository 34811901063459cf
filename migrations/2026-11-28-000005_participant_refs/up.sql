-- A participant's category, delegation and organisation belong to its own
-- event, and the database now says so: one composite foreign key per
-- reference, instead of one to the event plus one per reference (the event
-- follows from the category's own foreign key). A participant costs one
-- referential check fewer on every insert.
ALTER TABLE categories ADD CONSTRAINT categories_event_id_id_key UNIQUE (event_id, id);
ALTER TABLE delegations ADD CONSTRAINT delegations_event_id_id_key UNIQUE (event_id, id);
ALTER TABLE organizations ADD CONSTRAINT organizations_event_id_id_key UNIQUE (event_id, id);

ALTER TABLE participants
    DROP CONSTRAINT participants_event_id_fkey,
    DROP CONSTRAINT participants_category_id_fkey,
    DROP CONSTRAINT participants_delegation_id_fkey,
    DROP CONSTRAINT participants_organization_id_fkey,
    ADD CONSTRAINT participants_category_fkey
        FOREIGN KEY (event_id, category_id) REFERENCES categories (event_id, id),
    ADD CONSTRAINT participants_delegation_fkey
        FOREIGN KEY (event_id, delegation_id) REFERENCES delegations (event_id, id),
    ADD CONSTRAINT participants_organization_fkey
        FOREIGN KEY (event_id, organization_id) REFERENCES organizations (event_id, id);
