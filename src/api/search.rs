//! Search for provisions near a family: `GET /provisions` with filters, served from the
//! in-memory index. Also resolves an origin (postcode, area or point) to the resident's place.

use std::io::Write;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::areas::Named;
use super::paging::{PageLinks, PageParams, links};
use super::provisions::{Provision, ProvisionSummary, category};
use crate::domain::FieldErrors;
use crate::domain::clock::amsterdam_weekday_minute;
use crate::domain::codes::{AreaCode, Pc4};
use crate::domain::location::NlPoint;
use crate::domain::registry::{Access, Status};
use crate::error::ApiError;
use crate::index::Reference;
use crate::index::provisions::{Hit, ProvisionIndex, Reach, Resident, SearchQuery};

/// Default radius without a category reach, and the largest radius accepted, in metres.
pub const DEFAULT_RADIUS_M: f64 = 10_000.0;
pub const MAX_RADIUS_M: f64 = 100_000.0;

/// Where the family is, as given by postcode, area or point.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub point: Option<NlPoint>,
    pub resident: Option<Resident>,
}

/// The family's place, as the response reports it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Place {
    /// The wijk (or buurt) of the origin, when known.
    pub area: Option<Named>,
    pub municipality: Named,
    pub region: Named,
}

impl Origin {
    pub fn place(&self, reference: &Reference) -> Option<Place> {
        let r = self.resident.as_ref()?;
        let named = |code: &str, name: &str| Named {
            code: code.to_owned(),
            name: name.to_owned(),
        };
        Some(Place {
            area: r
                .area
                .as_ref()
                .and_then(|a| reference.areas.get(a))
                .map(|a| named(&a.code, &a.name)),
            municipality: reference
                .municipalities
                .get(&r.municipality)
                .map(|m| named(&m.code, &m.name))?,
            region: reference
                .regions
                .get(&r.region)
                .map(|x| named(&x.code, &x.name))?,
        })
    }
}

/// Resolves the origin parameters; every problem is recorded in `e`.
pub fn resolve_origin(
    reference: &Reference,
    e: &mut FieldErrors,
    postcode: Option<&str>,
    area: Option<&str>,
    lat: Option<f64>,
    lon: Option<f64>,
    municipality: Option<&str>,
) -> Origin {
    let given = [
        postcode.is_some(),
        area.is_some(),
        lat.is_some() || lon.is_some(),
    ]
    .iter()
    .filter(|g| **g)
    .count();
    if given > 1 {
        e.add(
            "postcode",
            "give one origin: postcode, area, or lat and lon",
        );
        return Origin::default();
    }
    let resident = |m: &str, area: Option<String>| {
        reference.municipalities.get(m).map(|m| Resident {
            municipality: m.code.clone(),
            region: m.region_code.clone(),
            area,
        })
    };
    let mut origin = Origin::default();
    if let Some(pc) = postcode {
        match Pc4::parse(pc).map_err(|e| e.to_string()).and_then(|pc4| {
            let known = reference
                .postcodes
                .get(pc4.as_str())
                .ok_or_else(|| format!("postcode {pc4} is not known"))?;
            let m = known
                .municipality_code
                .as_deref()
                .filter(|_| known.reliable)
                .ok_or_else(|| {
                    format!(
                        "postcode {pc4} has no reliable location; give the area or a point instead"
                    )
                })?;
            Ok((known, m))
        }) {
            Ok((known, m)) => {
                origin.point = NlPoint::new(known.lat, known.lon).ok();
                origin.resident = resident(m, known.area_code.clone());
            }
            Err(msg) => e.add("postcode", msg),
        }
    } else if let Some(code) = area {
        match AreaCode::parse(code)
            .map_err(|e| e.to_string())
            .and_then(|a| {
                reference
                    .areas
                    .get(a.as_str())
                    .ok_or_else(|| format!("there is no area {a}"))
            }) {
            Ok(a) => {
                origin.point = NlPoint::new(a.label.0, a.label.1).ok();
                origin.resident = resident(&a.municipality_code, Some(a.code.clone()));
            }
            Err(msg) => e.add("area", msg),
        }
    } else if lat.is_some() || lon.is_some() {
        match (lat, lon) {
            (Some(lat), Some(lon)) => match NlPoint::new(lat, lon) {
                Ok(p) => {
                    origin.point = Some(p);
                    match reference.place_point(lat, lon) {
                        Some(pl) => {
                            origin.resident =
                                resident(&pl.municipality.code, pl.wijk.map(|w| w.code.clone()))
                        }
                        None => e.add(
                            "lat",
                            format!("({lat}, {lon}) lies in no Dutch municipality"),
                        ),
                    }
                }
                Err(err) => e.add("lat", err.to_string()),
            },
            _ => e.add("lat", "give both lat and lon"),
        }
    }
    if let Some(m) = municipality {
        match reference.known_municipality(m) {
            Ok(m) => {
                // The resident's own municipality decides; an area elsewhere does not apply.
                let area = origin
                    .resident
                    .as_ref()
                    .and_then(|r| r.area.clone())
                    .filter(|a| {
                        reference
                            .areas
                            .get(a)
                            .is_some_and(|x| x.municipality_code == m.code)
                    });
                origin.resident = resident(&m.code, area);
            }
            Err(msg) => e.add("municipality", msg),
        }
    }
    origin
}

/// Search filters; all combine with AND.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ProvisionSearch {
    /// Words to find in name, description, organisation and category names; case and accents
    /// do not matter, plurals match singulars, and the last word may be the start of a word.
    #[param(example = "opvoe")]
    pub q: Option<String>,
    /// Category code; repeat for several. Categories below it are included.
    #[serde(default, skip_deserializing)]
    #[param(value_type = Option<Vec<String>>, style = Form, explode, example = json!(["opvoedondersteuning"]))]
    pub category: Option<Vec<String>>,
    /// `open` or `indicated`.
    pub access: Option<String>,
    /// `active` (default) or `inactive`.
    pub status: Option<String>,
    /// The child's age in years: only provisions whose age range includes it.
    #[param(minimum = 0, maximum = 27)]
    pub age: Option<i64>,
    /// Origin by four-digit postcode.
    #[param(example = "4611")]
    pub postcode: Option<String>,
    /// Origin by wijk or buurt code (its label point).
    #[param(example = "WK074800")]
    pub area: Option<String>,
    /// Origin latitude (WGS84), with `lon`.
    pub lat: Option<f64>,
    /// Origin longitude (WGS84), with `lat`.
    pub lon: Option<f64>,
    /// Search radius in metres around the origin; default the category's reach, else 10 km;
    /// at most 100 km.
    #[param(minimum = 1, maximum = 100000)]
    pub radius: Option<f64>,
    /// The resident's municipality (woonplaats); derived from the origin when left out. Only
    /// provisions whose service area covers it are returned.
    #[param(example = "GM0748")]
    pub municipality: Option<String>,
    /// Only provisions that serve someone in this region.
    #[param(example = "JZ36")]
    pub region: Option<String>,
    /// Only provisions of this organisation.
    pub organisation: Option<uuid::Uuid>,
    /// Only provisions open at this moment (Dutch local time applies).
    pub open_at: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// Only provisions open now.
    pub open_now: Option<bool>,
    /// ISO 639-1 language the provision works in.
    #[param(example = "ar")]
    pub language: Option<String>,
    /// Only free (or only paid) provisions.
    pub free_of_charge: Option<bool>,
    /// `summary` (default): each item with the members of a `ProvisionSummary`; `full`: every
    /// member of a `Provision`.
    #[param(value_type = Option<View>)]
    pub view: Option<String>,
}

/// How much of each provision a list of search results carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub enum View {
    /// What a list shows: name, categories, ages, contact, locations, `verifiedAt`, `source`,
    /// link.
    #[default]
    Summary,
    /// The whole provision, as `GET /provisions/{id}` answers it.
    Full,
}

impl View {
    /// Reads the `view` parameter; every problem is recorded in `e`.
    pub fn parse(e: &mut FieldErrors, view: Option<&str>) -> View {
        match view {
            None | Some("summary") => View::Summary,
            Some("full") => View::Full,
            Some(other) => {
                e.add(
                    "view",
                    format!("view '{other}' is not known; give summary or full"),
                );
                View::Summary
            }
        }
    }
}

/// A provision as found by a search (`view=full`), with its distance to the origin.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionHit {
    /// Metres from the origin to the nearest location; null without an origin or a location.
    pub distance_m: Option<f64>,
    #[serde(flatten)]
    pub provision: Provision,
}

/// A provision's summary as found by a search (`view=summary`, the default), with its distance
/// to the origin.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProvisionSummaryHit {
    /// Metres from the origin to the nearest location; null without an origin or a location.
    pub distance_m: Option<f64>,
    #[serde(flatten)]
    pub provision: ProvisionSummary,
}

/// One search result: a [`ProvisionSummaryHit`], or with `view=full` a [`ProvisionHit`]. Only
/// for the OpenAPI document: hits are written as the index stores them ([`with_hits`]), so it
/// is never serialized.
#[derive(Debug)]
pub enum SearchItem {}

impl Serialize for SearchItem {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        match *self {}
    }
}

impl utoipa::PartialSchema for SearchItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{AnyOfBuilder, Ref};
        AnyOfBuilder::new()
            .item(Ref::from_schema_name("ProvisionSummaryHit"))
            .item(Ref::from_schema_name("ProvisionHit"))
            .description(Some(
                "A provision found: its summary members, or every member with `view=full`",
            ))
            .into()
    }
}

impl ToSchema for SearchItem {
    fn schemas(
        schemas: &mut Vec<(
            String,
            utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>,
        )>,
    ) {
        use utoipa::PartialSchema;
        for (name, schema) in [
            (
                "ProvisionSummaryHit",
                <ProvisionSummaryHit as PartialSchema>::schema(),
            ),
            ("ProvisionHit", <ProvisionHit as PartialSchema>::schema()),
        ] {
            schemas.push((name.to_owned(), schema));
        }
        ProvisionSummaryHit::schemas(schemas);
        ProvisionHit::schemas(schemas);
    }
}

/// A page of search results.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvisionSearchList {
    /// The provisions of this page, in order.
    pub items: Vec<SearchItem>,
    #[serde(flatten)]
    pub page: SearchPage,
}

/// Everything of a page of search results but the items.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SearchPage {
    pub total: i64,
    pub page: i64,
    pub page_size: i64,
    /// The resident's place, when an origin or municipality was given.
    pub place: Option<Place>,
    /// The radius used around the origin, in metres.
    pub radius_m: Option<f64>,
    #[serde(rename = "_links")]
    pub links: PageLinks,
}

/// The repeated values of a query key, also split on commas.
pub fn repeated(req: &HttpRequest, key: &str) -> Option<Vec<String>> {
    let values: Vec<String> = form_urlencoded::parse(req.query_string().as_bytes())
        .filter(|(k, _)| k == key)
        .flat_map(|(_, v)| {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    (!values.is_empty()).then_some(values)
}

/// Checks the categories and expands them to their descendants.
pub fn expand_categories(
    reference: &Reference,
    e: &mut FieldErrors,
    codes: &[String],
) -> Vec<String> {
    let mut out = Vec::new();
    for (i, c) in codes.iter().enumerate() {
        if let Some((code, _)) = e.check(format!("category[{i}]"), category(reference, c)) {
            out.extend_from_slice(reference.category_with_descendants(code.as_str()));
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The radius for a search: asked, else the largest reach of the categories, else 10 km.
pub fn default_radius(reference: &Reference, categories: Option<&[String]>) -> f64 {
    categories
        .and_then(|cs| {
            cs.iter()
                .filter_map(|c| reference.categories.get(c)?.default_reach_m)
                .max()
        })
        .map_or(DEFAULT_RADIUS_M, f64::from)
}

impl ProvisionSearch {
    fn query(
        &self,
        req: &HttpRequest,
        reference: &Reference,
    ) -> Result<(SearchQuery, Origin, View), ApiError> {
        let mut e = FieldErrors::new();
        let view = View::parse(&mut e, self.view.as_deref());
        let categories =
            repeated(req, "category").map(|c| expand_categories(reference, &mut e, &c));
        let origin = resolve_origin(
            reference,
            &mut e,
            self.postcode.as_deref(),
            self.area.as_deref(),
            self.lat,
            self.lon,
            self.municipality.as_deref(),
        );
        let access = self
            .access
            .as_deref()
            .and_then(|a| e.check("access", Access::parse(a)));
        let status = e.check(
            "status",
            Status::parse(self.status.as_deref().unwrap_or("active")),
        );
        let age = self.age.and_then(|a| {
            let ok = u8::try_from(a)
                .ok()
                .filter(|a| *a <= crate::domain::age::MAX_AGE);
            if ok.is_none() {
                e.add("age", "age must be between 0 and 27");
            }
            ok
        });
        if let Some(r) = self.radius
            && !(r.is_finite() && r > 0.0 && r <= MAX_RADIUS_M)
        {
            e.add(
                "radius",
                format!("radius must be more than 0 and at most {MAX_RADIUS_M} metres"),
            );
        }
        if self.radius.is_some() && origin.point.is_none() {
            e.add(
                "radius",
                "a radius needs an origin: postcode, area, or lat and lon",
            );
        }
        let region = self
            .region
            .as_deref()
            .and_then(|r| e.check("region", reference.known_region(r)))
            .map(|r| r.code.clone());
        if let Some(l) = &self.language
            && !(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()))
        {
            e.add(
                "language",
                "give an ISO 639-1 code (two lower-case letters, e.g. nl)",
            );
        }
        let open_at = match (self.open_at, self.open_now) {
            (Some(_), Some(true)) => {
                e.add("openNow", "give openAt or openNow, not both");
                None
            }
            (Some(t), _) => Some(amsterdam_weekday_minute(t.with_timezone(&chrono::Utc))),
            (None, Some(true)) => Some(amsterdam_weekday_minute(chrono::Utc::now())),
            (None, _) => None,
        };
        let radius = self
            .radius
            .unwrap_or_else(|| default_radius(reference, categories.as_deref()));
        e.finish(|| {
            (
                SearchQuery {
                    origin: origin.point,
                    reach: Some(Reach::Radius(radius)),
                    resident: origin.resident.clone(),
                    categories,
                    access: access.map(|a| a.as_str().to_owned()),
                    active: status.map(|s| s == Status::Active),
                    age,
                    text: self.q.clone(),
                    open_at,
                    language: self.language.clone(),
                    free_of_charge: self.free_of_charge,
                    organisation: self.organisation.map(|o| o.to_string()),
                    region,
                },
                origin,
                view,
            )
        })
        .map_err(ApiError::Invalid)
    }
}

/// Answers `object` with one more member, `name`, holding the hits as [`SearchItem`]s. The
/// index keeps each provision's JSON; it is written as it is (a summary: up to its first
/// non-summary member), with the distance put in front, instead of being parsed again (that
/// would cost more than the search itself).
pub fn with_hits(
    object: &impl Serialize,
    name: &str,
    index: &ProvisionIndex,
    hits: &[Hit],
    view: View,
) -> Result<HttpResponse, ApiError> {
    let rest_len = |hit: &Hit| match view {
        View::Full => index.details_len(hit.entry),
        View::Summary => 1,
    };
    // Room for the items and their distances, so the body is written without growing.
    const ENVELOPE: usize = 1024;
    const DISTANCE: usize = r#"{"distanceM":100000,,"#.len();
    let items: usize = hits
        .iter()
        .map(|h| index.summary_json(h.entry).len() + rest_len(h) + DISTANCE)
        .sum();
    let mut body = Vec::with_capacity(ENVELOPE + items);
    serde_json::to_writer(&mut body, object).map_err(ApiError::internal)?;
    if body.pop() != Some(b'}') {
        return Err(ApiError::internal(std::io::Error::other(
            "the response is not a JSON object",
        )));
    }
    if body.len() > 1 {
        body.push(b',');
    }
    serde_json::to_writer(&mut body, name).map_err(ApiError::internal)?;
    body.extend_from_slice(b":[");
    for (n, hit) in hits.iter().enumerate() {
        if n > 0 {
            body.push(b',');
        }
        match hit.distance_m {
            // Whole metres; writing into a Vec cannot fail.
            Some(d) => {
                let _ = write!(body, "{{\"distanceM\":{},", d.round() as i64);
            }
            None => body.extend_from_slice(b"{\"distanceM\":null,"),
        }
        // A provision's JSON is an object with members: `{` is replaced by the distance; a
        // summary is the start of that object, without its closing brace.
        body.extend_from_slice(&index.summary_json(hit.entry).as_bytes()[1..]);
        match view {
            View::Summary => body.push(b'}'),
            View::Full => index
                .write_details(hit.entry, &mut body)
                .map_err(ApiError::internal)?,
        }
    }
    body.extend_from_slice(b"]}");
    Ok(HttpResponse::Ok()
        .content_type(mime::APPLICATION_JSON)
        .body(body))
}

/// Search provisions: near a postcode, area or point, for a resident, by need, age and more.
#[utoipa::path(get, path = "/provisions", tag = "provisions", operation_id = "list_provisions",
    params(ProvisionSearch, PageParams),
    responses((status = 200, description = "Matching provisions: located ones by distance, then those without a location (online, telephone), each by name", body = ProvisionSearchList)))]
pub async fn list_provisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ProvisionSearch>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let reference = &state.reference;
    let found = query.query(&req, reference);
    let page = page.into_inner().parse();
    let ((search, origin, view), page) = (found?, page?);
    let index = state.read_model.index();
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let size = usize::try_from(page.page_size).unwrap_or(0);
    let found = index.search_window(&search, offset..offset.saturating_add(size));
    let total = found.total as i64;
    let page_of_hits = SearchPage {
        total,
        page: page.page,
        page_size: page.page_size,
        place: origin.place(reference),
        radius_m: origin.point.and(match search.reach {
            Some(Reach::Radius(r)) => Some(r),
            _ => None,
        }),
        links: links(&req, page, total),
    };
    with_hits(&page_of_hits, "items", &index, &found.hits, view)
}
