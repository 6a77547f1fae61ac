//! Wijken and buurten (CBS areas), and the lookup of a postcode or point to its area.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::municipalities::LatLon;
use super::paging::{PageParams, SelfLinks, list_type};
use crate::db::reference::area_geometry;
use crate::domain::FieldErrors;
use crate::domain::codes::{AreaCode, AreaLevel, MunicipalityCode, Pc4};
use crate::domain::location::NlPoint;
use crate::error::ApiError;
use crate::index::Area as AreaData;
use crate::index::reference::Placement;

/// A wijk or buurt as in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AreaSummary {
    /// CBS code.
    #[schema(example = "WK074801")]
    pub code: String,
    /// `wijk` or `buurt`.
    #[schema(example = "wijk")]
    pub level: String,
    pub name: String,
    #[schema(example = "GM0748")]
    pub municipality_code: String,
    /// The wijk a buurt belongs to.
    pub parent_code: Option<String>,
    /// A "Groot water" area without inhabitants.
    pub is_water: bool,
    /// Inhabitants on 1 January 2024 (CBS, rounded to 5).
    pub population: i64,
    /// Inhabitants aged 0-14, estimated from the CBS percentage.
    #[serde(rename = "population0To14")]
    pub population_0_to_14: i64,
    pub label_point: LatLon,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// A wijk or buurt with, when asked, its polygon.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Area {
    #[serde(flatten)]
    pub summary: AreaSummary,
    pub municipality_name: String,
    /// `[minLon, minLat, maxLon, maxLat]`.
    pub bbox: Vec<f64>,
    /// GeoJSON (Multi)Polygon in WGS84, only with `geometry=true`. Generalised to about 50 m.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
}

list_type!(
    /// A page of areas.
    AreaList,
    AreaSummary
);

fn summary(a: &AreaData) -> AreaSummary {
    AreaSummary {
        code: a.code.clone(),
        level: a.level.clone(),
        name: a.name.clone(),
        municipality_code: a.municipality_code.clone(),
        parent_code: a.parent_code.clone(),
        is_water: a.is_water,
        population: a.population,
        population_0_to_14: a.population_0_14,
        label_point: LatLon {
            lat: a.label.0,
            lon: a.label.1,
        },
        links: SelfLinks::to(format!("/api/v1/areas/{}", a.code)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AreaQuery {
    /// Only the areas of this municipality.
    #[param(example = "GM0748")]
    pub municipality: Option<String>,
    /// Only wijken or only buurten.
    #[param(example = "wijk")]
    pub level: Option<String>,
}

/// List wijken and buurten, by code.
#[utoipa::path(get, path = "/areas", tag = "reference data", operation_id = "list_areas",
    params(AreaQuery, PageParams),
    responses((status = 200, description = "The areas, by code", body = AreaList)))]
pub async fn list_areas(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AreaQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut errors = FieldErrors::new();
    let municipality = query
        .municipality
        .as_deref()
        .and_then(|m| errors.check("municipality", MunicipalityCode::parse(m)));
    let level = query
        .level
        .as_deref()
        .and_then(|l| errors.check("level", AreaLevel::parse(l)));
    let page = page.into_inner().parse();
    errors.finish(|| ())?;
    let page = page?;
    let reference = &state.reference;
    let areas: Vec<AreaSummary> = match &municipality {
        Some(m) => {
            if !reference.municipalities.contains_key(m.as_str()) {
                return Err(ApiError::invalid_field(
                    "municipality",
                    format!("there is no municipality {m}"),
                ));
            }
            reference
                .areas_of(m.as_str())
                .iter()
                .filter_map(|c| reference.areas.get(c))
                .filter(|a| level.is_none_or(|l| a.level == l.as_str()))
                .map(summary)
                .collect()
        }
        None => reference
            .areas
            .values()
            .filter(|a| level.is_none_or(|l| a.level == l.as_str()))
            .map(summary)
            .collect(),
    };
    let total = areas.len() as i64;
    let items = super::paging::slice(&areas, page);
    Ok(HttpResponse::Ok().json(AreaList::new(&req, items, total, page)))
}

/// One wijk or buurt.
#[utoipa::path(get, path = "/areas/{code}", tag = "reference data", operation_id = "find_area",
    params(("code" = String, Path, description = "CBS wijk or buurt code", example = "WK074801"),
        super::municipalities::GeometryQuery),
    responses((status = 200, description = "The area", body = Area)))]
pub async fn find_area(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<super::municipalities::GeometryQuery>,
) -> Result<HttpResponse, ApiError> {
    let code =
        AreaCode::parse(&code).map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let reference = state.reference.clone();
    let area = reference
        .areas
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no area {code}")))?;
    let geometry = if query.geometry.unwrap_or(false) {
        let code = area.code.clone();
        let text = state
            .db(move |conn| Ok(area_geometry(conn, &code)?))
            .await?;
        Some(serde_json::from_str(&text).map_err(ApiError::internal)?)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Area {
        summary: summary(area),
        municipality_name: reference
            .municipalities
            .get(&area.municipality_code)
            .map(|m| m.name.clone())
            .unwrap_or_default(),
        bbox: area.bbox.to_vec(),
        geometry,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct LookupQuery {
    /// Four-digit postcode (PC4); give this or `lat` and `lon`.
    #[param(example = "4611")]
    pub postcode: Option<String>,
    /// Latitude (WGS84), with `lon`.
    #[param(example = 51.4949)]
    pub lat: Option<f64>,
    /// Longitude (WGS84), with `lat`.
    #[param(example = 4.2888)]
    pub lon: Option<f64>,
}

/// A code with its name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Named {
    pub code: String,
    pub name: String,
}

/// Where a postcode or point lies.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AreaLookup {
    /// The point that was placed: the given one, or the postcode's centroid.
    pub point: LatLon,
    /// The postcode asked for, if any.
    pub postcode: Option<String>,
    /// The wijk; absent only where the generalised polygons leave a gap.
    pub wijk: Option<Named>,
    pub municipality: Named,
    pub region: Named,
}

/// Find the wijk, municipality and region of a postcode or a point.
#[utoipa::path(get, path = "/areas/lookup", tag = "reference data", operation_id = "lookup_area",
    params(LookupQuery),
    responses((status = 200, description = "Where it lies", body = AreaLookup),
        (status = 404, description = "The postcode is unknown or has no reliable location, or the point lies in no municipality")))]
pub async fn lookup_area(
    state: web::Data<AppState>,
    query: web::Query<LookupQuery>,
) -> Result<HttpResponse, ApiError> {
    let reference = &state.reference;
    let (point, postcode, placement) = match (&query.postcode, query.lat, query.lon) {
        (Some(pc), None, None) => {
            let pc4 =
                Pc4::parse(pc).map_err(|e| ApiError::invalid_field("postcode", e.to_string()))?;
            let known = reference
                .postcodes
                .get(pc4.as_str())
                .ok_or_else(|| ApiError::NotFound(format!("postcode {pc4} is not known")))?;
            let placement = reference.place_postcode(known).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "postcode {pc4} has no reliable location ({}); look up by address point instead",
                    known.unreliable_reason.as_deref().unwrap_or("no municipality")
                ))
            })?;
            ((known.lat, known.lon), Some(pc4.to_string()), placement)
        }
        (None, Some(lat), Some(lon)) => {
            let p = NlPoint::new(lat, lon)
                .map_err(|e| ApiError::invalid_field("lat", e.to_string()))?;
            let placement = reference.place_point(p.lat(), p.lon()).ok_or_else(|| {
                ApiError::NotFound(format!(
                    "({lat}, {lon}) lies in no Dutch municipality (sea or abroad)"
                ))
            })?;
            ((lat, lon), None, placement)
        }
        _ => {
            return Err(ApiError::BadRequest(
                "give either postcode, or both lat and lon".into(),
            ));
        }
    };
    Ok(HttpResponse::Ok().json(lookup_body(point, postcode, &placement)))
}

fn lookup_body(point: (f64, f64), postcode: Option<String>, p: &Placement<'_>) -> AreaLookup {
    AreaLookup {
        point: LatLon {
            lat: point.0,
            lon: point.1,
        },
        postcode,
        wijk: p.wijk.map(|w| Named {
            code: w.code.clone(),
            name: w.name.clone(),
        }),
        municipality: Named {
            code: p.municipality.code.clone(),
            name: p.municipality.name.clone(),
        },
        region: Named {
            code: p.region.code.clone(),
            name: p.region.name.clone(),
        },
    }
}
