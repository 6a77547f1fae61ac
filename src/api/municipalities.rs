//! Municipalities (gemeenten) with their CBS figures and, on request, their polygon.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::paging::{PageParams, SelfLinks, list_type};
use crate::db::reference::municipality_geometry;
use crate::domain::codes::MunicipalityCode;
use crate::error::ApiError;
use crate::index::{Municipality as MunicipalityData, Reference};

/// A WGS84 point.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct LatLon {
    #[schema(example = 51.4949)]
    pub lat: f64,
    #[schema(example = 4.2888)]
    pub lon: f64,
}

/// A municipality as in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MunicipalitySummary {
    /// CBS code.
    #[schema(example = "GM0748")]
    pub code: String,
    #[schema(example = "Bergen op Zoom")]
    pub name: String,
    pub province: String,
    /// CBS code of its youth-care region.
    #[schema(example = "JZ36")]
    pub region_code: String,
    /// Inhabitants on 1 January 2024 (CBS).
    pub population: i64,
    /// Inhabitants aged 0-14, estimated from the CBS percentage.
    #[serde(rename = "population0To14")]
    pub population_0_to_14: i64,
    /// A point guaranteed inside the municipality, for labels.
    pub label_point: LatLon,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// A municipality with its region and, when asked, its polygon.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Municipality {
    #[serde(flatten)]
    pub summary: MunicipalitySummary,
    #[schema(example = "West Brabant West")]
    pub region_name: String,
    /// `[minLon, minLat, maxLon, maxLat]`.
    pub bbox: Vec<f64>,
    /// Number of wijken (water wijken included).
    pub area_count: usize,
    /// GeoJSON (Multi)Polygon in WGS84, only with `geometry=true`. Generalised to about 100 m.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub geometry: Option<serde_json::Value>,
}

list_type!(
    /// A page of municipalities.
    MunicipalityList,
    MunicipalitySummary
);

pub fn summary(_reference: &Reference, m: &MunicipalityData) -> MunicipalitySummary {
    MunicipalitySummary {
        code: m.code.clone(),
        name: m.name.clone(),
        province: m.province.clone(),
        region_code: m.region_code.clone(),
        population: m.population,
        population_0_to_14: m.population_0_14,
        label_point: LatLon {
            lat: m.label.0,
            lon: m.label.1,
        },
        links: SelfLinks::to(format!("/api/v1/municipalities/{}", m.code)),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct MunicipalityQuery {
    /// Only the members of this youth-care region.
    #[param(example = "JZ36")]
    pub region: Option<String>,
}

/// List municipalities, by name.
#[utoipa::path(get, path = "/municipalities", tag = "reference data", operation_id = "list_municipalities",
    params(MunicipalityQuery, PageParams),
    responses((status = 200, description = "The municipalities, by name", body = MunicipalityList)))]
pub async fn list_municipalities(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<MunicipalityQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.into_inner().parse()?;
    let reference = &state.reference;
    let region = match &query.region {
        Some(r) => Some(
            reference
                .known_region(r)
                .map_err(|why| ApiError::invalid_field("region", why))?,
        ),
        None => None,
    };
    let mut all: Vec<&MunicipalityData> = match region {
        Some(r) => r
            .members
            .iter()
            .filter_map(|m| reference.municipalities.get(m))
            .collect(),
        None => reference.municipalities.values().collect(),
    };
    all.sort_by(|a, b| a.name.cmp(&b.name));
    let all: Vec<MunicipalitySummary> = all.into_iter().map(|m| summary(reference, m)).collect();
    let total = all.len() as i64;
    let items = super::paging::slice(&all, page);
    Ok(HttpResponse::Ok().json(MunicipalityList::new(&req, items, total, page)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct GeometryQuery {
    /// Include the polygon (GeoJSON).
    #[param(default = false)]
    pub geometry: Option<bool>,
}

/// One municipality.
#[utoipa::path(get, path = "/municipalities/{code}", tag = "reference data", operation_id = "find_municipality",
    params(("code" = String, Path, description = "CBS municipality code", example = "GM0748"), GeometryQuery),
    responses((status = 200, description = "The municipality", body = Municipality)))]
pub async fn find_municipality(
    state: web::Data<AppState>,
    code: web::Path<String>,
    query: web::Query<GeometryQuery>,
) -> Result<HttpResponse, ApiError> {
    let code = MunicipalityCode::parse(&code)
        .map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let reference = state.reference.clone();
    let m = reference
        .municipalities
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no municipality {code}")))?;
    let geometry = if query.geometry.unwrap_or(false) {
        let code = m.code.clone();
        let text = state
            .db(move |conn| Ok(municipality_geometry(conn, &code)?))
            .await?;
        Some(serde_json::from_str(&text).map_err(ApiError::internal)?)
    } else {
        None
    };
    Ok(HttpResponse::Ok().json(Municipality {
        summary: summary(&reference, m),
        region_name: reference
            .region_of(&m.code)
            .map(|r| r.name.clone())
            .unwrap_or_default(),
        bbox: m.bbox.to_vec(),
        area_count: reference.areas_of(&m.code).len(),
        geometry,
    }))
}
