DROP TABLE scan_conflicts;
ALTER TABLE events DROP COLUMN photos_at_gates;
