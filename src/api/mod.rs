//! The HTTP interface: actix-web handlers per resource, the OpenAPI document, and the pieces
//! every handler shares (state, auth, paging, ETags, problem+json for framework errors).

pub mod alternatives;
pub mod areas;
pub mod auth;
pub mod categories;
pub mod contracts;
pub mod coverage;
mod coverage_map;
pub mod docs;
pub mod etag;
pub mod exports;
pub mod health;
mod history;
pub mod hsds;
mod hygiene;
pub mod imports;
pub mod municipalities;
pub mod organisations;
pub mod paging;
pub mod provisions;
pub mod read_model;
pub mod referrals;
pub mod regions;
pub mod reports;
pub mod search;
mod validate;

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpRequest, HttpResponse, web};

use crate::db::{DbConnection, Pool, PooledConnection};
use crate::error::ApiError;
use crate::index::Reference;

/// The version in the `API-Version` header and the OpenAPI document (semver).
pub const API_VERSION: &str = "1.0.0";

/// What every request can reach.
#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub reference: Arc<Reference>,
    pub auth: Arc<auth::TokenVerifier>,
    pub read_model: Arc<read_model::ReadModel>,
    pub max_body_bytes: usize,
    /// Browser origins that may write (`--cors-origin`); reads are open to any origin.
    pub cors_origins: Arc<[String]>,
}

impl AppState {
    /// Runs blocking database work on the thread pool with a pooled connection.
    pub async fn db<T, F>(&self, work: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn: PooledConnection = pool.get()?;
            work(&mut conn)
        })
        .await?
    }

    /// After a write: brings this instance's read model (search index, contracts) up to date
    /// before answering, so a client finds what it just wrote. A failure is logged; the poller retries.
    pub async fn after_write(&self) {
        if let Err(e) = self.read_model.refresh(&self.pool, &self.reference).await {
            tracing::warn!(error = %e, "search index not refreshed after a write");
        }
    }
}

/// JSON bodies: `application/json` or any `+json` type (merge patch); size-limited.
fn json_config(limit: usize) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(limit)
        .content_type(|mime| mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        .content_type_required(true)
        .error_handler(|err, _req| {
            use actix_web::error::JsonPayloadError as E;
            let api = match &err {
                E::OverflowKnownLength { length, limit } => ApiError::PayloadTooLarge(format!(
                    "the body is {length} bytes; at most {limit} are accepted"
                )),
                E::Overflow { limit } => {
                    ApiError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
                }
                E::ContentType => ApiError::UnsupportedMediaType(
                    "send the body as application/json (or application/merge-patch+json for PATCH)"
                        .into(),
                ),
                E::Deserialize(e) => ApiError::BadRequest(format!(
                    "the body is not valid JSON for this resource: {e}"
                )),
                other => ApiError::BadRequest(format!("the body could not be read: {other}")),
            };
            api.into()
        })
}

fn query_config() -> web::QueryConfig {
    web::QueryConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(format!("the query parameters are not valid: {err}")).into()
    })
}

fn path_config() -> web::PathConfig {
    web::PathConfig::default().error_handler(|err, _req| {
        ApiError::BadRequest(format!("the path is not valid: {err}")).into()
    })
}

async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!(
        "there is no resource at {} (paths have no trailing slash; see /api/v1/docs/)",
        req.path()
    )))
}

async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(format!(
        "{} is not supported on {}",
        req.method(),
        req.path()
    )))
}

/// Fills in `instance` (the request path) on every problem+json body.
async fn problem_instance(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let path = req.path().to_owned();
    let res = next.call(req).await?;
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes() == b"application/problem+json");
    if !is_problem {
        return Ok(res.map_into_boxed_body());
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let body = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert("instance".into(), serde_json::Value::String(path));
            serde_json::to_vec(&problem).unwrap_or_else(|_| bytes.to_vec())
        }
        _ => bytes.to_vec(),
    };
    let res = head.set_body(body).map_into_boxed_body();
    Ok(ServiceResponse::new(req, res))
}

/// One span per request with its id (taken from a sane `X-Request-Id`, else new), a log line
/// with method, route, status and duration, and the id in the response. Bodies, query values
/// and tokens are never logged.
async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use tracing::Instrument;
    let request_id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 64
                && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
    let span = tracing::info_span!("request", request.id = %request_id);
    let method = req.method().clone();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = std::time::Instant::now();
    let mut res = next.call(req).instrument(span.clone()).await?;
    let status = res.status().as_u16();
    let elapsed_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::error!(http.method = %method, http.route = %route, http.status = status, elapsed_ms, "request failed");
        } else {
            tracing::info!(http.method = %method, http.route = %route, http.status = status, elapsed_ms, "request");
        }
    });
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        res.headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(res)
}

/// A resource that answers 405 (problem+json) to methods it does not route.
fn resource(path: &str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(method_not_allowed))
}

/// The whole application; `main` and the tests build it the same way.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let limit = state.max_body_bytes;
    App::new()
        .app_data(web::Data::new(state))
        .app_data(json_config(limit))
        .app_data(web::PayloadConfig::new(limit))
        .app_data(query_config())
        .app_data(path_config())
        .wrap(from_fn(problem_instance))
        .wrap(DefaultHeaders::new().add(("API-Version", HeaderValue::from_static(API_VERSION))))
        .wrap(actix_web::middleware::Compress::default())
        .wrap(from_fn(hygiene::hygiene))
        .wrap(from_fn(log_request))
        .service(resource("/health/live").route(web::get().to(health::live)))
        .service(resource("/health/ready").route(web::get().to(health::ready)))
        .configure(docs::configure)
        .configure(hsds::configure)
        .service(
            web::scope("/api/v1")
                // The searches first: the router tries resources in order, and each dynamic path
                // before a match costs a regular-expression match.
                .service(
                    resource("/provisions")
                        .route(web::get().to(search::list_provisions))
                        .route(web::post().to(provisions::create_provision)),
                )
                .service(
                    resource("/alternatives").route(web::get().to(alternatives::find_alternatives)),
                )
                .service(resource("/regions").route(web::get().to(regions::list_regions)))
                .service(resource("/regions/{code}").route(web::get().to(regions::find_region)))
                .service(
                    resource("/regions/{code}/basic-set")
                        .route(web::get().to(coverage::find_basic_set))
                        .route(web::put().to(coverage::replace_basic_set)),
                )
                .service(
                    resource("/regions/{code}/coverage")
                        .route(web::get().to(coverage::find_region_coverage)),
                )
                .service(
                    resource("/regions/{code}/referral-report")
                        .route(web::get().to(referrals::region_referral_report)),
                )
                .service(
                    resource("/regions/{code}/coverage/map.svg")
                        .route(web::get().to(coverage::coverage_map)),
                )
                .service(
                    resource("/municipalities")
                        .route(web::get().to(municipalities::list_municipalities)),
                )
                .service(
                    resource("/municipalities/{code}")
                        .route(web::get().to(municipalities::find_municipality)),
                )
                .service(
                    resource("/municipalities/{code}/coverage")
                        .route(web::get().to(coverage::find_municipality_coverage)),
                )
                .service(
                    resource("/municipalities/{code}/referral-report")
                        .route(web::get().to(referrals::municipality_referral_report)),
                )
                .service(resource("/areas").route(web::get().to(areas::list_areas)))
                .service(resource("/areas/lookup").route(web::get().to(areas::lookup_area)))
                .service(resource("/areas/{code}").route(web::get().to(areas::find_area)))
                .service(resource("/categories").route(web::get().to(categories::list_categories)))
                .service(
                    resource("/organisations")
                        .route(web::get().to(organisations::list_organisations))
                        .route(web::post().to(organisations::create_organisation)),
                )
                .service(
                    resource("/organisations/{id}")
                        .route(web::get().to(organisations::find_organisation))
                        .route(web::put().to(organisations::replace_organisation))
                        .route(web::patch().to(organisations::patch_organisation))
                        .route(web::delete().to(organisations::delete_organisation)),
                )
                .service(
                    resource("/organisations/{id}/history")
                        .route(web::get().to(history::organisation_history)),
                )
                .service(
                    resource("/provisions/{id}")
                        .route(web::get().to(provisions::find_provision))
                        .route(web::put().to(provisions::replace_provision))
                        .route(web::patch().to(provisions::patch_provision))
                        .route(web::delete().to(provisions::delete_provision)),
                )
                .service(
                    resource("/provisions/{id}/history")
                        .route(web::get().to(history::provision_history)),
                )
                .service(
                    resource("/provisions/{id}/verifications")
                        .route(web::post().to(provisions::verify_provision)),
                )
                .service(
                    resource("/imports")
                        .app_data(web::PayloadConfig::new(imports::MAX_FILE_BYTES))
                        .route(web::post().to(imports::import_provisions)),
                )
                .service(
                    resource("/imports/template.csv")
                        .route(web::get().to(imports::import_template)),
                )
                .service(
                    resource("/exports/provisions")
                        .route(web::get().to(exports::export_provisions)),
                )
                .service(resource("/reports/stale").route(web::get().to(reports::stale_provisions)))
                .service(
                    resource("/contracts")
                        .route(web::get().to(contracts::list_contracts))
                        .route(web::post().to(contracts::create_contract)),
                )
                .service(
                    resource("/contracts/{id}")
                        .route(web::get().to(contracts::find_contract))
                        .route(web::put().to(contracts::replace_contract))
                        .route(web::patch().to(contracts::patch_contract))
                        .route(web::delete().to(contracts::delete_contract)),
                )
                .service(
                    resource("/contracts/{id}/history")
                        .route(web::get().to(history::contract_history)),
                )
                .service(resource("/referrals").route(web::post().to(referrals::record_referral)))
                .service(
                    resource("/referrals/{id}").route(web::get().to(referrals::find_referral)),
                ),
        )
        .default_service(web::to(not_found))
}
