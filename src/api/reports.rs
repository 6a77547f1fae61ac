//! Reports for editors over the registry: provisions whose data has not been checked for a
//! while (`verifiedAt`), so a municipality keeps its social map fresh.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Authenticated;
use super::organisations::parse_time;
use super::paging::{PageParams, SelfLinks, list_type};
use crate::db;
use crate::domain::FieldErrors;
use crate::domain::codes::MunicipalityCode;
use crate::error::ApiError;

/// The longest look-back: ten years.
const MAX_DAYS: i64 = 3_650;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct StaleQuery {
    /// The municipality: provisions located in it or serving it (or one of its wijken) by name.
    #[param(example = "GM0748")]
    pub municipality: String,
    /// List what was not verified in this many days (never verified counts as oldest).
    #[param(minimum = 0, maximum = 3650, default = 365, example = 180)]
    pub older_than_days: Option<i64>,
}

/// A provision that has not been verified for a while.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaleProvision {
    pub id: uuid::Uuid,
    pub name: String,
    /// `active` or `inactive`.
    pub status: String,
    pub organisation_id: uuid::Uuid,
    pub organisation_name: String,
    /// When the data was last confirmed; `null` when never.
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    /// Whole days since then; `null` when never verified.
    pub days_since_verified: Option<i64>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

list_type!(
    /// A page of provisions to check, never verified first, then the oldest verification.
    StaleList,
    StaleProvision
);

fn wire(row: db::reports::StaleRow, now: chrono::DateTime<chrono::Utc>) -> StaleProvision {
    let verified_at = row.verified_at.as_deref().map(parse_time);
    StaleProvision {
        id: uuid::Uuid::parse_str(&row.id).unwrap_or_default(),
        links: SelfLinks::to(format!("/api/v1/provisions/{}", row.id)),
        name: row.name,
        status: row.status,
        organisation_id: uuid::Uuid::parse_str(&row.organisation_id).unwrap_or_default(),
        organisation_name: row.organisation_name,
        days_since_verified: verified_at.map(|v| (now - v).num_days()),
        verified_at,
        updated_at: parse_time(&row.updated_at),
    }
}

/// Provisions of a municipality not verified in `olderThanDays` days, oldest first (admins,
/// the municipality's editors, region admins of its region). Verify one with
/// `POST /provisions/{id}/verifications`.
#[utoipa::path(get, path = "/reports/stale", tag = "provisions", operation_id = "stale_provisions",
    params(StaleQuery, PageParams), security(("bearer" = [])),
    responses(
        (status = 200, description = "Provisions to check, never verified first, then the oldest", body = StaleList),
        (status = 401, description = "No valid bearer token"),
        (status = 403, description = "The municipality is outside the token's scope")))]
pub async fn stale_provisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    query: web::Query<StaleQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let mut e = FieldErrors::new();
    let municipality = e
        .check("municipality", MunicipalityCode::parse(&query.municipality))
        .and_then(|m| {
            e.check(
                "municipality",
                state.reference.known_municipality(m.as_str()),
            )
        });
    let days = query.older_than_days.unwrap_or(365);
    if !(0..=MAX_DAYS).contains(&days) {
        e.add(
            "olderThanDays",
            format!("olderThanDays must be between 0 and {MAX_DAYS}"),
        );
    }
    let page = match page.into_inner().parse() {
        Ok(p) => Some(p),
        Err(ApiError::Invalid(errors)) => {
            for f in errors {
                e.add(f.field, f.message);
            }
            None
        }
        Err(other) => return Err(other),
    };
    e.finish(|| ()).map_err(ApiError::Invalid)?;
    let (Some(m), Some(page)) = (municipality, page) else {
        return Err(ApiError::invalid_field("municipality", "unknown"));
    };
    principal
        .0
        .may_read_municipal_reports(&m.code, &m.region_code)
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let now = chrono::Utc::now();
    let cutoff =
        (now - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
    let code = m.code.clone();
    let areas = state.reference.areas_of(&m.code).to_vec();
    let found = state
        .db(move |conn| {
            Ok(db::reports::stale_provisions(
                conn, &code, &areas, &cutoff, page,
            )?)
        })
        .await?;
    let items = found.items.into_iter().map(|r| wire(r, now)).collect();
    Ok(HttpResponse::Ok().json(StaleList::new(&req, items, found.total, page)))
}
