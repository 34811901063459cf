DROP TABLE badges;
DROP SEQUENCE badge_serials;
DROP TABLE signing_keys;
DROP TRIGGER categories_number ON categories;
DROP TRIGGER zones_number ON zones;
DROP FUNCTION assign_setup_number();
ALTER TABLE categories DROP COLUMN number;
ALTER TABLE zones DROP COLUMN number;
