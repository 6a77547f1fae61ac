//! Provisions (voorzieningen): what an organisation offers, where, for whom and for which ages.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::AppState;
use super::auth::Authenticated;
use super::etag::{IfMatch, etag};
use super::organisations::parse_time;
use super::paging::{SelfLinks, list_type};
use super::validate::{self, patched};
use crate::db::changes::{self, Actor};
use crate::db::registry::{self as reg, ProvisionRecord};
use crate::db::rows::{LocationRow, ProvisionRow, ServiceAreaRow};
use crate::domain::FieldErrors;
use crate::domain::age::AgeRange;
use crate::domain::codes::{AreaCode, CategoryCode, MunicipalityCode, Postcode};
use crate::domain::hours::{PeriodText, check_no_overlap};
use crate::domain::location::NlPoint;
use crate::domain::registry::{Access, LocationDraft, ProvisionDraft, Status};
use crate::domain::scope::ServiceArea;
use crate::error::ApiError;
use crate::index::Reference;

/// An address with its WGS84 point.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LocationInput {
    /// Name of the building or site, e.g. "Bibliotheek Centrum".
    pub name: Option<String>,
    #[schema(example = "Fortuinstraat")]
    pub street: String,
    #[schema(example = "23")]
    pub house_number: String,
    #[schema(example = "4611 NM")]
    pub postcode: String,
    #[schema(example = "Bergen op Zoom")]
    pub city: String,
    #[schema(example = 51.4944)]
    pub lat: f64,
    #[schema(example = 4.2876)]
    pub lon: f64,
}

/// A location as stored, with the municipality and wijk its point lies in.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    pub id: uuid::Uuid,
    pub name: Option<String>,
    pub street: String,
    pub house_number: String,
    pub postcode: String,
    pub city: String,
    pub lat: f64,
    pub lon: f64,
    #[schema(example = "GM0748")]
    pub municipality_code: Option<String>,
    #[schema(example = "WK074801")]
    pub area_code: Option<String>,
}

/// One entry of the service area: whose residents may use the provision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceAreaInput {
    /// `national`, `region`, `municipality` or `area` (wijk or buurt).
    #[schema(example = "municipality")]
    pub scope: String,
    /// CBS code of the region, municipality or area; none for `national`.
    #[schema(example = "GM0748")]
    pub code: Option<String>,
}

/// A weekly opening period in Dutch local time; a period over midnight is written as two.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OpeningPeriod {
    /// `monday` … `sunday`.
    #[schema(example = "monday")]
    pub day: String,
    /// `HH:MM`.
    #[schema(example = "09:00", pattern = "^([01][0-9]|2[0-4]):[0-5][0-9]$")]
    pub opens: String,
    /// `HH:MM`, after `opens`; `24:00` for the end of the day.
    #[schema(example = "17:00", pattern = "^([01][0-9]|2[0-4]):[0-5][0-9]$")]
    pub closes: String,
}

/// What a client sends to create or replace a provision.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProvisionInput {
    pub organisation_id: uuid::Uuid,
    #[schema(example = "Opvoedspreekuur CJG Bergen op Zoom")]
    pub name: String,
    pub description: Option<String>,
    /// Category codes (see `/categories`); all of the provision's access type.
    #[schema(example = json!(["opvoedondersteuning"]))]
    pub categories: Vec<String>,
    /// `open` (freely accessible) or `indicated` (needs a municipal decision or referral).
    #[schema(example = "open")]
    pub access: String,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
    /// Youngest age served, 0-27.
    #[schema(example = 0)]
    pub min_age: i64,
    /// Oldest age served, 0-27, at least `minAge`.
    #[schema(example = 18)]
    pub max_age: i64,
    pub free_of_charge: bool,
    pub cost_description: Option<String>,
    /// ISO 639-1 codes; `["nl"]` when left out.
    pub languages: Option<Vec<String>>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Option<Vec<OpeningPeriod>>,
    /// None for online or telephone provisions.
    pub locations: Option<Vec<LocationInput>>,
    /// Whose residents may use it; at least one entry.
    pub service_areas: Vec<ServiceAreaInput>,
    /// Where the record comes from; `api` when left out.
    pub source: Option<String>,
}

/// What a list shows of a provision: what it is, for whom, where, how to reach it, and whether
/// it is real (`source`). Search
/// results carry these members unless `view=full` asks for all of them.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionSummary {
    pub id: uuid::Uuid,
    pub organisation_id: uuid::Uuid,
    pub name: String,
    pub categories: Vec<String>,
    pub access: String,
    pub status: String,
    pub min_age: i64,
    pub max_age: i64,
    pub free_of_charge: bool,
    pub languages: Vec<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub locations: Vec<Location>,
    /// When the data was last confirmed by an editor.
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Where the record comes from; `synthetic` marks generated demo data (never refer to it).
    pub source: String,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// A provision: its summary members first, then the rest. The order matters: the search index
/// serves a summary as the stored JSON up to [`FIRST_DETAIL`] (docs/decisions.md §12).
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Provision {
    #[serde(flatten)]
    pub summary: ProvisionSummary,
    pub description: Option<String>,
    pub cost_description: Option<String>,
    pub opening_hours: Vec<OpeningPeriod>,
    pub service_areas: Vec<ServiceAreaInput>,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// How a provision's JSON continues after its summary members: the first member that is not in
/// [`ProvisionSummary`]. `description` is always written (`null` when there is none) and no
/// summary member, nested ones included, has that name; inside a JSON string the quotes would
/// be escaped, so these bytes cannot occur earlier.
pub const FIRST_DETAIL: &str = ",\"description\":";

list_type!(
    /// A page of provisions.
    ProvisionList,
    Provision
);

pub fn wire(r: &ProvisionRecord) -> Provision {
    let row = &r.row;
    Provision {
        summary: ProvisionSummary {
            id: uuid::Uuid::parse_str(&row.id).unwrap_or_default(),
            organisation_id: uuid::Uuid::parse_str(&row.organisation_id).unwrap_or_default(),
            name: row.name.clone(),
            categories: r.categories.clone(),
            access: row.access.clone(),
            status: row.status.clone(),
            min_age: i64::from(row.min_age),
            max_age: i64::from(row.max_age),
            free_of_charge: row.free_of_charge,
            languages: serde_json::from_str(&row.languages).unwrap_or_default(),
            website: row.website.clone(),
            email: row.email.clone(),
            phone: row.phone.clone(),
            locations: r
                .locations
                .iter()
                .map(|l| Location {
                    id: uuid::Uuid::parse_str(&l.id).unwrap_or_default(),
                    name: l.name.clone(),
                    street: l.street.clone(),
                    house_number: l.house_number.clone(),
                    postcode: l.postcode.clone(),
                    city: l.city.clone(),
                    lat: l.lat,
                    lon: l.lon,
                    municipality_code: l.municipality_code.clone(),
                    area_code: l.area_code.clone(),
                })
                .collect(),
            verified_at: row.verified_at.as_deref().map(parse_time),
            source: row.source.clone(),
            links: SelfLinks::to(format!("/api/v1/provisions/{}", row.id)),
        },
        description: row.description.clone(),
        cost_description: row.cost_description.clone(),
        opening_hours: serde_json::from_str::<Vec<PeriodText>>(&row.opening_hours)
            .unwrap_or_default()
            .into_iter()
            .map(|p| OpeningPeriod {
                day: p.day,
                opens: p.opens,
                closes: p.closes,
            })
            .collect(),
        service_areas: r
            .service_areas
            .iter()
            .map(|s| ServiceAreaInput {
                scope: s.scope.clone(),
                code: (s.scope != "national").then(|| s.code.clone()),
            })
            .collect(),
        version: row.version,
        created_at: parse_time(&row.created_at),
        updated_at: parse_time(&row.updated_at),
    }
}

/// A provision's JSON as the API serves it; stored with the provision for the search index.
pub fn render(record: &ProvisionRecord) -> Result<Box<serde_json::value::RawValue>, ApiError> {
    serde_json::value::to_raw_value(&wire(record)).map_err(ApiError::internal)
}

pub(super) fn input_of(p: &Provision) -> ProvisionInput {
    ProvisionInput {
        organisation_id: p.summary.organisation_id,
        name: p.summary.name.clone(),
        description: p.description.clone(),
        categories: p.summary.categories.clone(),
        access: p.summary.access.clone(),
        status: Some(p.summary.status.clone()),
        min_age: p.summary.min_age,
        max_age: p.summary.max_age,
        free_of_charge: p.summary.free_of_charge,
        cost_description: p.cost_description.clone(),
        languages: Some(p.summary.languages.clone()),
        website: p.summary.website.clone(),
        email: p.summary.email.clone(),
        phone: p.summary.phone.clone(),
        opening_hours: Some(p.opening_hours.clone()),
        locations: Some(
            p.summary
                .locations
                .iter()
                .map(|l| LocationInput {
                    name: l.name.clone(),
                    street: l.street.clone(),
                    house_number: l.house_number.clone(),
                    postcode: l.postcode.clone(),
                    city: l.city.clone(),
                    lat: l.lat,
                    lon: l.lon,
                })
                .collect(),
        ),
        service_areas: p.service_areas.clone(),
        source: Some(p.summary.source.clone()),
    }
}

/// Checks that a service-area entry names a place that exists.
pub(crate) fn service_area(
    reference: &Reference,
    scope: &str,
    code: Option<&str>,
) -> Result<ServiceArea, String> {
    let area = ServiceArea::parse(scope, code).map_err(|e| e.to_string())?;
    let known = match &area {
        ServiceArea::National => true,
        ServiceArea::Region(r) => reference.regions.contains_key(r.as_str()),
        ServiceArea::Municipality(m) => reference.municipalities.contains_key(m.as_str()),
        ServiceArea::Area(a) => reference.areas.contains_key(a.as_str()),
    };
    if known {
        Ok(area)
    } else {
        Err(format!("there is no {scope} {}", code.unwrap_or_default()))
    }
}

/// Checks that a category exists; returns its access type.
pub(crate) fn category(
    reference: &Reference,
    code: &str,
) -> Result<(CategoryCode, String), String> {
    let code = CategoryCode::parse(code).map_err(|e| e.to_string())?;
    let found = reference
        .categories
        .get(code.as_str())
        .ok_or_else(|| format!("there is no category '{code}' (see /api/v1/categories)"))?;
    Ok((code, found.access.clone()))
}

impl ProvisionInput {
    pub fn parse(&self, reference: &Reference) -> Result<ProvisionDraft, ApiError> {
        let mut e = FieldErrors::new();
        let name = validate::text(&mut e, "name", &self.name, 200);
        let description =
            validate::optional_text(&mut e, "description", self.description.as_deref(), 5000);
        let access = e.check("access", Access::parse(&self.access));
        let status = e.check(
            "status",
            Status::parse(self.status.as_deref().unwrap_or("active")),
        );
        if self.categories.is_empty() {
            e.add("categories", "name at least one category");
        }
        let mut categories = Vec::new();
        for (i, c) in self.categories.iter().enumerate() {
            let field = format!("categories[{i}]");
            if let Some((code, cat_access)) = e.check(&field, category(reference, c)) {
                if let Some(a) = access
                    && a.as_str() != cat_access
                {
                    e.add(&field, format!("'{code}' is a category of {cat_access} provisions, but the provision is {}", a.as_str()));
                }
                if !categories.contains(&code) {
                    categories.push(code);
                }
            }
        }
        let ages = e.check("minAge", AgeRange::new(self.min_age, self.max_age));
        let cost_description = validate::optional_text(
            &mut e,
            "costDescription",
            self.cost_description.as_deref(),
            1000,
        );
        let mut languages = Vec::new();
        for (i, l) in self
            .languages
            .clone()
            .unwrap_or_else(|| vec!["nl".into()])
            .iter()
            .enumerate()
        {
            if l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()) {
                if !languages.contains(l) {
                    languages.push(l.clone());
                }
            } else {
                e.add(
                    format!("languages[{i}]"),
                    format!(
                        "'{l}' is not an ISO 639-1 language code (two lower-case letters, e.g. nl)"
                    ),
                );
            }
        }
        let website = validate::url(&mut e, "website", self.website.as_deref());
        let email = validate::email(&mut e, "email", self.email.as_deref());
        let phone = validate::phone(&mut e, "phone", self.phone.as_deref());
        let mut opening_hours = Vec::new();
        for (i, p) in self.opening_hours.iter().flatten().enumerate() {
            let text = PeriodText {
                day: p.day.clone(),
                opens: p.opens.clone(),
                closes: p.closes.clone(),
            };
            if let Some(period) = e.check(format!("openingHours[{i}]"), text.parse()) {
                opening_hours.push(period);
            }
        }
        e.check("openingHours", check_no_overlap(&opening_hours));
        let locations: Vec<LocationDraft> = self
            .locations
            .iter()
            .flatten()
            .enumerate()
            .filter_map(|(i, l)| location(&mut e, reference, i, l))
            .collect();
        if self.service_areas.is_empty() {
            e.add("serviceAreas", "name at least one service area (e.g. {\"scope\": \"municipality\", \"code\": \"GM0748\"})");
        }
        let mut service_areas = Vec::new();
        for (i, s) in self.service_areas.iter().enumerate() {
            if let Some(area) = e.check(
                format!("serviceAreas[{i}]"),
                service_area(reference, &s.scope, s.code.as_deref()),
            ) && !service_areas.contains(&area)
            {
                service_areas.push(area);
            }
        }
        let source = validate::source(&mut e, self.source.as_deref());
        match (name, access, status, ages) {
            (Some(name), Some(access), Some(status), Some(ages)) if e.is_empty() => {
                Ok(ProvisionDraft {
                    organisation_id: self.organisation_id,
                    name,
                    description,
                    categories,
                    access,
                    status,
                    ages,
                    free_of_charge: self.free_of_charge,
                    cost_description,
                    languages,
                    website,
                    email,
                    phone,
                    opening_hours,
                    locations,
                    service_areas,
                    source,
                })
            }
            _ => Err(ApiError::Invalid(e.into_vec())),
        }
    }
}

fn location(
    e: &mut FieldErrors,
    reference: &Reference,
    i: usize,
    l: &LocationInput,
) -> Option<LocationDraft> {
    let f = |name: &str| format!("locations[{i}].{name}");
    let name = validate::optional_text(e, &f("name"), l.name.as_deref(), 200);
    let street = validate::text(e, &f("street"), &l.street, 200);
    let house_number = validate::text(e, &f("houseNumber"), &l.house_number, 20);
    let postcode = e.check(f("postcode"), Postcode::parse(&l.postcode));
    let city = validate::text(e, &f("city"), &l.city, 100);
    let point = e.check(f("lat"), NlPoint::new(l.lat, l.lon))?;
    let Some(placement) = reference.place_point(point.lat(), point.lon()) else {
        e.add(
            f("lat"),
            format!("({}, {}) lies in no Dutch municipality", l.lat, l.lon),
        );
        return None;
    };
    let municipality = MunicipalityCode::parse(&placement.municipality.code).ok()?;
    let area = placement.wijk.and_then(|w| AreaCode::parse(&w.code).ok());
    Some(LocationDraft {
        name,
        street: street?,
        house_number: house_number?,
        postcode: postcode?,
        city: city?,
        point,
        municipality,
        area,
    })
}

/// The municipalities a draft is tied to (for scope checks).
pub(super) fn ties(reference: &Reference, d: &ProvisionDraft) -> Vec<String> {
    d.municipalities(|a| {
        reference
            .areas
            .get(a.as_str())
            .map(|x| x.municipality_code.clone())
    })
}

pub(super) fn record_of(
    id: &str,
    d: &ProvisionDraft,
    version: i64,
    created_at: &str,
    now: &str,
) -> ProvisionRecord {
    let hours: Vec<PeriodText> = d.opening_hours.iter().map(PeriodText::from).collect();
    ProvisionRecord {
        row: ProvisionRow {
            id: id.to_owned(),
            organisation_id: d.organisation_id.to_string(),
            name: d.name.clone(),
            description: d.description.clone(),
            access: d.access.as_str().to_owned(),
            status: d.status.as_str().to_owned(),
            min_age: i32::from(d.ages.min()),
            max_age: i32::from(d.ages.max()),
            free_of_charge: d.free_of_charge,
            cost_description: d.cost_description.clone(),
            languages: serde_json::to_string(&d.languages).unwrap_or_else(|_| "[]".into()),
            website: d.website.clone(),
            email: d.email.clone(),
            phone: d.phone.clone(),
            opening_hours: serde_json::to_string(&hours).unwrap_or_else(|_| "[]".into()),
            // Creating or changing a provision is an editor confirming its data.
            verified_at: Some(now.to_owned()),
            source: d.source.clone(),
            version,
            created_at: created_at.to_owned(),
            updated_at: now.to_owned(),
            deleted_at: None,
        },
        categories: sorted(d.categories.iter().map(|c| c.to_string()).collect()),
        locations: d
            .locations
            .iter()
            .enumerate()
            .map(|(i, l)| LocationRow {
                // Stable per provision and position, so an unchanged location keeps its id.
                id: uuid::Uuid::new_v5(
                    &uuid::Uuid::parse_str(id).unwrap_or_default(),
                    &i.to_le_bytes(),
                )
                .to_string(),
                provision_id: id.to_owned(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                name: l.name.clone(),
                street: l.street.clone(),
                house_number: l.house_number.clone(),
                postcode: l.postcode.to_string(),
                city: l.city.clone(),
                lat: l.point.lat(),
                lon: l.point.lon(),
                municipality_code: Some(l.municipality.to_string()),
                area_code: l.area.as_ref().map(|a| a.to_string()),
            })
            .collect(),
        service_areas: d
            .service_areas
            .iter()
            .map(|s| ServiceAreaRow {
                provision_id: id.to_owned(),
                scope: s.scope().to_owned(),
                code: s.code().unwrap_or("NL").to_owned(),
            })
            .collect(),
    }
}

fn respond(status: StatusCode, record: &ProvisionRecord) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(record.row.version)));
    if status == StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/provisions/{}", record.row.id)));
    }
    res.json(wire(record))
}

fn require_organisation(
    conn: &mut crate::db::DbConnection,
    id: &uuid::Uuid,
) -> Result<(), ApiError> {
    match reg::find_organisation(conn, &id.to_string())? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid_field(
            "organisationId",
            format!("there is no organisation {id}"),
        )),
    }
}

/// One provision.
#[utoipa::path(get, path = "/provisions/{id}", tag = "provisions", operation_id = "find_provision",
    params(("id" = uuid::Uuid, Path, description = "Provision id")),
    responses((status = 200, description = "The provision", body = Provision)))]
pub async fn find_provision(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "provision")?.to_string();
    let record = state
        .db(move |conn| {
            reg::find_provision(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("there is no provision {id}")))
        })
        .await?;
    Ok(respond(StatusCode::OK, &record))
}

/// Register a provision.
#[utoipa::path(post, path = "/provisions", tag = "provisions", operation_id = "create_provision",
    request_body = ProvisionInput, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Provision)))]
pub async fn create_provision(
    state: web::Data<AppState>,
    principal: Authenticated,
    body: web::Json<ProvisionInput>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parse(&state.reference)?;
    principal
        .0
        .may_write_provision(
            &draft.organisation_id.to_string(),
            &ties(&state.reference, &draft),
        )
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let actor = Actor::of(&principal.0);
    let record = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                require_organisation(conn, &draft.organisation_id)?;
                let now = changes::now();
                let record = record_of(&uuid::Uuid::new_v4().to_string(), &draft, 1, &now, &now);
                let document = render(&record)?;
                reg::insert_provision(conn, &record, document.get())?;
                let after = serde_json::to_value(wire(&record)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "provision",
                    &record.row.id,
                    "create",
                    &changes::diff(&serde_json::Value::Null, &after),
                )?;
                Ok(record)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(StatusCode::CREATED, &record))
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: String,
    action: &'static str,
    change: impl FnOnce(&Provision) -> Result<ProvisionInput, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "provision")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let reference = state.reference.clone();
    let record = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_provision(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no provision {id}")))?;
                principal
                    .0
                    .may_write_provision(
                        &current.row.organisation_id,
                        &stored_ties(&reference, &current),
                    )
                    .map_err(|d| ApiError::Forbidden(d.0))?;
                if_match.check(current.row.version)?;
                let before = wire(&current);
                let draft = change(&before)?.parse(&reference)?;
                principal
                    .0
                    .may_write_provision(
                        &draft.organisation_id.to_string(),
                        &ties(&reference, &draft),
                    )
                    .map_err(|d| ApiError::Forbidden(d.0))?;
                require_organisation(conn, &draft.organisation_id)?;
                let record = record_of(
                    &id,
                    &draft,
                    current.row.version + 1,
                    &current.row.created_at,
                    &changes::now(),
                );
                let document = render(&record)?;
                if !reg::update_provision(conn, &record, current.row.version, Some(document.get()))?
                {
                    return Err(ApiError::PreconditionFailed(
                        "the provision was changed concurrently; fetch it again".into(),
                    ));
                }
                let before = serde_json::to_value(&before).map_err(ApiError::internal)?;
                let after = serde_json::to_value(wire(&record)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "provision",
                    &id,
                    action,
                    &changes::diff(&before, &after),
                )?;
                Ok(record)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(StatusCode::OK, &record))
}

/// The municipalities a stored provision is tied to: where it is located and the
/// municipalities (or their areas) its service area names.
pub(super) fn stored_ties(reference: &Reference, r: &ProvisionRecord) -> Vec<String> {
    let mut out: Vec<String> = r
        .locations
        .iter()
        .filter_map(|l| l.municipality_code.clone())
        .chain(r.service_areas.iter().filter_map(|s| {
            match s.scope.as_str() {
                "municipality" => Some(s.code.clone()),
                "area" => reference
                    .areas
                    .get(&s.code)
                    .map(|a| a.municipality_code.clone()),
                _ => None,
            }
        }))
        .collect();
    out.sort();
    out.dedup();
    out
}

/// Replace a provision. `If-Match` with the ETag guards against lost updates.
#[utoipa::path(put, path = "/provisions/{id}", tag = "provisions", operation_id = "replace_provision",
    params(("id" = uuid::Uuid, Path, description = "Provision id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body = ProvisionInput, security(("bearer" = [])),
    responses((status = 200, description = "Replaced", body = Provision)))]
pub async fn replace_provision(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
    body: web::Json<ProvisionInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    update(
        req,
        state,
        principal,
        id.into_inner(),
        "update",
        move |_| Ok(input),
    )
    .await
}

/// Change some fields of a provision (JSON merge patch, RFC 7396).
#[utoipa::path(patch, path = "/provisions/{id}", tag = "provisions", operation_id = "patch_provision",
    params(("id" = uuid::Uuid, Path, description = "Provision id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Fields to change; null removes an optional field; arrays are replaced whole"),
    security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Provision)))]
pub async fn patch_provision(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner();
    update(
        req,
        state,
        principal,
        id.into_inner(),
        "update",
        move |current| patched(&input_of(current), &patch),
    )
    .await
}

/// Mark a provision as checked: its data is still right. Sets `verifiedAt` to now (every
/// change does that too) and records a `verify` change; the same roles and scope as a change.
#[utoipa::path(post, path = "/provisions/{id}/verifications", tag = "provisions", operation_id = "verify_provision",
    params(("id" = uuid::Uuid, Path, description = "Provision id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version that was checked")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Verified; the provision with its new `verifiedAt` and version", body = Provision),
        (status = 412, description = "If-Match does not name the current version")))]
pub async fn verify_provision(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    update(
        req,
        state,
        principal,
        id.into_inner(),
        "verify",
        |current| Ok(input_of(current)),
    )
    .await
}

/// Delete a provision. It disappears from lists and search; its history is kept.
#[utoipa::path(delete, path = "/provisions/{id}", tag = "provisions", operation_id = "delete_provision",
    params(("id" = uuid::Uuid, Path, description = "Provision id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_provision(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "provision")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let reference = state.reference.clone();
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_provision(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no provision {id}")))?;
                principal
                    .0
                    .may_write_provision(
                        &current.row.organisation_id,
                        &stored_ties(&reference, &current),
                    )
                    .map_err(|d| ApiError::Forbidden(d.0))?;
                if_match.check(current.row.version)?;
                let before = wire(&current);
                let now = changes::now();
                let mut deleted = current.clone();
                deleted.row.version += 1;
                deleted.row.updated_at = now.clone();
                deleted.row.deleted_at = Some(now);
                if !reg::update_provision(conn, &deleted, current.row.version, None)? {
                    return Err(ApiError::PreconditionFailed(
                        "the provision was changed concurrently".into(),
                    ));
                }
                let before = serde_json::to_value(&before).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "provision",
                    &id,
                    "delete",
                    &changes::diff(&before, &serde_json::Value::Null),
                )?;
                Ok(())
            })
        })
        .await?;
    state.after_write().await;
    Ok(HttpResponse::NoContent().finish())
}

/// Categories are kept in code order, as the database returns them.
fn sorted(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes
}
