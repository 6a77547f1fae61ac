//! Regions' basic sets and how well every member municipality covers them (docs/coverage.md):
//! per municipality × category the serving provisions, the share of inhabitants (and of
//! children 0–14) living in wijken within reach, a status, the wijken with a gap, and the
//! region's and the country's medians. JSON, or CSV with `Accept: text/csv`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Authenticated;
use super::etag::{IfMatch, etag};
use super::paging::SelfLinks;
use crate::db::basic_sets::{self, StoredSet};
use crate::db::changes::{self, Actor};
use crate::db::rows::{BasicSetItemRow, BasicSetRow};
use crate::domain::FieldError;
use crate::domain::codes::{MunicipalityCode, RegionCode};
use crate::domain::coverage::{BasicSet, SetCategory, Status, Thresholds, median, score};
use crate::error::ApiError;
use crate::index::coverage::CategoryGrid;
use crate::index::{Municipality, ProvisionIndex, Reference};

/// Shown with every illustrative set and its coverage.
pub const ILLUSTRATIVE: &str =
    "Illustrative example shipped with sociale-kaart, not an official agreement of the region";

/// The source of the wijk and municipality figures and shapes.
pub const ATTRIBUTION: &str =
    "Wijken, gemeenten and population: CBS Wijk- en buurtkaart 2024 (CBS/Kadaster, CC BY 4.0)";

// ---------------------------------------------------------------------------------------------
// Basic sets

/// A code and a name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    #[schema(example = "JZ36")]
    pub code: String,
    #[schema(example = "West Brabant West")]
    pub name: String,
}

/// One category of a basic set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicSetCategory {
    #[schema(example = "opvoedondersteuning")]
    pub category: String,
    pub name: String,
    /// A wijk counts as reached when a serving provision is at most this far from its label
    /// point, in metres.
    #[schema(example = 5000)]
    pub reach_m: u32,
    /// Since when the region agreed on this category.
    #[schema(value_type = String, format = Date, example = "2025-01-01")]
    pub adopted_on: NaiveDate,
}

/// A region's basic set (basisset): the categories of freely accessible provisions every
/// member municipality should offer. Every change is a new version.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct BasicSetView {
    pub region: Named,
    #[serde(flatten)]
    pub set: SetReference,
    pub note: Option<String>,
    pub created_at: String,
    pub categories: Vec<BasicSetCategory>,
    /// Every version of this region's set, oldest first.
    pub versions: Vec<i32>,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// One category of a basic set to store.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicSetCategoryInput {
    /// An open (freely accessible) category.
    #[schema(example = "opvoedondersteuning")]
    pub category: String,
    /// Default: the category's reach in the taxonomy, else 10 km. From 100 m to 100 km.
    pub reach_m: Option<u32>,
    /// Default: as in the previous version when the category was in it, else the set's date.
    #[schema(value_type = Option<String>, format = Date)]
    pub adopted_on: Option<String>,
}

/// A new version of a region's basic set.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BasicSetInput {
    /// The date this version was adopted.
    #[schema(value_type = String, format = Date, example = "2026-01-01")]
    pub adopted_on: String,
    /// Default false: a set entered by the region is its agreement.
    pub illustrative: Option<bool>,
    /// At most 500 characters.
    pub note: Option<String>,
    /// 1 to 64 different categories.
    pub categories: Vec<BasicSetCategoryInput>,
}

fn date(text: &str, field: &str, errors: &mut Vec<FieldError>) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap_or_else(|_| {
        errors.push(FieldError {
            field: field.into(),
            message: format!("'{text}' is not a date (YYYY-MM-DD)"),
        });
        NaiveDate::default()
    })
}

impl BasicSetInput {
    /// The set as it would be stored as `version`, after `previous`; every problem at once.
    fn parse(
        self,
        reference: &Reference,
        region: &str,
        version: i32,
        previous: Option<&BasicSet>,
    ) -> Result<BasicSet, ApiError> {
        let mut errors = Vec::new();
        let adopted_on = date(&self.adopted_on, "adoptedOn", &mut errors);
        if self.note.as_ref().is_some_and(|n| n.chars().count() > 500) {
            errors.push(FieldError {
                field: "note".into(),
                message: "at most 500 characters".into(),
            });
        }
        if self.categories.is_empty() || self.categories.len() > 64 {
            errors.push(FieldError {
                field: "categories".into(),
                message: "a basic set has 1 to 64 categories".into(),
            });
        }
        let mut categories: Vec<SetCategory> = Vec::new();
        for (i, c) in self.categories.into_iter().enumerate() {
            let field = |name: &str| format!("categories[{i}].{name}");
            let known = reference.categories.get(&c.category);
            match known {
                None => errors.push(FieldError {
                    field: field("category"),
                    message: format!("there is no category '{}'", c.category),
                }),
                Some(k) if k.access != "open" => errors.push(FieldError {
                    field: field("category"),
                    message: format!(
                        "'{}' is not freely accessible; a basic set holds open categories",
                        c.category
                    ),
                }),
                Some(_) if categories.iter().any(|s| s.category == c.category) => {
                    errors.push(FieldError {
                        field: field("category"),
                        message: format!("'{}' is listed twice", c.category),
                    })
                }
                Some(_) => {}
            }
            let reach_m = c.reach_m.unwrap_or_else(|| {
                known
                    .and_then(|k| k.default_reach_m)
                    .and_then(|r| u32::try_from(r).ok())
                    .unwrap_or(crate::db::seed::DEFAULT_REACH_M as u32)
            });
            if !(100..=100_000).contains(&reach_m) {
                errors.push(FieldError {
                    field: field("reachM"),
                    message: "the reach is from 100 m to 100 km".into(),
                });
            }
            let kept = previous
                .and_then(|p| p.categories.iter().find(|s| s.category == c.category))
                .map(|s| s.adopted_on);
            let since = match &c.adopted_on {
                Some(text) => date(text, &field("adoptedOn"), &mut errors),
                None => kept.unwrap_or(adopted_on),
            };
            categories.push(SetCategory {
                category: c.category,
                reach_m,
                adopted_on: since,
            });
        }
        if !errors.is_empty() {
            return Err(ApiError::Invalid(errors));
        }
        categories.sort_by(|a, b| a.category.cmp(&b.category));
        Ok(BasicSet {
            region: region.to_owned(),
            version,
            adopted_on,
            illustrative: self.illustrative.unwrap_or(false),
            note: self.note,
            created_at: changes::now(),
            categories,
        })
    }
}

/// A stored set as the domain sees it.
pub fn basic_set((set, items): StoredSet) -> BasicSet {
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
    BasicSet {
        adopted_on: day(&set.adopted_on),
        region: set.region_code,
        version: set.version,
        illustrative: set.illustrative,
        note: set.note,
        created_at: set.created_at,
        categories: items
            .into_iter()
            .map(|i| SetCategory {
                adopted_on: day(&i.adopted_on),
                category: i.category_code,
                reach_m: u32::try_from(i.reach_m).unwrap_or(0),
            })
            .collect(),
    }
}

fn rows(set: &BasicSet) -> (BasicSetRow, Vec<BasicSetItemRow>) {
    let row = BasicSetRow {
        region_code: set.region.clone(),
        version: set.version,
        adopted_on: set.adopted_on.to_string(),
        illustrative: set.illustrative,
        note: set.note.clone(),
        created_at: set.created_at.clone(),
    };
    let items = set
        .categories
        .iter()
        .map(|c| BasicSetItemRow {
            region_code: set.region.clone(),
            version: set.version,
            category_code: c.category.clone(),
            reach_m: i32::try_from(c.reach_m).unwrap_or(i32::MAX),
            adopted_on: c.adopted_on.to_string(),
        })
        .collect();
    (row, items)
}

fn view(reference: &Reference, set: &BasicSet, versions: Vec<i32>) -> BasicSetView {
    BasicSetView {
        region: region_named(reference, &set.region),
        set: set_reference(set),
        note: set.note.clone(),
        created_at: set.created_at.clone(),
        categories: set
            .categories
            .iter()
            .map(|c| BasicSetCategory {
                name: category_name(reference, &c.category),
                category: c.category.clone(),
                reach_m: c.reach_m,
                adopted_on: c.adopted_on,
            })
            .collect(),
        versions,
        links: SelfLinks::to(format!("/api/v1/regions/{}/basic-set", set.region)),
    }
}

fn region_named(reference: &Reference, code: &str) -> Named {
    Named {
        code: code.to_owned(),
        name: reference
            .regions
            .get(code)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
    }
}

fn category_name(reference: &Reference, code: &str) -> String {
    reference
        .categories
        .get(code)
        .map(|c| c.name_nl.clone())
        .unwrap_or_default()
}

/// The region named in the path, known to the reference data.
fn known_region(reference: &Reference, code: &str) -> Result<String, ApiError> {
    let code =
        RegionCode::parse(code).map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    reference
        .regions
        .get(code.as_str())
        .map(|r| r.code.clone())
        .ok_or_else(|| ApiError::NotFound(format!("there is no region {code}")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct VersionQuery {
    /// A former version; default the current one.
    #[param(minimum = 1)]
    pub version: Option<i32>,
}

/// The set and its versions, or 404.
async fn stored_set(
    state: &AppState,
    region: &str,
    version: Option<i32>,
) -> Result<(BasicSet, Vec<i32>), ApiError> {
    let region = region.to_owned();
    state
        .db(move |conn| {
            let set = basic_sets::find(conn, &region, version)?.ok_or_else(|| {
                ApiError::NotFound(match version {
                    Some(v) => format!("region {region} has no version {v} of a basic set"),
                    None => format!("region {region} has no basic set yet"),
                })
            })?;
            Ok((basic_set(set), basic_sets::versions(conn, &region)?))
        })
        .await
}

/// The region's current set, from the read model.
fn current_set(state: &AppState, region: &str) -> Result<BasicSet, ApiError> {
    state
        .read_model
        .basic_sets()
        .by_region
        .get(region)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("region {region} has no basic set yet")))
}

fn respond(
    status: StatusCode,
    reference: &Reference,
    set: &BasicSet,
    versions: Vec<i32>,
) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::ETAG, etag(i64::from(set.version))))
        .json(view(reference, set, versions))
}

/// A region's basic set: the current version, or a former one.
#[utoipa::path(get, path = "/regions/{code}/basic-set", tag = "coverage", operation_id = "find_basic_set",
    params(("code" = String, Path, description = "CBS region code", example = "JZ36"), VersionQuery),
    responses((status = 200, description = "The basic set", body = BasicSetView)))]
pub async fn find_basic_set(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<VersionQuery>,
) -> Result<HttpResponse, ApiError> {
    let region = known_region(&state.reference, &code)?;
    let (set, versions) = stored_set(&state, &region, query.version).await?;
    Ok(respond(StatusCode::OK, &state.reference, &set, versions))
}

/// Store a new version of a region's basic set (admin, or region-admin of that region). With
/// `If-Match` the current version must be the one named.
#[utoipa::path(put, path = "/regions/{code}/basic-set", tag = "coverage", operation_id = "replace_basic_set",
    params(("code" = String, Path, description = "CBS region code", example = "JZ36")),
    request_body = BasicSetInput, security(("bearer" = [])),
    responses((status = 200, description = "Stored as a new version", body = BasicSetView),
        (status = 201, description = "The region's first set", body = BasicSetView)))]
pub async fn replace_basic_set(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    code: web::Path<String>,
    body: web::Json<BasicSetInput>,
) -> Result<HttpResponse, ApiError> {
    let region = known_region(&state.reference, &code)?;
    principal
        .0
        .may_write_basic_set(&region)
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let reference = state.reference.clone();
    let input = body.into_inner();
    let (set, versions, first) = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let previous = basic_sets::find(conn, &region, None)?.map(basic_set);
                if_match.check(previous.as_ref().map_or(0, |p| i64::from(p.version)))?;
                let version = previous.as_ref().map_or(1, |p| p.version + 1);
                let set = input.parse(&reference, &region, version, previous.as_ref())?;
                let (row, items) = rows(&set);
                basic_sets::insert(conn, &row, &items)?;
                let wire = |s: &BasicSet| {
                    serde_json::to_value(view(&reference, s, Vec::new()))
                        .map_err(ApiError::internal)
                };
                let before = match &previous {
                    Some(p) => wire(p)?,
                    None => serde_json::Value::Null,
                };
                let action = if previous.is_some() {
                    "update"
                } else {
                    "create"
                };
                changes::record(
                    conn,
                    &actor,
                    "basic-set",
                    &region,
                    action,
                    &changes::diff(&before, &wire(&set)?),
                )?;
                Ok((
                    set,
                    basic_sets::versions(conn, &region)?,
                    previous.is_none(),
                ))
            })
        })
        .await?;
    state.after_write().await;
    let status = if first {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok(respond(status, &state.reference, &set, versions))
}

// ---------------------------------------------------------------------------------------------
// Coverage

/// The shares of inhabitants within reach at which a cell counts as covered or partial.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, IntoParams, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ThresholdQuery {
    /// Default 0.9.
    #[param(minimum = 0, maximum = 1)]
    pub covered_at: Option<f64>,
    /// Default 0.5.
    #[param(minimum = 0, maximum = 1)]
    pub partial_at: Option<f64>,
}

impl ThresholdQuery {
    fn parse(&self) -> Result<Thresholds, ApiError> {
        let default = Thresholds::default();
        let (covered, partial) = (
            self.covered_at.unwrap_or(default.covered_at),
            self.partial_at.unwrap_or(default.partial_at),
        );
        // The field to blame: the one out of range, else the lower one.
        let field = if (0.0..=1.0).contains(&covered) {
            "partialAt"
        } else {
            "coveredAt"
        };
        Thresholds::new(covered, partial).map_err(|why| ApiError::invalid_field(field, why))
    }
}

/// A wijk where the category is not within reach.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    #[schema(example = "WK074803")]
    pub code: String,
    pub name: String,
    pub inhabitants: i64,
    #[serde(rename = "inhabitants0To14")]
    pub inhabitants_0_to_14: i64,
    /// To the nearest located provision that serves the wijk, in metres; `null` when there
    /// is none within 25 km or four times the reach, whichever is more.
    pub nearest_m: Option<f64>,
}

/// One municipality × one category.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Cell {
    #[schema(example = "opvoedondersteuning")]
    pub category: String,
    /// Active open provisions of the category (or below it) that serve the municipality or
    /// one of its areas.
    pub provisions: u32,
    pub inhabitants_within_reach: i64,
    /// Share of the inhabitants living in wijken within reach, 0 to 1.
    pub share: f64,
    /// The same for inhabitants aged 0–14.
    #[serde(rename = "share0To14")]
    pub share_0_to_14: f64,
    pub status: Status,
    /// Wijken not within reach, most inhabitants first.
    pub gaps: Vec<Gap>,
}

/// One member municipality.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MunicipalityCoverage {
    #[schema(example = "GM0748")]
    pub code: String,
    pub name: String,
    /// In its non-water wijken.
    pub inhabitants: i64,
    #[serde(rename = "inhabitants0To14")]
    pub inhabitants_0_to_14: i64,
    /// The mean share within reach over the set's categories, 0 to 100.
    pub score: f64,
    pub cells: Vec<Cell>,
}

/// One category of the set, with the medians to compare against.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CategoryComparison {
    pub category: String,
    pub name: String,
    pub reach_m: u32,
    /// Median share within reach over the region's municipalities.
    pub region_median: f64,
    /// Median share within reach over all municipalities of the country, at the same reach.
    pub national_median: f64,
}

/// A version of a basic set: what a coverage answer is measured against.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SetReference {
    #[schema(example = 1)]
    pub version: i32,
    /// The date this version was adopted.
    #[schema(value_type = String, format = Date)]
    pub adopted_on: NaiveDate,
    /// An example shipped with the software, not an agreement of the region.
    pub illustrative: bool,
    /// Says so in words when the set is illustrative.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notice: Option<String>,
}

fn set_reference(set: &BasicSet) -> SetReference {
    SetReference {
        version: set.version,
        adopted_on: set.adopted_on,
        illustrative: set.illustrative,
        notice: set.illustrative.then(|| ILLUSTRATIVE.to_owned()),
    }
}

/// How every member municipality covers the region's basic set.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionCoverage {
    pub region: Named,
    pub basic_set: SetReference,
    pub thresholds: ThresholdQuery,
    pub categories: Vec<CategoryComparison>,
    /// By name.
    pub municipalities: Vec<MunicipalityCoverage>,
    pub attribution: String,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// Share rounded to 4 decimals, for people.
fn round(share: f64) -> f64 {
    (share * 10_000.0).round() / 10_000.0
}

/// The non-water wijken of a municipality.
fn wijken<'r>(reference: &'r Reference, m: &str) -> impl Iterator<Item = &'r crate::index::Area> {
    reference
        .areas_of(m)
        .iter()
        .filter_map(|code| reference.areas.get(code))
        .filter(|a| a.level == "wijk" && !a.is_water)
}

fn cell(
    reference: &Reference,
    m: &str,
    category: &str,
    grid: &CategoryGrid,
    t: Thresholds,
) -> Cell {
    let [all, young] = grid.reached_in(m);
    let provisions = grid.provisions_of(m);
    let mut gaps: Vec<Gap> = wijken(reference, m)
        .filter_map(|w| {
            let r = grid.wijken.get(&w.code)?;
            (!r.reachable).then(|| Gap {
                code: w.code.clone(),
                name: w.name.clone(),
                inhabitants: w.population.max(0),
                inhabitants_0_to_14: w.population_0_14.max(0),
                nearest_m: r.nearest_m.map(f64::round),
            })
        })
        .collect();
    gaps.sort_by(|a, b| {
        b.inhabitants
            .cmp(&a.inhabitants)
            .then_with(|| a.code.cmp(&b.code))
    });
    Cell {
        category: category.to_owned(),
        provisions,
        inhabitants_within_reach: all.within_reach,
        share: round(all.share()),
        share_0_to_14: round(young.share()),
        status: t.status(provisions, all.share()),
        gaps,
    }
}

/// The `(category, reach)` of each category of a set.
fn wanted(set: &BasicSet) -> Vec<(&str, u32)> {
    set.categories
        .iter()
        .map(|c| (c.category.as_str(), c.reach_m))
        .collect()
}

/// `wanted`, with owned strings.
fn owned(set: &BasicSet) -> Vec<(String, u32)> {
    set.categories
        .iter()
        .map(|c| (c.category.clone(), c.reach_m))
        .collect()
}

/// Runs `work` on this worker when the grids it needs are known (it then takes microseconds),
/// else on the blocking pool (computing a grid takes milliseconds).
async fn off_the_worker_when_cold<T: Send + 'static>(
    index: &ProvisionIndex,
    wanted: Vec<(String, u32)>,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    let wanted: Vec<(&str, u32)> = wanted.iter().map(|(c, r)| (c.as_str(), *r)).collect();
    if index.knows_grids(&wanted) {
        Ok(work())
    } else {
        Ok(web::block(work).await?)
    }
}

/// Coverage of a region's set by its member municipalities, from the index.
pub fn region_coverage(
    index: &ProvisionIndex,
    reference: &Reference,
    set: &BasicSet,
    t: Thresholds,
) -> RegionCoverage {
    let grids = index.grids(reference, &wanted(set));
    let mut members: Vec<&Municipality> = reference
        .regions
        .get(&set.region)
        .map(|r| {
            r.members
                .iter()
                .filter_map(|m| reference.municipalities.get(m))
                .collect()
        })
        .unwrap_or_default();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    let municipalities: Vec<MunicipalityCoverage> = members
        .iter()
        .map(|m| {
            let cells: Vec<Cell> = set
                .categories
                .iter()
                .zip(&grids)
                .map(|(c, grid)| cell(reference, &m.code, &c.category, grid, t))
                .collect();
            let (inhabitants, young) = wijken(reference, &m.code).fold((0, 0), |(a, y), w| {
                (a + w.population.max(0), y + w.population_0_14.max(0))
            });
            let shares: Vec<f64> = grids
                .iter()
                .map(|g| g.reached_in(&m.code)[0].share())
                .collect();
            MunicipalityCoverage {
                code: m.code.clone(),
                name: m.name.clone(),
                inhabitants,
                inhabitants_0_to_14: young,
                score: (score(&shares) * 10.0).round() / 10.0,
                cells,
            }
        })
        .collect();
    let categories = set
        .categories
        .iter()
        .zip(&grids)
        .map(|(c, grid)| {
            let mut regional: Vec<f64> = members
                .iter()
                .map(|m| grid.reached_in(&m.code)[0].share())
                .collect();
            CategoryComparison {
                name: category_name(reference, &c.category),
                category: c.category.clone(),
                reach_m: c.reach_m,
                region_median: round(median(&mut regional).unwrap_or(0.0)),
                national_median: round(grid.national_median),
            }
        })
        .collect();
    RegionCoverage {
        region: region_named(reference, &set.region),
        basic_set: set_reference(set),
        thresholds: ThresholdQuery {
            covered_at: Some(t.covered_at),
            partial_at: Some(t.partial_at),
        },
        categories,
        municipalities,
        attribution: ATTRIBUTION.to_owned(),
        links: SelfLinks::to(format!("/api/v1/regions/{}/coverage", set.region)),
    }
}

/// One row per municipality × category, for spreadsheets.
pub fn coverage_csv(c: &RegionCoverage) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(e);
    out.write_record([
        "region",
        "municipality",
        "municipalityName",
        "category",
        "reachM",
        "provisions",
        "inhabitants",
        "inhabitantsWithinReach",
        "share",
        "share0To14",
        "status",
        "gapWijken",
        "regionMedian",
        "nationalMedian",
        "illustrativeSet",
    ])
    .map_err(fail)?;
    for m in &c.municipalities {
        for (cell, cat) in m.cells.iter().zip(&c.categories) {
            out.write_record([
                c.region.code.clone(),
                m.code.clone(),
                m.name.clone(),
                cell.category.clone(),
                cat.reach_m.to_string(),
                cell.provisions.to_string(),
                m.inhabitants.to_string(),
                cell.inhabitants_within_reach.to_string(),
                cell.share.to_string(),
                cell.share_0_to_14.to_string(),
                cell.status.as_str().to_owned(),
                cell.gaps.len().to_string(),
                cat.region_median.to_string(),
                cat.national_median.to_string(),
                c.basic_set.illustrative.to_string(),
            ])
            .map_err(fail)?;
        }
    }
    out.into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

/// Whether the client asked for CSV.
pub(super) fn wants_csv(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/csv"))
}

/// How each member municipality covers the region's basic set, per category; CSV with
/// `Accept: text/csv`.
#[utoipa::path(get, path = "/regions/{code}/coverage", tag = "coverage", operation_id = "region_coverage",
    params(("code" = String, Path, description = "CBS region code", example = "JZ36"), ThresholdQuery),
    responses((status = 200, description = "Coverage per municipality and category; with `Accept: text/csv` one row per municipality and category",
        content((RegionCoverage = "application/json"), (String = "text/csv")))))]
pub async fn find_region_coverage(
    req: HttpRequest,
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<ThresholdQuery>,
) -> Result<HttpResponse, ApiError> {
    let region = known_region(&state.reference, &code)?;
    let thresholds = query.parse()?;
    let set = current_set(&state, &region)?;
    let (index, reference) = (state.read_model.index(), state.reference.clone());
    let wanted = owned(&set);
    let coverage = off_the_worker_when_cold(&index.clone(), wanted, move || {
        region_coverage(&index, &reference, &set, thresholds)
    })
    .await?;
    if wants_csv(&req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(coverage_csv(&coverage)?));
    }
    Ok(HttpResponse::Ok().json(coverage))
}

/// One wijk × one category.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WijkCell {
    pub category: String,
    pub reachable: bool,
    /// To the nearest located provision that serves the wijk, in metres; `null` when there
    /// is none within 25 km or four times the reach, whichever is more.
    pub nearest_m: Option<f64>,
}

/// One wijk of the municipality.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WijkCoverage {
    pub code: String,
    pub name: String,
    pub inhabitants: i64,
    #[serde(rename = "inhabitants0To14")]
    pub inhabitants_0_to_14: i64,
    pub categories: Vec<WijkCell>,
}

/// A municipality's coverage of its region's basic set, wijk by wijk.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MunicipalityDetail {
    pub municipality: Named,
    pub region: Named,
    pub basic_set: SetReference,
    pub thresholds: ThresholdQuery,
    pub summary: MunicipalityCoverage,
    pub categories: Vec<CategoryComparison>,
    /// Non-water wijken, by code.
    pub wijken: Vec<WijkCoverage>,
    pub attribution: String,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// A municipality's coverage of its region's basic set, wijk by wijk.
#[utoipa::path(get, path = "/municipalities/{code}/coverage", tag = "coverage", operation_id = "municipality_coverage",
    params(("code" = String, Path, description = "CBS municipality code", example = "GM0748"), ThresholdQuery),
    responses((status = 200, description = "Coverage per wijk and category", body = MunicipalityDetail)))]
pub async fn find_municipality_coverage(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<ThresholdQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = MunicipalityCode::parse(&code)
        .map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let thresholds = query.parse()?;
    let reference = state.reference.clone();
    let m = reference
        .municipalities
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no municipality {code}")))?
        .clone();
    let set = current_set(&state, &m.region_code)?;
    let index = state.read_model.index();
    let detail = off_the_worker_when_cold(&index.clone(), owned(&set), move || {
        let whole = region_coverage(&index, &reference, &set, thresholds);
        let summary = whole
            .municipalities
            .iter()
            .find(|c| c.code == m.code)
            .cloned()
            .ok_or_else(|| {
                ApiError::internal(std::io::Error::other(format!(
                    "{} is not among the members of {}",
                    m.code, m.region_code
                )))
            })?;
        let grids = index.grids(&reference, &wanted(&set));
        let mut wijken: Vec<WijkCoverage> = wijken(&reference, &m.code)
            .map(|w| WijkCoverage {
                code: w.code.clone(),
                name: w.name.clone(),
                inhabitants: w.population.max(0),
                inhabitants_0_to_14: w.population_0_14.max(0),
                categories: set
                    .categories
                    .iter()
                    .zip(&grids)
                    .map(|(c, grid)| {
                        let r = grid.wijken.get(&w.code);
                        WijkCell {
                            category: c.category.clone(),
                            reachable: r.is_some_and(|r| r.reachable),
                            nearest_m: r.and_then(|r| r.nearest_m).map(f64::round),
                        }
                    })
                    .collect(),
            })
            .collect();
        wijken.sort_by(|a, b| a.code.cmp(&b.code));
        Ok::<_, ApiError>(MunicipalityDetail {
            municipality: Named {
                code: m.code.clone(),
                name: m.name.clone(),
            },
            region: whole.region,
            basic_set: whole.basic_set,
            thresholds: whole.thresholds,
            summary,
            categories: whole.categories,
            wijken,
            attribution: ATTRIBUTION.to_owned(),
            links: SelfLinks::to(format!("/api/v1/municipalities/{}/coverage", m.code)),
        })
    })
    .await??;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MapQuery {
    /// An open category; its reach is the basic set's when the set holds it, else the
    /// taxonomy's.
    #[param(example = "opvoedondersteuning")]
    pub category: String,
}

/// A map of one category in a region (SVG): wijken coloured by the distance to the nearest
/// provision that serves them, municipal borders, provision locations and a legend.
#[utoipa::path(get, path = "/regions/{code}/coverage/map.svg", tag = "coverage", operation_id = "coverage_map",
    params(("code" = String, Path, description = "CBS region code", example = "JZ36"), MapQuery),
    responses((status = 200, description = "The map", body = String, content_type = "image/svg+xml")))]
pub async fn coverage_map(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<MapQuery>,
) -> Result<HttpResponse, ApiError> {
    let region = known_region(&state.reference, &code)?;
    let reference = state.reference.clone();
    let category = match reference.categories.get(&query.category) {
        Some(c) if c.access == "open" => c.clone(),
        Some(_) => {
            return Err(ApiError::invalid_field(
                "category",
                format!("'{}' is not a freely accessible category", query.category),
            ));
        }
        None => {
            return Err(ApiError::invalid_field(
                "category",
                format!("there is no category '{}'", query.category),
            ));
        }
    };
    let set = current_set(&state, &region).ok();
    let in_set = set
        .as_ref()
        .and_then(|s| s.categories.iter().find(|c| c.category == category.code));
    let reach_m = in_set.map(|c| c.reach_m).unwrap_or_else(|| {
        category
            .default_reach_m
            .and_then(|r| u32::try_from(r).ok())
            .unwrap_or(crate::db::seed::DEFAULT_REACH_M as u32)
    });
    let subtitle = match (&set, in_set) {
        (Some(s), Some(_)) => format!(
            "basic set version {}{}",
            s.version,
            if s.illustrative {
                " (illustrative, not an official agreement)"
            } else {
                ""
            }
        ),
        _ => "not in the region's basic set".to_owned(),
    };
    let index = state.read_model.index();
    let wanted = vec![(category.code.clone(), reach_m)];
    let svg = off_the_worker_when_cold(&index.clone(), wanted, move || {
        let grid = index.grid(&reference, &category.code, reach_m);
        super::coverage_map::render(&super::coverage_map::MapInput {
            reference: &reference,
            grid: &grid,
            region: &region,
            category: &category.code,
            reach_m,
            subtitle,
            attribution: ATTRIBUTION,
        })
    })
    .await?
    .ok_or_else(|| ApiError::NotFound("the region has no shapes to draw".into()))?;
    Ok(HttpResponse::Ok()
        .content_type("image/svg+xml; charset=utf-8")
        .body(svg))
}
