DROP TABLE participant_photos;
