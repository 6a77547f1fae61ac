//! Referrals to specialist care. An access-team professional records that a family was referred
//! — to a provider that holds a contract for the family's municipality, or not at all — and
//! which open alternatives were considered first. The record holds no personal data, and the
//! municipality gets a quarterly report with small counts hidden.

use std::collections::{BTreeMap, HashMap};

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Authenticated;
use super::organisations::parse_time;
use super::paging::SelfLinks;
use crate::db::registry::{self as reg, ContractFilter, PageRequest, Serving};
use crate::db::rows::ReferralRow;
use crate::db::{self, changes};
use crate::domain::FieldErrors;
use crate::domain::access::Role;
use crate::domain::codes::{MunicipalityCode, RegionCode};
use crate::domain::referral::{Count, NoFitReason, ReferralFacts, Tallies, quarter, ranked};
use crate::error::ApiError;
use crate::index::Reference;

/// At most this many considered alternatives per referral.
const MAX_CONSIDERED: usize = 50;

/// A referral as an access team records it. Only these fields are accepted: a name, birth date,
/// BSN, address or note is refused, so no personal data can be stored.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReferralInput {
    /// The resident's municipality (woonplaats): its contracts apply.
    #[schema(example = "GM0748")]
    pub municipality: String,
    /// The family's wijk, when recorded; a wijk of that municipality.
    #[schema(example = "WK074801")]
    pub area: Option<String>,
    /// The need, as a category of the taxonomy (open or iJw).
    #[schema(example = "opvoedondersteuning")]
    pub need: String,
    /// The iJw product category referred to (`ijw-40` … `ijw-55`).
    #[schema(example = "ijw-45")]
    pub ijw_category: String,
    /// The specialist provider referred to.
    pub organisation_id: uuid::Uuid,
    /// Who referred, iJw code list COD327: `01` Gemeente, `02` Huisarts, `03` Jeugdarts,
    /// `04` Gecertificeerde instelling, `05` Medisch specialist, `06` Zelfverwijzer / geen
    /// verwijzer, `08` Rechter, Officier van Justitie, functionaris Justitiële jeugdinrichting.
    #[schema(example = "01")]
    pub referrer_type: String,
    /// The day of the referral; the provider's contract must be valid on it.
    pub date: NaiveDate,
    /// The open provisions that were considered first (ids); empty when none was.
    #[serde(default)]
    pub alternatives_considered: Vec<uuid::Uuid>,
    /// Why none of the open alternatives fitted.
    pub no_fit_reason: NoFitReason,
}

/// A recorded referral.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Referral {
    pub id: uuid::Uuid,
    pub municipality: String,
    pub area: Option<String>,
    pub need: String,
    pub ijw_category: String,
    pub organisation_id: uuid::Uuid,
    /// The contract that allows this referral.
    pub contract_id: uuid::Uuid,
    pub referrer_type: String,
    pub date: NaiveDate,
    pub alternatives_considered: Vec<uuid::Uuid>,
    pub no_fit_reason: NoFitReason,
    pub recorded_at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

fn wire(row: &ReferralRow) -> Result<Referral, ApiError> {
    let id = |s: &str| uuid::Uuid::parse_str(s).map_err(ApiError::internal);
    let considered: Vec<uuid::Uuid> =
        serde_json::from_str(&row.alternatives_considered).map_err(ApiError::internal)?;
    Ok(Referral {
        id: id(&row.id)?,
        municipality: row.municipality_code.clone(),
        area: row.area_code.clone(),
        need: row.need_category.clone(),
        ijw_category: row.ijw_category.clone(),
        organisation_id: id(&row.organisation_id)?,
        contract_id: id(&row.contract_id)?,
        referrer_type: row.referrer_type.clone(),
        date: NaiveDate::parse_from_str(&row.referred_on, "%Y-%m-%d")
            .map_err(ApiError::internal)?,
        alternatives_considered: considered,
        no_fit_reason: row
            .no_fit_reason
            .as_deref()
            .and_then(NoFitReason::parse)
            .unwrap_or(NoFitReason::Other),
        recorded_at: parse_time(&row.created_at),
        links: SelfLinks::to(format!("/api/v1/referrals/{}", row.id)),
    })
}

/// The input checked against the reference data: what is left to check needs the database.
struct Checked {
    municipality: String,
    region: String,
}

fn check(input: &ReferralInput, reference: &Reference) -> Result<Checked, ApiError> {
    let mut e = FieldErrors::new();
    let municipality = e
        .check("municipality", MunicipalityCode::parse(&input.municipality))
        .and_then(|m| e.check("municipality", reference.known_municipality(m.as_str())));
    if let (Some(area), Some(m)) = (&input.area, municipality) {
        match reference.areas.get(area) {
            Some(a) if a.municipality_code == m.code && a.level == "wijk" => {}
            Some(_) => e.add("area", format!("{area} is not a wijk of {}", m.name)),
            None => e.add("area", format!("there is no wijk {area}")),
        }
    }
    if !reference.categories.contains_key(&input.need) {
        e.add("need", format!("'{}' is not a category", input.need));
    }
    match reference.categories.get(&input.ijw_category) {
        Some(c) if c.ijw_code.is_some() => {}
        _ => e.add(
            "ijwCategory",
            format!(
                "'{}' is not an iJw product category (ijw-40 … ijw-55)",
                input.ijw_category
            ),
        ),
    }
    if !reference.referrer_types.contains_key(&input.referrer_type) {
        e.add(
            "referrerType",
            format!(
                "'{}' is not a referrer type of iJw code list COD327 ({})",
                input.referrer_type,
                reference
                    .referrer_types
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        );
    }
    if input.date < NaiveDate::from_ymd_opt(2015, 1, 1).unwrap_or_default() {
        e.add(
            "date",
            "referrals by municipalities start on 2015-01-01 (Jeugdwet)",
        );
    }
    if input.alternatives_considered.len() > MAX_CONSIDERED {
        e.add(
            "alternativesConsidered",
            format!("at most {MAX_CONSIDERED} alternatives"),
        );
    }
    for (i, id) in input.alternatives_considered.iter().enumerate() {
        if input.alternatives_considered[..i].contains(id) {
            e.add(
                format!("alternativesConsidered[{i}]"),
                format!("{id} is listed twice"),
            );
        }
    }
    let checked = municipality.map(|m| Checked {
        municipality: m.code.clone(),
        region: m.region_code.clone(),
    });
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    checked.ok_or_else(|| ApiError::invalid_field("municipality", "unknown"))
}

/// The considered alternatives must exist and be open; the provider must exist.
fn check_references(conn: &mut db::DbConnection, input: &ReferralInput) -> Result<(), ApiError> {
    let mut e = FieldErrors::new();
    if reg::find_organisation(conn, &input.organisation_id.to_string())?.is_none() {
        e.add(
            "organisationId",
            format!("there is no organisation {}", input.organisation_id),
        );
    }
    let ids: Vec<String> = input
        .alternatives_considered
        .iter()
        .map(|id| id.to_string())
        .collect();
    let access: HashMap<String, String> = db::referrals::provision_access(conn, &ids)?
        .into_iter()
        .collect();
    for (i, id) in ids.iter().enumerate() {
        match access.get(id).map(String::as_str) {
            Some("open") => {}
            Some(_) => e.add(
                format!("alternativesConsidered[{i}]"),
                format!("{id} is not an open provision (it needs an indication)"),
            ),
            None => e.add(
                format!("alternativesConsidered[{i}]"),
                format!("there is no provision {id}"),
            ),
        }
    }
    e.finish(|| ()).map_err(ApiError::Invalid)
}

/// The contract that allows the referral: valid on the day, covering the municipality (by the
/// municipality, its region or nationally), for the iJw category; the most local one first.
fn allowing_contract(
    conn: &mut db::DbConnection,
    reference: &Reference,
    input: &ReferralInput,
    at: &Checked,
) -> Result<String, ApiError> {
    let filter = ContractFilter {
        organisation: Some(input.organisation_id.to_string()),
        applying: vec![Serving {
            regions: vec![at.region.clone()],
            municipalities: vec![at.municipality.clone()],
        }],
        categories: Some(vec![input.ijw_category.clone()]),
        valid_on: Some(input.date.format("%Y-%m-%d").to_string()),
    };
    let page = PageRequest {
        page: 1,
        page_size: 100,
    };
    let specificity = |scope: &str| match scope {
        "municipality" => 0,
        "region" => 1,
        _ => 2,
    };
    let found = reg::list_contracts(conn, &filter, page)?
        .items
        .into_iter()
        .min_by_key(|c| (specificity(&c.row.scope), c.row.id.clone()));
    match found {
        Some(c) => Ok(c.row.id),
        None => {
            let name = |code: &str, names: &dyn Fn(&str) -> Option<String>| {
                names(code).unwrap_or_else(|| code.to_owned())
            };
            let municipality = name(&at.municipality, &|c| {
                reference.municipalities.get(c).map(|m| m.name.clone())
            });
            let region = name(&at.region, &|c| {
                reference.regions.get(c).map(|r| r.name.clone())
            });
            Err(ApiError::Refused {
                code: "no-contract",
                detail: format!(
                    "geen contract: on {} organisation {} holds no contract for {} that covers residents of {} (by the municipality, by {} or nationally); /api/v1/alternatives lists the providers that do",
                    input.date, input.organisation_id, input.ijw_category, municipality, region
                ),
            })
        }
    }
}

/// Records a referral to specialist care (professionals of the resident's municipality).
/// Refused with `no-contract` (422) when the provider holds no contract valid on that day for
/// the municipality and category — by the municipality, its region or nationally.
#[utoipa::path(post, path = "/referrals", tag = "referrals", operation_id = "record_referral",
    request_body = ReferralInput, security(("bearer" = [])),
    responses(
        (status = 201, description = "Recorded", body = Referral),
        (status = 422, description = "Refused: `code` is `no-contract` when the provider holds no valid contract for the resident's municipality and the category on that day")))]
pub async fn record_referral(
    state: web::Data<AppState>,
    principal: Authenticated,
    body: web::Json<ReferralInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    let p = &principal.0;
    match state.reference.known_municipality(&input.municipality) {
        Ok(m) => p.may_record_referral(&m.code),
        // An unknown municipality is a 400 below, for those who may record referrals at all.
        Err(_) if matches!(p.role, Role::Admin | Role::Professional) => Ok(()),
        Err(_) => p.may_record_referral(&input.municipality),
    }
    .map_err(|d| ApiError::Forbidden(d.0))?;
    let checked = check(&input, &state.reference)?;
    let reference = state.reference.clone();
    let row = state
        .db(move |conn| {
            db::write_transaction(conn, |conn| {
                check_references(conn, &input)?;
                let contract_id = allowing_contract(conn, &reference, &input, &checked)?;
                let considered: Vec<String> = input
                    .alternatives_considered
                    .iter()
                    .map(|id| id.to_string())
                    .collect();
                let row = ReferralRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    municipality_code: checked.municipality.clone(),
                    area_code: input.area.clone(),
                    need_category: input.need.clone(),
                    ijw_category: input.ijw_category.clone(),
                    organisation_id: input.organisation_id.to_string(),
                    contract_id,
                    referrer_type: input.referrer_type.clone(),
                    referred_on: input.date.format("%Y-%m-%d").to_string(),
                    alternatives_considered: serde_json::to_string(&considered)
                        .map_err(ApiError::internal)?,
                    no_fit_reason: Some(input.no_fit_reason.as_str().to_owned()),
                    created_at: changes::now(),
                };
                db::referrals::insert(conn, &row)?;
                Ok(row)
            })
        })
        .await?;
    let referral = wire(&row)?;
    Ok(HttpResponse::build(StatusCode::CREATED)
        .insert_header((header::LOCATION, referral.links.self_.href.clone()))
        .json(referral))
}

/// One referral (for whoever may read its municipality's report, and its professionals).
#[utoipa::path(get, path = "/referrals/{id}", tag = "referrals", operation_id = "find_referral",
    params(("id" = uuid::Uuid, Path, description = "The referral")), security(("bearer" = [])),
    responses(
        (status = 200, description = "The referral", body = Referral),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The referral's municipality is outside the token's scope")))]
pub async fn find_referral(
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner().to_string();
    let row = state
        .db(move |conn| Ok(db::referrals::find(conn, &id)?))
        .await?
        .ok_or_else(|| ApiError::NotFound("there is no such referral".into()))?;
    let region = state
        .reference
        .municipalities
        .get(&row.municipality_code)
        .map(|m| m.region_code.clone())
        .unwrap_or_default();
    let p = &principal.0;
    p.may_record_referral(&row.municipality_code)
        .or_else(|_| p.may_read_municipal_reports(&row.municipality_code, &region))
        .map_err(|d| ApiError::Forbidden(d.0))?;
    Ok(HttpResponse::Ok().json(wire(&row)?))
}

// ---------------------------------------------------------------------------------------------
// The quarterly report

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReportQuery {
    /// The year.
    #[param(minimum = 2015, maximum = 9999, example = 2026)]
    pub year: i32,
    /// The quarter, 1 to 4.
    #[param(minimum = 1, maximum = 4, example = 4)]
    pub quarter: u32,
}

/// A report's subject: a municipality or a region.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportSubject {
    /// `municipality` or `region`.
    pub kind: String,
    pub code: String,
    pub name: String,
}

/// One line of a breakdown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReportRow {
    /// The category, provider id, referrer type, wijk or municipality code; `null` for
    /// referrals recorded without a wijk.
    pub code: Option<String>,
    pub name: String,
    pub referrals: Count,
}

/// The referrals of a quarter, counted. Counts of 1 to 4 are shown as `"<5"` so that no family
/// can be recognised.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReferralReport {
    pub subject: ReportSubject,
    /// The municipalities counted.
    pub municipalities: Vec<String>,
    pub year: i32,
    pub quarter: u32,
    /// First day of the quarter.
    pub from: NaiveDate,
    /// Last day of the quarter.
    pub until: NaiveDate,
    pub referrals: Count,
    /// Referrals where at least one open alternative was considered first.
    pub alternatives_considered: Count,
    /// Their share in whole percent; `null` when there are none or when the part that was or
    /// the part that was not considered is a small cell (the share would give it away).
    pub alternatives_considered_percent: Option<u64>,
    pub by_ijw_category: Vec<ReportRow>,
    pub by_provider: Vec<ReportRow>,
    pub by_referrer_type: Vec<ReportRow>,
    pub by_area: Vec<ReportRow>,
    /// Per member municipality (region reports only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_municipality: Option<Vec<ReportRow>>,
    pub notice: String,
}

const SMALL_CELL_NOTICE: &str = "Counts of 1 to 4 are shown as \"<5\" so that no family can be recognised; the share of considered alternatives is left out when either part is that small.";

fn facts(row: &ReferralRow) -> ReferralFacts {
    ReferralFacts {
        municipality: row.municipality_code.clone(),
        area: row.area_code.clone(),
        ijw_category: row.ijw_category.clone(),
        organisation_id: row.organisation_id.clone(),
        referrer_type: row.referrer_type.clone(),
        alternatives_considered: row.alternatives_considered != "[]",
    }
}

fn rows<K: Clone + Ord>(
    counts: &BTreeMap<K, u64>,
    code: impl Fn(&K) -> Option<String>,
    name: impl Fn(&K) -> String,
) -> Vec<ReportRow> {
    ranked(counts)
        .into_iter()
        .map(|(k, n)| ReportRow {
            code: code(&k),
            name: name(&k),
            referrals: Count::of(n),
        })
        .collect()
}

/// Counts a quarter's referrals of `municipalities`.
async fn report(
    state: &AppState,
    subject: ReportSubject,
    municipalities: Vec<String>,
    query: &ReportQuery,
) -> Result<ReferralReport, ApiError> {
    let (from, until) = quarter(query.year, query.quarter).map_err(|e| {
        let field = if e.starts_with("quarter") {
            "quarter"
        } else {
            "year"
        };
        ApiError::invalid_field(field, e)
    })?;
    let counted = municipalities.clone();
    let (from_s, until_s) = (from.to_string(), until.to_string());
    let (referrals, names) = state
        .db(move |conn| {
            let referrals = db::referrals::in_period(conn, &counted, &from_s, &until_s)?;
            let mut ids: Vec<String> = referrals
                .iter()
                .map(|r| r.organisation_id.clone())
                .collect();
            ids.sort();
            ids.dedup();
            let names: HashMap<String, String> = db::referrals::organisation_names(conn, &ids)?
                .into_iter()
                .collect();
            Ok((referrals, names))
        })
        .await?;
    let facts: Vec<ReferralFacts> = referrals.iter().map(facts).collect();
    let t = Tallies::of(&facts);
    let reference = &state.reference;
    let category = |c: &String| {
        reference
            .categories
            .get(c)
            .map(|c| c.name_nl.clone())
            .unwrap_or_else(|| c.clone())
    };
    let by_municipality = (subject.kind == "region").then(|| {
        rows(
            &t.by_municipality,
            |m| Some(m.clone()),
            |m| {
                reference
                    .municipalities
                    .get(m)
                    .map(|m| m.name.clone())
                    .unwrap_or_default()
            },
        )
    });
    Ok(ReferralReport {
        subject,
        municipalities,
        year: query.year,
        quarter: query.quarter,
        from,
        until,
        referrals: Count::of(t.total),
        alternatives_considered: Count::of(t.alternatives_considered),
        alternatives_considered_percent: t.considered_percent(),
        by_ijw_category: rows(&t.by_ijw_category, |c| Some(c.clone()), category),
        by_provider: rows(
            &t.by_provider,
            |o| Some(o.clone()),
            |o| names.get(o).cloned().unwrap_or_default(),
        ),
        by_referrer_type: rows(
            &t.by_referrer_type,
            |r| Some(r.clone()),
            |r| reference.referrer_types.get(r).cloned().unwrap_or_default(),
        ),
        by_area: rows(&t.by_area, Clone::clone, |a| match a {
            Some(code) => reference
                .areas
                .get(code)
                .map(|a| a.name.clone())
                .unwrap_or_default(),
            None => "wijk not recorded".to_owned(),
        }),
        by_municipality,
        notice: SMALL_CELL_NOTICE.to_owned(),
    })
}

/// The report as CSV: `dimension,code,name,referrals`, totals first.
fn report_csv(r: &ReferralReport) -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ApiError::internal(e);
    out.write_record(["dimension", "code", "name", "referrals"])
        .map_err(fail)?;
    let percent = r
        .alternatives_considered_percent
        .map(|p| p.to_string())
        .unwrap_or_default();
    for (dimension, value) in [
        ("total", r.referrals.to_string()),
        (
            "alternativesConsidered",
            r.alternatives_considered.to_string(),
        ),
        ("alternativesConsideredPercent", percent),
    ] {
        out.write_record([dimension, &r.subject.code, &r.subject.name, &value])
            .map_err(fail)?;
    }
    let empty = Vec::new();
    for (dimension, lines) in [
        ("ijwCategory", &r.by_ijw_category),
        ("provider", &r.by_provider),
        ("referrerType", &r.by_referrer_type),
        ("area", &r.by_area),
        ("municipality", r.by_municipality.as_ref().unwrap_or(&empty)),
    ] {
        for line in lines {
            out.write_record([
                dimension,
                line.code.as_deref().unwrap_or(""),
                &line.name,
                &line.referrals.to_string(),
            ])
            .map_err(fail)?;
        }
    }
    out.into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

fn respond(req: &HttpRequest, report: ReferralReport) -> Result<HttpResponse, ApiError> {
    if super::coverage::wants_csv(req) {
        return Ok(HttpResponse::Ok()
            .content_type("text/csv; charset=utf-8")
            .body(report_csv(&report)?));
    }
    Ok(HttpResponse::Ok().json(report))
}

/// A municipality's referrals in a quarter, per iJw category, provider, referrer type and wijk
/// (admins, its editors, region admins of its region); CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/municipalities/{code}/referral-report", tag = "referrals",
    operation_id = "municipality_referral_report", security(("bearer" = [])),
    params(("code" = String, Path, description = "CBS municipality code", example = "GM0748"), ReportQuery),
    responses(
        (status = 200, description = "The quarter's referrals counted; small counts shown as `<5`",
            content((ReferralReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The municipality is outside the token's scope")))]
pub async fn municipality_referral_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    code: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = MunicipalityCode::parse(&code)
        .map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let m = state
        .reference
        .municipalities
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no municipality {code}")))?;
    principal
        .0
        .may_read_municipal_reports(&m.code, &m.region_code)
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let subject = ReportSubject {
        kind: "municipality".into(),
        code: m.code.clone(),
        name: m.name.clone(),
    };
    let r = report(&state, subject, vec![m.code.clone()], &query).await?;
    respond(&req, r)
}

/// A region's referrals in a quarter, also per member municipality (admins and region admins of
/// the region); CSV with `Accept: text/csv`.
#[utoipa::path(get, path = "/regions/{code}/referral-report", tag = "referrals",
    operation_id = "region_referral_report", security(("bearer" = [])),
    params(("code" = String, Path, description = "CBS region code", example = "JZ36"), ReportQuery),
    responses(
        (status = 200, description = "The quarter's referrals counted; small counts shown as `<5`",
            content((ReferralReport = "application/json"), (String = "text/csv"))),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The region is outside the token's scope")))]
pub async fn region_referral_report(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    code: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> Result<HttpResponse, ApiError> {
    let code =
        RegionCode::parse(&code).map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let r = state
        .reference
        .regions
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no region {code}")))?;
    principal
        .0
        .may_read_regional_referrals(&r.code)
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let subject = ReportSubject {
        kind: "region".into(),
        code: r.code.clone(),
        name: r.name.clone(),
    };
    let report = report(&state, subject, r.members.clone(), &query).await?;
    respond(&req, report)
}
