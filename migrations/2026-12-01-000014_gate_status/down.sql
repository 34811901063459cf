DROP INDEX scans_event_recorded_idx;
DROP TABLE gate_status;
