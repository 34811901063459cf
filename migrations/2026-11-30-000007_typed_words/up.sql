-- Search keys are derived by new rules (`search_key::name_keys`): names
-- split at hyphens and other dashes as well as spaces, apostrophe-like
-- marks (U+02BB, U+2019, `, ...) written as one apostrophe and a copy of
-- each word without them, and no key for a whole name of several words
-- (typed text is split into words, each of which must begin a key).
--
-- `terms_version` says which rules derived a row's `name_terms`. Rows
-- written from now on carry the column default, the current rules'
-- number (`search_key::TERMS_VERSION`); the server derives older rows'
-- terms again when it starts, in batches, through the partial index.
ALTER TABLE participants ADD COLUMN terms_version SMALLINT NOT NULL DEFAULT 1;
ALTER TABLE participants ALTER COLUMN terms_version SET DEFAULT 2;
CREATE INDEX participants_stale_terms_idx ON participants (id) WHERE terms_version < 2;


-- New search terms wait in the GIN index's pending list until they are
-- merged into it, and every search reads that whole list: 4 MB by
-- default, 1.5-2.5 ms a search after a large import. A smaller list is
-- merged more often, in smaller pieces.
ALTER INDEX participants_name_terms_idx SET (gin_pending_list_limit = 512);
