-- Each category of a region's basic set has its own adoption date (since when the region
-- agreed on it); the set's own `adopted_on` is the date of that version. The table held no
-- rows before this step (nothing wrote basic sets yet), so it is made again.
DROP TABLE basic_set_items;
CREATE TABLE basic_set_items (
    region_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    reach_m INTEGER NOT NULL,
    adopted_on TEXT NOT NULL,
    PRIMARY KEY (region_code, version, category_code),
    FOREIGN KEY (region_code, version) REFERENCES basic_sets (region_code, version)
);
