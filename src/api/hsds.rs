//! The Open Referral HSDS 3.0 facade under `/hsds/v3`: read-only and public, for partner systems
//! and other social maps. The mapping is the Dutch profile in `docs/hsds-profile.md`:
//! organisation → organization (KvK and AGB as organization identifiers), provision → service,
//! each of its locations → a service_at_location, categories and access → taxonomy terms
//! (linked through attributes), service areas → service_area with the CBS code in its `uri`.

use std::collections::HashMap;

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::AppState;
use super::provisions::{Provision, wire as provision_wire};
use crate::db::registry::{self as reg, OrganisationFilter, PageRequest};
use crate::db::rows::OrganisationRow;
use crate::db::{self, hsds::ServiceFilter};
use crate::domain::FieldErrors;
use crate::domain::location::NlPoint;
use crate::error::ApiError;
use crate::index::Reference;

/// The namespace of ids this facade derives (taxonomy terms, addresses, phones, …): the same
/// input always gives the same id.
const NAMESPACE: Uuid = Uuid::from_u128(0x8d4c_1e2a_55f3_4b8e_9c61_2f0a_7e3d_b915);
const DEFAULT_PER_PAGE: i64 = 50;
const MAX_PER_PAGE: i64 = 100;
/// Where the profile is documented.
const PROFILE: &str =
    "https://github.com/sociale-kaart/sociale-kaart/blob/main/docs/hsds-profile.md";
const HSDS_OPENAPI: &str =
    "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/openapi.json";

fn derived(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

fn category_taxonomy() -> Uuid {
    derived("taxonomy:categories")
}

fn access_taxonomy() -> Uuid {
    derived("taxonomy:access")
}

fn category_term(code: &str) -> Uuid {
    derived(&format!("category:{code}"))
}

fn access_term(access: &str) -> Uuid {
    derived(&format!("access:{access}"))
}

/// The query of every list; filters that do not apply to a list are ignored, as HSDS allows.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    search: Option<String>,
    page: Option<i64>,
    per_page: Option<i64>,
    format: Option<String>,
    taxonomy_term_id: Option<String>,
    taxonomy_id: Option<String>,
    organization_id: Option<String>,
    modified_after: Option<String>,
    postcode: Option<String>,
    proximity: Option<String>,
}

/// A taxonomy term: a category of the taxonomy, or an access type.
struct Term {
    id: Uuid,
    code: String,
    name: String,
    description: String,
    parent: Option<Uuid>,
    taxonomy: Uuid,
    /// The categories it stands for, itself and its descendants (none for an access type).
    categories: Vec<String>,
    access: Option<String>,
}

fn terms(reference: &Reference) -> Vec<Term> {
    let mut out: Vec<Term> = reference
        .category_order
        .iter()
        .filter_map(|code| reference.categories.get(code))
        .map(|c| Term {
            id: category_term(&c.code),
            code: c.code.clone(),
            name: c.name_nl.clone(),
            description: c.name_en.clone(),
            parent: c.parent_code.as_deref().map(category_term),
            taxonomy: category_taxonomy(),
            categories: reference.category_with_descendants(&c.code).to_vec(),
            access: None,
        })
        .collect();
    for (access, name, description) in [
        (
            "open",
            "Vrij toegankelijk",
            "Freely accessible, without a referral",
        ),
        (
            "indicated",
            "Met indicatie",
            "Needs a municipal decision or a referral",
        ),
    ] {
        out.push(Term {
            id: access_term(access),
            code: access.into(),
            name: name.into(),
            description: description.into(),
            parent: None,
            taxonomy: access_taxonomy(),
            categories: Vec::new(),
            access: Some(access.into()),
        });
    }
    out
}

fn taxonomies() -> Vec<Value> {
    vec![
        json!({"id": category_taxonomy(), "name": "sociale-kaart categorieën",
            "description": "Categories of basic provisions and iJw product categories (JZ020) of specialist youth care",
            "uri": PROFILE, "version": "1"}),
        json!({"id": access_taxonomy(), "name": "sociale-kaart toegang",
            "description": "Whether a provision is freely accessible or needs an indication",
            "uri": PROFILE, "version": "1"}),
    ]
}

fn term_json(t: &Term) -> Value {
    json!({"id": t.id, "code": t.code, "name": t.name, "description": t.description,
        "parent_id": t.parent, "taxonomy": "sociale-kaart", "taxonomy_id": t.taxonomy,
        "language": "nl"})
}

fn organisation_json(o: &OrganisationRow) -> Value {
    let mut identifiers = Vec::new();
    if let Some(kvk) = &o.kvk_number {
        identifiers.push(
            json!({"id": derived(&format!("kvk:{}", o.id)), "organization_id": o.id,
            "identifier_scheme": "NL-KVK", "identifier_type": "KvK-nummer", "identifier": kvk}),
        );
    }
    if let Some(agb) = &o.agb_code {
        identifiers.push(
            json!({"id": derived(&format!("agb:{}", o.id)), "organization_id": o.id,
            "identifier_scheme": "NL-AGB", "identifier_type": "AGB-code", "identifier": agb}),
        );
    }
    let phones: Vec<Value> = o
        .phone
        .iter()
        .map(|n| json!({"id": derived(&format!("phone:{}", o.id)), "organization_id": o.id, "number": n}))
        .collect();
    json!({"id": o.id, "name": o.name, "description": o.description.clone().unwrap_or_default(),
        "email": o.email, "website": o.website, "organization_identifiers": identifiers,
        "phones": phones})
}

/// An attribute linking a service to a taxonomy term.
fn attribute(service: Uuid, term: &Term) -> Value {
    json!({"id": derived(&format!("attribute:{service}:{}", term.id)), "link_id": service,
        "link_type": "taxonomy_term", "link_entity": "service", "taxonomy_term_id": term.id,
        "taxonomy_term": term_json(term)})
}

fn location_json(p: &Provision, i: usize) -> Value {
    let l = &p.summary.locations[i];
    let id = derived(&format!("location:{}", l.id));
    json!({"id": id, "location_type": "physical", "organization_id": p.summary.organisation_id,
        "name": l.name.clone().unwrap_or_else(|| p.summary.name.clone()),
        "latitude": l.lat, "longitude": l.lon,
        "external_identifier": l.area_code, "external_identifier_type": l.area_code.as_ref().map(|_| "CBS wijkcode"),
        "addresses": [{"id": derived(&format!("address:{}", l.id)), "location_id": id,
            "address_1": format!("{} {}", l.street, l.house_number), "city": l.city,
            "region": l.municipality_code, "state_province": "", "postal_code": l.postcode,
            "country": "NL", "address_type": "physical"}]})
}

/// What a service needs besides the provision: names of places and the taxonomy terms.
pub(super) struct Context<'a> {
    reference: &'a Reference,
    terms: HashMap<String, Term>,
}

impl<'a> Context<'a> {
    pub(super) fn new(reference: &'a Reference) -> Self {
        let terms = terms(reference)
            .into_iter()
            .map(|t| {
                let key = match &t.access {
                    Some(a) => format!("access:{a}"),
                    None => format!("category:{}", t.code),
                };
                (key, t)
            })
            .collect();
        Self { reference, terms }
    }
}

fn day_code(day: &str) -> &'static str {
    match day {
        "monday" => "MO",
        "tuesday" => "TU",
        "wednesday" => "WE",
        "thursday" => "TH",
        "friday" => "FR",
        "saturday" => "SA",
        _ => "SU",
    }
}

fn service_area_json(cx: &Context<'_>, service: Uuid, scope: &str, code: Option<&str>) -> Value {
    let code = code.unwrap_or("NL");
    let r = cx.reference;
    let (kind, name) = match scope {
        "municipality" => (
            "gemeente",
            r.municipalities.get(code).map(|m| m.name.as_str()),
        ),
        "region" => (
            "jeugdzorgregio",
            r.regions.get(code).map(|x| x.name.as_str()),
        ),
        "area" => ("wijk", r.areas.get(code).map(|a| a.name.as_str())),
        _ => ("land", Some("Nederland")),
    };
    json!({"id": derived(&format!("service_area:{service}:{kind}:{code}")), "service_id": service,
        "name": name.unwrap_or(code),
        "description": format!("Residents of {kind} {code} (CBS)"),
        "uri": format!("urn:cbs:{kind}:{code}")})
}

/// A provision as an HSDS service; `full` nests its service_at_locations.
pub(super) fn service_json(
    cx: &Context<'_>,
    p: &Provision,
    org: &OrganisationRow,
    full: bool,
) -> Value {
    let id = p.summary.id;
    let mut attributes: Vec<Value> = p
        .summary
        .categories
        .iter()
        .filter_map(|c| cx.terms.get(&format!("category:{c}")))
        .map(|t| attribute(id, t))
        .collect();
    if let Some(t) = cx.terms.get(&format!("access:{}", p.summary.access)) {
        attributes.push(attribute(id, t));
    }
    let languages: Vec<Value> = p
        .summary
        .languages
        .iter()
        .map(|code| json!({"id": derived(&format!("language:{id}:{code}")), "service_id": id, "code": code}))
        .collect();
    let schedules: Vec<Value> = p
        .opening_hours
        .iter()
        .enumerate()
        .map(|(i, h)| {
            json!({"id": derived(&format!("schedule:{id}:{i}")), "service_id": id, "freq": "WEEKLY",
                "wkst": "MO", "byday": day_code(&h.day), "opens_at": h.opens, "closes_at": h.closes,
                "description": "Local time in the Netherlands (Europe/Amsterdam)"})
        })
        .collect();
    let cost = if p.summary.free_of_charge {
        json!({"id": derived(&format!("cost:{id}")), "service_id": id, "option": "Gratis",
            "currency": "EUR", "amount": 0, "amount_description": p.cost_description})
    } else {
        json!({"id": derived(&format!("cost:{id}")), "service_id": id, "option": "Met kosten",
            "currency": "EUR", "amount_description": p.cost_description})
    };
    let phones: Vec<Value> = p
        .summary
        .phone
        .iter()
        .map(|n| json!({"id": derived(&format!("phone:{id}")), "service_id": id, "number": n}))
        .collect();
    let areas: Vec<Value> = p
        .service_areas
        .iter()
        .map(|a| service_area_json(cx, id, &a.scope, a.code.as_deref()))
        .collect();
    let mut service = json!({
        "id": id, "organization_id": p.summary.organisation_id, "name": p.summary.name,
        "description": p.description, "url": p.summary.website, "email": p.summary.email,
        "status": p.summary.status, "fees_description": p.cost_description,
        "minimum_age": p.summary.min_age, "maximum_age": p.summary.max_age,
        "assured_date": p.summary.verified_at.map(|v| v.date_naive().to_string()),
        "last_modified": p.updated_at,
        "phones": phones, "schedules": schedules, "service_areas": areas,
        "languages": languages, "cost_options": [cost], "attributes": attributes,
        "organization": organisation_json(org),
    });
    if full {
        service["service_at_locations"] = Value::Array(
            (0..p.summary.locations.len())
                .map(|i| {
                    json!({"id": p.summary.locations[i].id, "service_id": id,
                        "location_id": derived(&format!("location:{}", p.summary.locations[i].id)),
                        "location": location_json(p, i)})
                })
                .collect(),
        );
    }
    service
}

/// A provision's location as a service_at_location, with the service (without its locations).
fn service_at_location_json(
    cx: &Context<'_>,
    p: &Provision,
    org: &OrganisationRow,
    i: usize,
) -> Value {
    let l = &p.summary.locations[i];
    json!({"id": l.id, "service_id": p.summary.id,
        "location_id": derived(&format!("location:{}", l.id)),
        "location": location_json(p, i), "service": service_json(cx, p, org, false)})
}

/// The HSDS page envelope.
fn page_json(contents: Vec<Value>, total: i64, page: PageRequest) -> Value {
    let total_pages = ((total + page.page_size - 1) / page.page_size).max(1);
    json!({"total_items": total, "total_pages": total_pages, "page_number": page.page,
        "size": contents.len(), "first_page": page.page == 1,
        "last_page": page.page >= total_pages, "empty": contents.is_empty(),
        "contents": contents})
}

fn paging(q: &ListQuery, e: &mut FieldErrors) -> PageRequest {
    let page = q.page.unwrap_or(1);
    let page_size = q.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if !(1..=1_000_000).contains(&page) {
        e.add("page", "page must be between 1 and 1000000");
    }
    if !(1..=MAX_PER_PAGE).contains(&page_size) {
        e.add(
            "per_page",
            format!("per_page must be between 1 and {MAX_PER_PAGE}"),
        );
    }
    PageRequest { page, page_size }
}

fn uuid_param(e: &mut FieldErrors, name: &str, value: &Option<String>) -> Option<Uuid> {
    value.as_deref().and_then(|v| {
        e.check(
            name,
            Uuid::parse_str(v).map_err(|_| format!("'{v}' is not a UUID")),
        )
    })
}

fn ndjson_wanted(q: &ListQuery, e: &mut FieldErrors) -> bool {
    match q.format.as_deref() {
        None | Some("json") => false,
        Some("ndjson") => true,
        Some(other) => {
            e.add(
                "format",
                format!("'{other}' is not a format; use json or ndjson"),
            );
            false
        }
    }
}

/// Lists other than services come as JSON pages only.
fn json_only(q: &ListQuery, e: &mut FieldErrors) {
    if ndjson_wanted(q, e) {
        e.add("format", "ndjson is offered for services");
    }
}

/// One page of a list held in memory.
fn listed(all: &[Value], page: PageRequest) -> HttpResponse {
    let total = i64::try_from(all.len()).unwrap_or(i64::MAX);
    json_response(&page_json(super::paging::slice(all, page), total, page))
}

/// The service filter of a list query.
fn service_filter(state: &AppState, q: &ListQuery, e: &mut FieldErrors) -> ServiceFilter {
    let mut f = ServiceFilter {
        search: q
            .search
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        ..ServiceFilter::default()
    };
    if let Some(term) = uuid_param(e, "taxonomy_term_id", &q.taxonomy_term_id) {
        match terms(&state.reference).into_iter().find(|t| t.id == term) {
            Some(t) if t.access.is_some() => f.access = t.access,
            Some(t) => f.categories = Some(t.categories),
            None => e.add(
                "taxonomy_term_id",
                format!("there is no taxonomy term {term}"),
            ),
        }
    }
    if let Some(taxonomy) = uuid_param(e, "taxonomy_id", &q.taxonomy_id)
        && taxonomy != category_taxonomy()
        && taxonomy != access_taxonomy()
    {
        e.add("taxonomy_id", format!("there is no taxonomy {taxonomy}"));
    }
    f.organisation = uuid_param(e, "organization_id", &q.organization_id).map(|u| u.to_string());
    if let Some(after) = &q.modified_after {
        match chrono::DateTime::parse_from_rfc3339(after) {
            Ok(t) => {
                f.modified_after = Some(
                    t.with_timezone(&chrono::Utc)
                        .to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                )
            }
            Err(_) => e.add(
                "modified_after",
                format!("'{after}' is not an RFC 3339 date-time"),
            ),
        }
    }
    f
}

/// Loads provisions with their organisations, in the order of `ids`.
/// A provision with its organisation.
pub(super) type Listed = (Provision, OrganisationRow);

pub(super) fn load(conn: &mut db::DbConnection, ids: &[String]) -> Result<Vec<Listed>, ApiError> {
    let mut records: HashMap<String, _> = reg::find_provisions(conn, ids)?
        .into_iter()
        .map(|r| (r.row.id.clone(), r))
        .collect();
    let mut org_ids: Vec<String> = records
        .values()
        .map(|r| r.row.organisation_id.clone())
        .collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let orgs: HashMap<String, OrganisationRow> = reg::find_organisations(conn, &org_ids)?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    Ok(ids
        .iter()
        .filter_map(|id| records.remove(id))
        .filter_map(|r| {
            let org = orgs.get(&r.row.organisation_id)?.clone();
            Some((provision_wire(&r), org))
        })
        .collect())
}

/// HSDS leaves out what is unknown: its schemas type fields as strings, not as nullable.
pub(super) fn without_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(without_nulls).collect()),
        other => other,
    }
}

fn json_response(value: &Value) -> HttpResponse {
    HttpResponse::Ok().json(without_nulls(value.clone()))
}

/// `GET /hsds/v3/`: the HSDS version, the profile and the API's definition.
pub async fn root() -> HttpResponse {
    json_response(&json!({"version": "3.0", "profile": PROFILE, "openapi_url": HSDS_OPENAPI}))
}

/// `GET /hsds/v3/services`
pub async fn services(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let filter = service_filter(&state, &query, &mut e);
    let page = paging(&query, &mut e);
    let ndjson = ndjson_wanted(&query, &mut e);
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    if ndjson {
        return Ok(super::exports::stream(
            state,
            filter,
            super::exports::Format::Hsds,
        ));
    }
    let (found, total) = state
        .db(move |conn| {
            let ids = db::hsds::service_ids(conn, &filter, page)?;
            Ok((load(conn, &ids.items)?, ids.total))
        })
        .await?;
    let cx = Context::new(&state.reference);
    let contents = found
        .iter()
        .map(|(p, org)| service_json(&cx, p, org, false))
        .collect();
    Ok(json_response(&page_json(contents, total, page)))
}

fn path_uuid(id: &str, what: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::NotFound(format!("there is no {what} {id}")))
}

/// `GET /hsds/v3/services/{id}`: fully nested.
pub async fn service(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&id, "service")?.to_string();
    let wanted = id.clone();
    let found = state.db(move |conn| load(conn, &[wanted])).await?;
    let (p, org) = found
        .first()
        .ok_or_else(|| ApiError::NotFound(format!("there is no service {id}")))?;
    let cx = Context::new(&state.reference);
    Ok(json_response(&service_json(&cx, p, org, true)))
}

/// `GET /hsds/v3/organizations`
pub async fn organizations(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let page = paging(&query, &mut e);
    json_only(&query, &mut e);
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    let filter = OrganisationFilter {
        name: query.search.clone(),
        ..OrganisationFilter::default()
    };
    let found = state
        .db(move |conn| Ok(reg::list_organisations(conn, &filter, page)?))
        .await?;
    let contents = found.items.iter().map(organisation_json).collect();
    Ok(json_response(&page_json(contents, found.total, page)))
}

/// `GET /hsds/v3/organizations/{id}`: with its services.
pub async fn organization(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path_uuid(&id, "organization")?.to_string();
    let wanted = id.clone();
    let (org, services) = state
        .db(move |conn| {
            let Some(org) = reg::find_organisation(conn, &wanted)? else {
                return Ok((None, Vec::new()));
            };
            let ids = reg::provisions_of_organisations(conn, std::slice::from_ref(&wanted))?;
            Ok((Some(org), load(conn, &ids)?))
        })
        .await?;
    let org = org.ok_or_else(|| ApiError::NotFound(format!("there is no organization {id}")))?;
    let cx = Context::new(&state.reference);
    let mut out = organisation_json(&org);
    out["services"] = services
        .iter()
        .map(|(p, o)| service_json(&cx, p, o, false))
        .collect();
    Ok(json_response(&out))
}

/// `GET /hsds/v3/taxonomies`
pub async fn taxonomies_list(query: web::Query<ListQuery>) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let page = paging(&query, &mut e);
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    let all = taxonomies();
    Ok(listed(&all, page))
}

/// `GET /hsds/v3/taxonomies/{id}`
pub async fn taxonomy(id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let wanted = path_uuid(&id, "taxonomy")?;
    taxonomies()
        .into_iter()
        .find(|t| t["id"] == json!(wanted))
        .map(|t| json_response(&t))
        .ok_or_else(|| ApiError::NotFound(format!("there is no taxonomy {wanted}")))
}

/// `GET /hsds/v3/taxonomy_terms`
pub async fn taxonomy_terms(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let page = paging(&query, &mut e);
    let taxonomy = uuid_param(&mut e, "taxonomy_id", &query.taxonomy_id);
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    let words: Vec<String> = query
        .search
        .as_deref()
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_lowercase)
        .collect();
    let all: Vec<Value> = terms(&state.reference)
        .iter()
        .filter(|t| taxonomy.is_none_or(|x| t.taxonomy == x))
        .filter(|t| {
            let text = format!("{} {} {}", t.code, t.name, t.description).to_lowercase();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .map(term_json)
        .collect();
    Ok(listed(&all, page))
}

/// `GET /hsds/v3/taxonomy_terms/{id}`
pub async fn taxonomy_term(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let wanted = path_uuid(&id, "taxonomy term")?;
    terms(&state.reference)
        .iter()
        .find(|t| t.id == wanted)
        .map(|t| json_response(&term_json(t)))
        .ok_or_else(|| ApiError::NotFound(format!("there is no taxonomy term {wanted}")))
}

/// The latitudes and longitudes around a circle of `radius_m` metres around `centre`, with
/// a margin: a box the database can cut the candidates of a proximity search with.
fn bounds(centre: NlPoint, radius_m: f64) -> db::hsds::Bounds {
    const METRES_PER_DEGREE: f64 = 111_320.0;
    let margin = 1.01;
    let dlat = radius_m * margin / METRES_PER_DEGREE;
    // The Netherlands lies between 50.7° and 53.6° north: the box is widest at its north side.
    let dlon = dlat / (centre.lat() + dlat).to_radians().cos();
    (
        centre.lat() - dlat,
        centre.lon() - dlon,
        centre.lat() + dlat,
        centre.lon() + dlon,
    )
}

/// `GET /hsds/v3/service_at_locations`: with `postcode` (PC4) and `proximity` (metres), the
/// locations within that distance of the postcode's centre, nearest first.
pub async fn service_at_locations(
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let filter = service_filter(&state, &query, &mut e);
    let page = paging(&query, &mut e);
    json_only(&query, &mut e);
    let origin = match &query.postcode {
        Some(pc) => {
            let digits: String = pc.chars().filter(|c| !c.is_whitespace()).take(4).collect();
            match state
                .reference
                .postcodes
                .get(&digits)
                .and_then(|p| NlPoint::new(p.lat, p.lon).ok())
            {
                Some(point) => Some(point),
                None => {
                    e.add("postcode", format!("'{pc}' is not a known Dutch postcode"));
                    None
                }
            }
        }
        None => None,
    };
    let proximity = match (&query.proximity, origin) {
        (Some(m), _) => match m.parse::<f64>() {
            Ok(m) if (1.0..=100_000.0).contains(&m) => Some(m),
            _ => {
                e.add(
                    "proximity",
                    "proximity is a distance in metres, 1 to 100000",
                );
                None
            }
        },
        (None, Some(_)) => Some(10_000.0),
        (None, None) => None,
    };
    if proximity.is_some() && query.postcode.is_none() {
        e.add("postcode", "proximity needs a postcode");
    }
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    let (found, total) = state
        .db(move |conn| {
            // With an origin the database gives the locations in a box around the circle and
            // the distance decides. Stored points were checked to lie in the Netherlands.
            let near = origin.zip(proximity);
            let mut rows = db::hsds::locations(conn, &filter, near.map(|(o, m)| bounds(o, m)))?;
            if let Some((from, limit)) = near {
                // Each row's distance once, not twice per comparison of the sort.
                let from = from.on_sphere();
                let mut by_distance: Vec<(f64, db::hsds::LocatedRow)> = rows
                    .into_iter()
                    .map(|r| {
                        let to = NlPoint::new(r.2, r.3);
                        (
                            to.map_or(f64::INFINITY, |to| from.distance_m(to.on_sphere())),
                            r,
                        )
                    })
                    .filter(|(d, _)| *d <= limit)
                    .collect();
                by_distance.sort_by(|a, b| a.0.total_cmp(&b.0));
                rows = by_distance.into_iter().map(|(_, r)| r).collect();
            }
            let total = i64::try_from(rows.len()).unwrap_or(i64::MAX);
            let shown = super::paging::slice(&rows, page);
            let ids: Vec<String> = shown.iter().map(|r| r.1.clone()).collect();
            let loaded: HashMap<String, (Provision, OrganisationRow)> = load(conn, &ids)?
                .into_iter()
                .map(|(p, o)| (p.summary.id.to_string(), (p, o)))
                .collect();
            let found: Vec<(Provision, OrganisationRow, String)> = shown
                .into_iter()
                .filter_map(|r| loaded.get(&r.1).map(|(p, o)| (p.clone(), o.clone(), r.0)))
                .collect();
            Ok((found, total))
        })
        .await?;
    let cx = Context::new(&state.reference);
    let contents = found
        .iter()
        .filter_map(|(p, o, location)| {
            let i = p
                .summary
                .locations
                .iter()
                .position(|l| l.id.to_string() == *location)?;
            Some(service_at_location_json(&cx, p, o, i))
        })
        .collect();
    Ok(json_response(&page_json(contents, total, page)))
}

/// `GET /hsds/v3/service_at_locations/{id}`
pub async fn service_at_location(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let location = path_uuid(&id, "service_at_location")?.to_string();
    let wanted = location.clone();
    let found = state
        .db(
            move |conn| match db::hsds::provision_of_location(conn, &wanted)? {
                Some(p) => load(conn, &[p]),
                None => Ok(Vec::new()),
            },
        )
        .await?;
    let missing = || ApiError::NotFound(format!("there is no service_at_location {location}"));
    let (p, org) = found.first().ok_or_else(missing)?;
    let i = p
        .summary
        .locations
        .iter()
        .position(|l| l.id.to_string() == location)
        .ok_or_else(missing)?;
    let cx = Context::new(&state.reference);
    Ok(json_response(&service_at_location_json(&cx, p, org, i)))
}

/// The facade's routes, under `/hsds/v3`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    use super::resource;
    cfg.service(
        web::scope("/hsds/v3")
            .service(resource("").route(web::get().to(root)))
            .service(resource("/").route(web::get().to(root)))
            .service(resource("/services").route(web::get().to(services)))
            .service(resource("/services/{id}").route(web::get().to(service)))
            .service(resource("/organizations").route(web::get().to(organizations)))
            .service(resource("/organizations/{id}").route(web::get().to(organization)))
            .service(resource("/taxonomies").route(web::get().to(taxonomies_list)))
            .service(resource("/taxonomies/{id}").route(web::get().to(taxonomy)))
            .service(resource("/taxonomy_terms").route(web::get().to(taxonomy_terms)))
            .service(resource("/taxonomy_terms/{id}").route(web::get().to(taxonomy_term)))
            .service(resource("/service_at_locations").route(web::get().to(service_at_locations)))
            .service(
                resource("/service_at_locations/{id}").route(web::get().to(service_at_location)),
            ),
    );
}
