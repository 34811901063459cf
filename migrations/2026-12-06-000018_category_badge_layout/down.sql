ALTER TABLE categories DROP COLUMN badge_layout;
