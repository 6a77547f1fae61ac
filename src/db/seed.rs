//! Loads the real reference data shipped in `seed-data/` (CBS/Kadaster, CC BY 4.0; iJw code
//! lists; the category taxonomy). Idempotent: rows that exist are left alone.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde::Deserialize;

use super::rows::*;
use super::schema;
use super::{DbConnection, DbError};

macro_rules! seed_file {
    ($path:literal) => {
        include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/seed-data/", $path))
    };
}

const REGIONS_CSV: &str = seed_file!("cbs/jeugdzorgregios-2024.csv");
const MUNICIPALITIES_CSV: &str = seed_file!("cbs/gemeenten-2024.csv");
const MUNICIPALITIES_GEOJSON: &str = seed_file!("cbs/gemeenten-2024.geojson");
const WIJKEN_CSV: &str = seed_file!("cbs/wijken-2024.csv");
const WIJKEN_GEOJSON: &str = seed_file!("cbs/wijken-2024.geojson");
const POSTCODES_CSV: &str = seed_file!("cbs/pc4-centroiden-2024.csv");
const CATEGORIES_CSV: &str = seed_file!("domain/categories.csv");
const OPEN_ALTERNATIVES_CSV: &str = seed_file!("domain/ijw-open-alternatives.csv");
const BASIC_SETS_CSV: &str = seed_file!("domain/basic-sets.csv");
const IJW_CODE_LISTS_CSV: &str = seed_file!("domain/ijw-3.2-codelijsten.csv");

/// How many rows one INSERT carries: well below both engines' bind-parameter limits.
const BATCH: usize = 200;

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub regions: usize,
    pub municipalities: usize,
    pub areas: usize,
    pub postcodes: usize,
    pub categories: usize,
    pub basic_sets: usize,
}

impl SeedReport {
    pub fn total(&self) -> usize {
        self.regions
            + self.municipalities
            + self.areas
            + self.postcodes
            + self.categories
            + self.basic_sets
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("seed file {file}: {message}")]
    Data { file: &'static str, message: String },
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<diesel::result::Error> for SeedError {
    fn from(e: diesel::result::Error) -> Self {
        SeedError::Db(DbError::Query(e))
    }
}

fn data_err(file: &'static str, e: impl std::fmt::Display) -> SeedError {
    SeedError::Data {
        file,
        message: e.to_string(),
    }
}

fn read_csv<T: for<'de> Deserialize<'de>>(
    file: &'static str,
    text: &str,
) -> Result<Vec<T>, SeedError> {
    csv::Reader::from_reader(text.as_bytes())
        .deserialize()
        .collect::<Result<Vec<T>, _>>()
        .map_err(|e| data_err(file, e))
}

/// Geometry and bbox per feature id, from a CBS GeoJSON file.
struct Shape {
    geometry: String,
    bbox: [f64; 4],
}

fn read_shapes(file: &'static str, text: &str) -> Result<HashMap<String, Shape>, SeedError> {
    let collection: geojson::FeatureCollection = text.parse().map_err(|e| data_err(file, e))?;
    let mut shapes = HashMap::new();
    for feature in collection.features {
        let id = match &feature.id {
            Some(geojson::feature::Id::String(s)) => s.clone(),
            _ => return Err(data_err(file, "a feature has no string id")),
        };
        let geometry = feature
            .geometry
            .ok_or_else(|| data_err(file, format!("{id} has no geometry")))?;
        let bbox =
            bbox_of(&geometry.value).ok_or_else(|| data_err(file, format!("{id} is empty")))?;
        shapes.insert(
            id,
            Shape {
                geometry: geometry.to_string(),
                bbox,
            },
        );
    }
    Ok(shapes)
}

/// `[min_lon, min_lat, max_lon, max_lat]` of a (multi)polygon.
pub fn bbox_of(value: &geojson::GeometryValue) -> Option<[f64; 4]> {
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    let mut visit = |p: &geojson::Position| {
        bbox[0] = bbox[0].min(p[0]);
        bbox[1] = bbox[1].min(p[1]);
        bbox[2] = bbox[2].max(p[0]);
        bbox[3] = bbox[3].max(p[1]);
    };
    match value {
        geojson::GeometryValue::Polygon { coordinates } => {
            coordinates.iter().flatten().for_each(&mut visit)
        }
        geojson::GeometryValue::MultiPolygon { coordinates } => {
            coordinates.iter().flatten().flatten().for_each(&mut visit)
        }
        _ => return None,
    }
    bbox[0].is_finite().then_some(bbox)
}

#[derive(Deserialize)]
struct RegionCsv {
    jeugdzorgregio_cbs_code: String,
    jeugdzorgregio_cbs_naam: String,
    jeugdzorgregio: String,
    jeugdzorgregio_slug: String,
}

#[derive(Deserialize)]
struct MunicipalityCsv {
    gemeentecode: String,
    gemeentenaam: String,
    provincie: String,
    jeugdzorgregio_cbs_code: String,
    aantal_inwoners: i64,
    inwoners_0_14_afgeleid: i64,
    label_lat: f64,
    label_lon: f64,
}

#[derive(Deserialize)]
struct WijkCsv {
    wijkcode: String,
    wijknaam: String,
    gemeentecode: String,
    is_water: String,
    aantal_inwoners: Option<i64>,
    inwoners_0_14_afgeleid: Option<i64>,
    label_lat: f64,
    label_lon: f64,
}

#[derive(Deserialize)]
struct PostcodeCsv {
    pc4: String,
    lat: f64,
    lon: f64,
    woonplaats_2016: String,
    gemeentecode: Option<String>,
    wijkcode: Option<String>,
    toewijzing: String,
    reden_onbetrouwbaar: Option<String>,
}

#[derive(Deserialize)]
struct CategoryCsv {
    code: String,
    parent: Option<String>,
    access: String,
    name_nl: String,
    name_en: String,
    default_reach_m: Option<i32>,
    ijw_code: Option<String>,
}

fn regions() -> Result<Vec<RegionRow>, SeedError> {
    Ok(
        read_csv::<RegionCsv>("cbs/jeugdzorgregios-2024.csv", REGIONS_CSV)?
            .into_iter()
            .map(|r| RegionRow {
                code: r.jeugdzorgregio_cbs_code,
                name: r.jeugdzorgregio_cbs_naam,
                short_name: r.jeugdzorgregio,
                slug: r.jeugdzorgregio_slug,
            })
            .collect(),
    )
}

fn municipalities() -> Result<Vec<MunicipalityRow>, SeedError> {
    const FILE: &str = "cbs/gemeenten-2024.geojson";
    let mut shapes = read_shapes(FILE, MUNICIPALITIES_GEOJSON)?;
    read_csv::<MunicipalityCsv>("cbs/gemeenten-2024.csv", MUNICIPALITIES_CSV)?
        .into_iter()
        .map(|m| {
            let shape = shapes
                .remove(&m.gemeentecode)
                .ok_or_else(|| data_err(FILE, format!("no polygon for {}", m.gemeentecode)))?;
            Ok(MunicipalityRow {
                code: m.gemeentecode,
                name: m.gemeentenaam,
                province: m.provincie,
                region_code: m.jeugdzorgregio_cbs_code,
                population: m.aantal_inwoners,
                population_0_14: m.inwoners_0_14_afgeleid,
                label_lat: m.label_lat,
                label_lon: m.label_lon,
                min_lon: shape.bbox[0],
                min_lat: shape.bbox[1],
                max_lon: shape.bbox[2],
                max_lat: shape.bbox[3],
                geometry: shape.geometry,
            })
        })
        .collect()
}

fn wijken() -> Result<Vec<AreaRow>, SeedError> {
    const FILE: &str = "cbs/wijken-2024.geojson";
    let mut shapes = read_shapes(FILE, WIJKEN_GEOJSON)?;
    read_csv::<WijkCsv>("cbs/wijken-2024.csv", WIJKEN_CSV)?
        .into_iter()
        .map(|w| {
            let shape = shapes
                .remove(&w.wijkcode)
                .ok_or_else(|| data_err(FILE, format!("no polygon for {}", w.wijkcode)))?;
            Ok(AreaRow {
                code: w.wijkcode,
                level: "wijk".to_owned(),
                name: w.wijknaam,
                municipality_code: w.gemeentecode,
                parent_code: None,
                is_water: w.is_water.eq_ignore_ascii_case("true"),
                population: w.aantal_inwoners.unwrap_or(0),
                population_0_14: w.inwoners_0_14_afgeleid.unwrap_or(0),
                label_lat: w.label_lat,
                label_lon: w.label_lon,
                min_lon: shape.bbox[0],
                min_lat: shape.bbox[1],
                max_lon: shape.bbox[2],
                max_lat: shape.bbox[3],
                geometry: shape.geometry,
            })
        })
        .collect()
}

fn postcodes() -> Result<Vec<PostcodeRow>, SeedError> {
    Ok(
        read_csv::<PostcodeCsv>("cbs/pc4-centroiden-2024.csv", POSTCODES_CSV)?
            .into_iter()
            .map(|p| {
                // Unreliable centroids (PO boxes, far from their neighbours) are kept for reference
                // but never used to place a family.
                let reliable = p.toewijzing != "onbetrouwbaar" && p.gemeentecode.is_some();
                PostcodeRow {
                    pc4: p.pc4,
                    lat: p.lat,
                    lon: p.lon,
                    place_name: p.woonplaats_2016,
                    municipality_code: p.gemeentecode.filter(|_| reliable),
                    area_code: p.wijkcode.filter(|_| reliable),
                    reliable,
                    unreliable_reason: p.reden_onbetrouwbaar,
                }
            })
            .collect(),
    )
}

fn categories() -> Result<Vec<CategoryRow>, SeedError> {
    Ok(
        read_csv::<CategoryCsv>("domain/categories.csv", CATEGORIES_CSV)?
            .into_iter()
            .enumerate()
            .map(|(i, c)| CategoryRow {
                code: c.code,
                parent_code: c.parent,
                access: c.access,
                name_nl: c.name_nl,
                name_en: c.name_en,
                default_reach_m: c.default_reach_m,
                ijw_code: c.ijw_code,
                position: i32::try_from(i).unwrap_or(i32::MAX),
            })
            .collect(),
    )
}

#[derive(Deserialize)]
struct BasicSetCsv {
    region: String,
    category: String,
    reach_m: Option<i32>,
    adopted_on: String,
    note: Option<String>,
}

/// The illustrative basic sets (`seed-data/domain/basic-sets.csv`) as version 1 of each
/// region's set; the reach defaults to the category's.
fn basic_sets(
    categories: &[CategoryRow],
) -> Result<Vec<(BasicSetRow, Vec<BasicSetItemRow>)>, SeedError> {
    let reach: HashMap<&str, Option<i32>> = categories
        .iter()
        .map(|c| (c.code.as_str(), c.default_reach_m))
        .collect();
    let mut sets: Vec<(BasicSetRow, Vec<BasicSetItemRow>)> = Vec::new();
    for row in read_csv::<BasicSetCsv>("domain/basic-sets.csv", BASIC_SETS_CSV)? {
        let Some(&default) = reach.get(row.category.as_str()) else {
            return Err(SeedError::Data {
                file: "domain/basic-sets.csv",
                message: format!("unknown category {}", row.category),
            });
        };
        if sets.last().is_none_or(|(s, _)| s.region_code != row.region) {
            sets.push((
                BasicSetRow {
                    region_code: row.region.clone(),
                    version: 1,
                    adopted_on: row.adopted_on.clone(),
                    illustrative: true,
                    note: row.note.clone(),
                    created_at: crate::db::changes::now(),
                },
                Vec::new(),
            ));
        }
        let (set, items) = sets.last_mut().expect("pushed above");
        set.adopted_on = set.adopted_on.clone().max(row.adopted_on.clone());
        items.push(BasicSetItemRow {
            region_code: row.region,
            version: 1,
            category_code: row.category,
            reach_m: row.reach_m.or(default).unwrap_or(DEFAULT_REACH_M),
            adopted_on: row.adopted_on,
        });
    }
    Ok(sets)
}

/// The reach of a category without one in the taxonomy.
pub const DEFAULT_REACH_M: i32 = 10_000;

#[derive(Deserialize)]
struct OpenAlternativesCsv {
    ijw_category: String,
    open_categories: String,
}

/// Which open categories to try first for each iJw product category
/// (`seed-data/domain/ijw-open-alternatives.csv`; edit it and rebuild to change the advice).
pub fn open_alternatives() -> Result<Vec<(String, Vec<String>)>, SeedError> {
    Ok(
        read_csv::<OpenAlternativesCsv>("domain/ijw-open-alternatives.csv", OPEN_ALTERNATIVES_CSV)?
            .into_iter()
            .map(|r| {
                let open = r
                    .open_categories
                    .split(';')
                    .map(|c| c.trim().to_owned())
                    .filter(|c| !c.is_empty())
                    .collect();
                (r.ijw_category, open)
            })
            .collect(),
    )
}

#[derive(Deserialize)]
struct CodeListCsv {
    lijstcode: String,
    code: String,
    waarde: String,
}

/// The iJw 3.2 referrer types (code list COD327: `01` Gemeente, `02` Huisarts, …), by code.
pub fn referrer_types() -> Result<Vec<(String, String)>, SeedError> {
    Ok(
        read_csv::<CodeListCsv>("domain/ijw-3.2-codelijsten.csv", IJW_CODE_LISTS_CSV)?
            .into_iter()
            .filter(|r| r.lijstcode == "COD327")
            .map(|r| (r.code, r.waarde))
            .collect(),
    )
}

/// Inserts the rows whose key is not there yet, in batches; returns how many were new.
macro_rules! insert_missing {
    ($conn:expr, $table:path, $key:path, $rows:expr, |$r:ident| $row_key:expr) => {{
        let existing: HashSet<String> = $table
            .select($key)
            .load::<String>($conn)?
            .into_iter()
            .collect();
        let new: Vec<_> = $rows
            .into_iter()
            .filter(|$r| !existing.contains($row_key))
            .collect();
        for chunk in new.chunks(BATCH) {
            super::insert_all!($conn, $table, chunk)?;
        }
        new.len()
    }};
}

/// Loads all reference data in one transaction.
pub fn seed_reference(conn: &mut DbConnection) -> Result<SeedReport, SeedError> {
    let (regions, municipalities, wijken, postcodes, categories) = (
        regions()?,
        municipalities()?,
        wijken()?,
        postcodes()?,
        categories()?,
    );
    let sets = basic_sets(&categories)?;
    conn.transaction(|conn| {
        use schema::{
            areas, categories as cat, municipalities as mun, postcodes as pc, regions as reg,
        };
        let with_set: HashSet<String> = schema::basic_sets::table
            .select(schema::basic_sets::region_code)
            .load::<String>(conn)?
            .into_iter()
            .collect();
        Ok(SeedReport {
            regions: insert_missing!(conn, reg::table, reg::code, regions, |r| &r.code),
            municipalities: insert_missing!(conn, mun::table, mun::code, municipalities, |r| &r
                .code),
            areas: insert_missing!(conn, areas::table, areas::code, wijken, |r| &r.code),
            postcodes: insert_missing!(conn, pc::table, pc::pc4, postcodes, |r| &r.pc4),
            categories: insert_missing!(conn, cat::table, cat::code, categories, |r| &r.code),
            basic_sets: {
                let new: Vec<_> = sets
                    .iter()
                    .filter(|(s, _)| !with_set.contains(&s.region_code))
                    .collect();
                for (set, items) in &new {
                    super::basic_sets::insert(conn, set, items)?;
                    // Logged like every change, so running instances take the set in.
                    let after = serde_json::json!({
                        "version": set.version,
                        "illustrative": set.illustrative,
                        "categories": items.iter().map(|i| &i.category_code).collect::<Vec<_>>(),
                    });
                    super::changes::record(
                        conn,
                        &super::changes::Actor::system("seed"),
                        "basic-set",
                        &set.region_code,
                        "create",
                        &super::changes::diff(&serde_json::Value::Null, &after),
                    )?;
                }
                new.len()
            },
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_reference_data_is_complete() {
        assert_eq!(regions().expect("regions").len(), 42);
        let municipalities = municipalities().expect("municipalities");
        assert_eq!(municipalities.len(), 342);
        assert_eq!(
            municipalities.iter().map(|m| m.population).sum::<i64>(),
            17_942_942
        );
        assert_eq!(wijken().expect("wijken").len(), 3474);
        let postcodes = postcodes().expect("postcodes");
        assert_eq!(postcodes.len(), 4766);
        assert_eq!(postcodes.iter().filter(|p| !p.reliable).count(), 87);
        let categories = categories().expect("categories");
        assert!(categories.iter().any(|c| c.code == "ijw-45"));
        let open: std::collections::HashMap<&str, &str> = categories
            .iter()
            .map(|c| (c.code.as_str(), c.access.as_str()))
            .collect();
        let referrers: HashMap<_, _> = referrer_types().expect("COD327").into_iter().collect();
        assert_eq!(referrers.get("01").map(String::as_str), Some("Gemeente"));
        assert_eq!(referrers.get("02").map(String::as_str), Some("Huisarts"));
        for (ijw, alternatives) in open_alternatives().expect("mapping") {
            assert_eq!(open.get(ijw.as_str()), Some(&"indicated"), "{ijw}");
            for a in alternatives {
                assert_eq!(open.get(a.as_str()), Some(&"open"), "{ijw} -> {a}");
            }
        }
    }
}
