-- Every instance asks each half second for the newest change of a few resource types; with
-- this index that is one step down the index per type instead of a scan of the change log.
CREATE INDEX changes_type_seq ON changes (resource_type, seq);
