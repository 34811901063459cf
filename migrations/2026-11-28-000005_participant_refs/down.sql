ALTER TABLE participants
    DROP CONSTRAINT participants_category_fkey,
    DROP CONSTRAINT participants_delegation_fkey,
    DROP CONSTRAINT participants_organization_fkey,
    ADD CONSTRAINT participants_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    ADD CONSTRAINT participants_category_id_fkey FOREIGN KEY (category_id) REFERENCES categories (id),
    ADD CONSTRAINT participants_delegation_id_fkey FOREIGN KEY (delegation_id) REFERENCES delegations (id),
    ADD CONSTRAINT participants_organization_id_fkey FOREIGN KEY (organization_id) REFERENCES organizations (id);

ALTER TABLE organizations DROP CONSTRAINT organizations_event_id_id_key;
ALTER TABLE delegations DROP CONSTRAINT delegations_event_id_id_key;
ALTER TABLE categories DROP CONSTRAINT categories_event_id_id_key;
