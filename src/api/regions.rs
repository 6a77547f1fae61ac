//! Youth-care regions (jeugdzorgregio's) and their member municipalities.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::municipalities::MunicipalitySummary;
use super::paging::{PageParams, SelfLinks, list_type};
use crate::domain::codes::RegionCode;
use crate::error::ApiError;
use crate::index::{Reference, Region as RegionData};

/// A youth-care region as in a list.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegionSummary {
    /// CBS code, `JZ01`…`JZ43`.
    #[schema(example = "JZ36")]
    pub code: String,
    /// CBS name.
    #[schema(example = "West Brabant West")]
    pub name: String,
    /// The name municipalities use for it.
    #[schema(example = "West-Brabant-West")]
    pub short_name: String,
    pub municipality_count: usize,
    /// Inhabitants on 1 January 2024 (CBS).
    pub population: i64,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

/// A youth-care region with its member municipalities.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Region {
    #[serde(flatten)]
    pub summary: RegionSummary,
    pub municipalities: Vec<MunicipalitySummary>,
}

list_type!(
    /// A page of regions.
    RegionList,
    RegionSummary
);

pub fn summary(reference: &Reference, r: &RegionData) -> RegionSummary {
    RegionSummary {
        code: r.code.clone(),
        name: r.name.clone(),
        short_name: r.short_name.clone(),
        municipality_count: r.members.len(),
        population: r
            .members
            .iter()
            .filter_map(|m| reference.municipalities.get(m))
            .map(|m| m.population)
            .sum(),
        links: SelfLinks::to(format!("/api/v1/regions/{}", r.code)),
    }
}

/// List the 42 youth-care regions.
#[utoipa::path(get, path = "/regions", tag = "reference data", operation_id = "list_regions",
    params(PageParams),
    responses((status = 200, description = "The regions, by code", body = RegionList)))]
pub async fn list_regions(
    req: HttpRequest,
    state: web::Data<AppState>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.into_inner().parse()?;
    let reference = &state.reference;
    let all: Vec<RegionSummary> = reference
        .regions
        .values()
        .map(|r| summary(reference, r))
        .collect();
    let total = all.len() as i64;
    let items = super::paging::slice(&all, page);
    Ok(HttpResponse::Ok().json(RegionList::new(&req, items, total, page)))
}

/// One region with its member municipalities.
#[utoipa::path(get, path = "/regions/{code}", tag = "reference data", operation_id = "find_region",
    params(("code" = String, Path, description = "CBS region code", example = "JZ36")),
    responses((status = 200, description = "The region", body = Region)))]
pub async fn find_region(
    state: web::Data<AppState>,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let code =
        RegionCode::parse(&code).map_err(|e| ApiError::invalid_field("code", e.to_string()))?;
    let reference = &state.reference;
    let region = reference
        .regions
        .get(code.as_str())
        .ok_or_else(|| ApiError::NotFound(format!("there is no region {code}")))?;
    let municipalities = region
        .members
        .iter()
        .filter_map(|m| reference.municipalities.get(m))
        .map(|m| super::municipalities::summary(reference, m))
        .collect();
    Ok(HttpResponse::Ok().json(Region {
        summary: summary(reference, region),
        municipalities,
    }))
}
