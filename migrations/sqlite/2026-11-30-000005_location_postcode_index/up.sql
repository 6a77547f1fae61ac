-- The importer looks up stored provisions at the postcodes of a file to find probable
-- duplicates; without this index PostgreSQL scanned every location per 500 postcodes.
CREATE INDEX provision_locations_postcode ON provision_locations (postcode);
