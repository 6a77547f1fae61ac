DROP INDEX changes_type_seq;
