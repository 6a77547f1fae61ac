//! Liveness and readiness for orchestrators and load balancers.

use actix_web::{HttpResponse, web};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use crate::error::ApiError;

/// Health of this instance.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// `up` when the check passed.
    pub status: String,
}

/// The process is running and answers HTTP.
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "up".into(),
    })
}

/// The database answers and the reference data is loaded: this instance can serve requests.
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .db(|conn| {
            diesel::sql_query("SELECT 1").execute(conn)?;
            Ok(())
        })
        .await?;
    if state.reference.municipalities.is_empty() {
        return Err(ApiError::Unavailable(
            "the reference data is not loaded".into(),
        ));
    }
    Ok(HttpResponse::Ok().json(Health {
        status: "up".into(),
    }))
}
