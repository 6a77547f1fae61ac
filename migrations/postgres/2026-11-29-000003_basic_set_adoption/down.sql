DROP TABLE basic_set_items;
CREATE TABLE basic_set_items (
    region_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    reach_m INTEGER NOT NULL,
    PRIMARY KEY (region_code, version, category_code),
    FOREIGN KEY (region_code, version) REFERENCES basic_sets (region_code, version)
);
