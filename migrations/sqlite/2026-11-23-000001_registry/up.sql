-- Reference data (CBS) and the registry. Portable types only: text, integer/bigint, double, boolean.
-- UUIDs and timestamps are text (RFC 3339, UTC); geometry is GeoJSON text plus a bbox.

CREATE TABLE regions (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL,
    slug TEXT NOT NULL
);

CREATE TABLE municipalities (
    code TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    province TEXT NOT NULL,
    region_code TEXT NOT NULL REFERENCES regions (code),
    population BIGINT NOT NULL,
    population_0_14 BIGINT NOT NULL,
    label_lat DOUBLE NOT NULL,
    label_lon DOUBLE NOT NULL,
    min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    geometry TEXT NOT NULL
);
CREATE INDEX municipalities_region ON municipalities (region_code);

CREATE TABLE areas (
    code TEXT PRIMARY KEY NOT NULL,
    level TEXT NOT NULL CHECK (level IN ('wijk', 'buurt')),
    name TEXT NOT NULL,
    municipality_code TEXT NOT NULL REFERENCES municipalities (code),
    parent_code TEXT REFERENCES areas (code),
    is_water BOOLEAN NOT NULL,
    population BIGINT NOT NULL,
    population_0_14 BIGINT NOT NULL,
    label_lat DOUBLE NOT NULL,
    label_lon DOUBLE NOT NULL,
    min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    geometry TEXT NOT NULL
);
CREATE INDEX areas_municipality ON areas (municipality_code, level);

CREATE TABLE postcodes (
    pc4 TEXT PRIMARY KEY NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    place_name TEXT NOT NULL,
    municipality_code TEXT REFERENCES municipalities (code),
    area_code TEXT REFERENCES areas (code),
    reliable BOOLEAN NOT NULL,
    unreliable_reason TEXT
);

CREATE TABLE categories (
    code TEXT PRIMARY KEY NOT NULL,
    parent_code TEXT REFERENCES categories (code),
    access TEXT NOT NULL CHECK (access IN ('open', 'indicated')),
    name_nl TEXT NOT NULL,
    name_en TEXT NOT NULL,
    default_reach_m INTEGER,
    ijw_code TEXT,
    position INTEGER NOT NULL
);

CREATE TABLE organisations (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    kvk_number TEXT,
    agb_code TEXT,
    description TEXT,
    website TEXT,
    email TEXT,
    phone TEXT,
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX organisations_name ON organisations (name);

CREATE TABLE provisions (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    name TEXT NOT NULL,
    description TEXT,
    access TEXT NOT NULL CHECK (access IN ('open', 'indicated')),
    status TEXT NOT NULL CHECK (status IN ('active', 'inactive')),
    min_age INTEGER NOT NULL,
    max_age INTEGER NOT NULL,
    free_of_charge BOOLEAN NOT NULL,
    cost_description TEXT,
    languages TEXT NOT NULL,
    website TEXT,
    email TEXT,
    phone TEXT,
    opening_hours TEXT NOT NULL,
    verified_at TEXT,
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX provisions_organisation ON provisions (organisation_id);
CREATE INDEX provisions_name ON provisions (name);

CREATE TABLE provision_categories (
    provision_id TEXT NOT NULL REFERENCES provisions (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    PRIMARY KEY (provision_id, category_code)
);
CREATE INDEX provision_categories_category ON provision_categories (category_code);

CREATE TABLE provision_locations (
    id TEXT PRIMARY KEY NOT NULL,
    provision_id TEXT NOT NULL REFERENCES provisions (id),
    position INTEGER NOT NULL,
    name TEXT,
    street TEXT NOT NULL,
    house_number TEXT NOT NULL,
    postcode TEXT NOT NULL,
    city TEXT NOT NULL,
    lat DOUBLE NOT NULL,
    lon DOUBLE NOT NULL,
    municipality_code TEXT REFERENCES municipalities (code),
    area_code TEXT REFERENCES areas (code)
);
CREATE INDEX provision_locations_provision ON provision_locations (provision_id);
CREATE INDEX provision_locations_municipality ON provision_locations (municipality_code);

CREATE TABLE provision_service_areas (
    provision_id TEXT NOT NULL REFERENCES provisions (id),
    scope TEXT NOT NULL CHECK (scope IN ('national', 'region', 'municipality', 'area')),
    code TEXT NOT NULL,
    PRIMARY KEY (provision_id, scope, code)
);
CREATE INDEX provision_service_areas_code ON provision_service_areas (scope, code);

CREATE TABLE contracts (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    scope TEXT NOT NULL CHECK (scope IN ('national', 'region', 'municipality')),
    scope_code TEXT,
    reference TEXT,
    valid_from TEXT NOT NULL,
    valid_until TEXT,
    source TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX contracts_organisation ON contracts (organisation_id);
CREATE INDEX contracts_scope ON contracts (scope, scope_code);

CREATE TABLE contract_categories (
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    category_code TEXT NOT NULL REFERENCES categories (code),
    PRIMARY KEY (contract_id, category_code)
);

CREATE TABLE basic_sets (
    region_code TEXT NOT NULL REFERENCES regions (code),
    version INTEGER NOT NULL,
    adopted_on TEXT NOT NULL,
    illustrative BOOLEAN NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (region_code, version)
);

CREATE TABLE basic_set_items (
    region_code TEXT NOT NULL,
    version INTEGER NOT NULL,
    category_code TEXT NOT NULL REFERENCES categories (code),
    reach_m INTEGER NOT NULL,
    PRIMARY KEY (region_code, version, category_code),
    FOREIGN KEY (region_code, version) REFERENCES basic_sets (region_code, version)
);

CREATE TABLE referrals (
    id TEXT PRIMARY KEY NOT NULL,
    municipality_code TEXT NOT NULL REFERENCES municipalities (code),
    area_code TEXT REFERENCES areas (code),
    need_category TEXT NOT NULL REFERENCES categories (code),
    ijw_category TEXT NOT NULL REFERENCES categories (code),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    contract_id TEXT NOT NULL REFERENCES contracts (id),
    referrer_type TEXT NOT NULL,
    referred_on TEXT NOT NULL,
    alternatives_considered TEXT NOT NULL,
    no_fit_reason TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX referrals_municipality ON referrals (municipality_code, referred_on);

-- Append-only: every write to the registry, who, when and each changed field (old -> new).
CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id TEXT NOT NULL,
    action TEXT NOT NULL,
    fields TEXT NOT NULL
);
CREATE INDEX changes_resource ON changes (resource_type, resource_id);
