//! Organisations: providers of provisions, with KvK number and (for care providers) AGB code.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Authenticated;
use super::etag::{IfMatch, etag};
use super::paging::{PageParams, SelfLinks, list_type};
use super::validate::{self, patched};
use crate::db::changes::{self, Actor};
use crate::db::registry::{self as reg, OrganisationFilter};
use crate::db::rows::OrganisationRow;
use crate::domain::FieldErrors;
use crate::domain::codes::{AgbCode, KvkNumber};
use crate::domain::registry::OrganisationDraft;
use crate::error::ApiError;

/// What a client sends to create or replace an organisation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct OrganisationInput {
    #[schema(example = "Bibliotheek West-Brabant")]
    pub name: String,
    /// Chamber of Commerce number, eight digits.
    #[schema(example = "41102526")]
    pub kvk_number: Option<String>,
    /// Vektis AGB code, eight digits (care providers).
    #[schema(example = "98123456")]
    pub agb_code: Option<String>,
    pub description: Option<String>,
    #[schema(example = "https://www.bibliotheekwestbrabant.nl")]
    pub website: Option<String>,
    pub email: Option<String>,
    #[schema(example = "0164 123456")]
    pub phone: Option<String>,
    /// Where the record comes from; `api` when left out.
    pub source: Option<String>,
}

/// An organisation.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    pub id: uuid::Uuid,
    pub name: String,
    pub kvk_number: Option<String>,
    pub agb_code: Option<String>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: String,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

list_type!(
    /// A page of organisations.
    OrganisationList,
    Organisation
);

pub(crate) fn parse_time(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap_or_default()
}

fn wire(row: &OrganisationRow) -> Organisation {
    Organisation {
        id: uuid::Uuid::parse_str(&row.id).unwrap_or_default(),
        name: row.name.clone(),
        kvk_number: row.kvk_number.clone(),
        agb_code: row.agb_code.clone(),
        description: row.description.clone(),
        website: row.website.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        source: row.source.clone(),
        version: row.version,
        created_at: parse_time(&row.created_at),
        updated_at: parse_time(&row.updated_at),
        links: SelfLinks::to(format!("/api/v1/organisations/{}", row.id)),
    }
}

fn input_of(row: &OrganisationRow) -> OrganisationInput {
    OrganisationInput {
        name: row.name.clone(),
        kvk_number: row.kvk_number.clone(),
        agb_code: row.agb_code.clone(),
        description: row.description.clone(),
        website: row.website.clone(),
        email: row.email.clone(),
        phone: row.phone.clone(),
        source: Some(row.source.clone()),
    }
}

impl OrganisationInput {
    pub fn parse(&self) -> Result<OrganisationDraft, ApiError> {
        let mut e = FieldErrors::new();
        let name = validate::text(&mut e, "name", &self.name, 200);
        let kvk_number = self
            .kvk_number
            .as_deref()
            .and_then(|k| e.check("kvkNumber", KvkNumber::parse(k)));
        let agb_code = self
            .agb_code
            .as_deref()
            .and_then(|a| e.check("agbCode", AgbCode::parse(a)));
        let description =
            validate::optional_text(&mut e, "description", self.description.as_deref(), 5000);
        let website = validate::url(&mut e, "website", self.website.as_deref());
        let email = validate::email(&mut e, "email", self.email.as_deref());
        let phone = validate::phone(&mut e, "phone", self.phone.as_deref());
        let source = validate::source(&mut e, self.source.as_deref());
        Ok(e.finish(|| OrganisationDraft {
            name: name.unwrap_or_default(),
            kvk_number,
            agb_code,
            description,
            website,
            email,
            phone,
            source,
        })?)
    }
}

fn row_of(
    id: &str,
    d: &OrganisationDraft,
    version: i64,
    created_at: &str,
    now: &str,
) -> OrganisationRow {
    OrganisationRow {
        id: id.to_owned(),
        name: d.name.clone(),
        kvk_number: d.kvk_number.as_ref().map(|k| k.to_string()),
        agb_code: d.agb_code.as_ref().map(|a| a.to_string()),
        description: d.description.clone(),
        website: d.website.clone(),
        email: d.email.clone(),
        phone: d.phone.clone(),
        source: d.source.clone(),
        version,
        created_at: created_at.to_owned(),
        updated_at: now.to_owned(),
        deleted_at: None,
    }
}

fn respond(status: actix_web::http::StatusCode, row: &OrganisationRow) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(row.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/organisations/{}", row.id)));
    }
    res.json(wire(row))
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct OrganisationQuery {
    /// Part of the name, case-insensitive.
    pub name: Option<String>,
    /// Exact KvK number.
    pub kvk_number: Option<String>,
    /// Exact AGB code.
    pub agb_code: Option<String>,
}

/// List organisations, by name.
#[utoipa::path(get, path = "/organisations", tag = "organisations", operation_id = "list_organisations",
    params(OrganisationQuery, PageParams),
    responses((status = 200, description = "The organisations", body = OrganisationList)))]
pub async fn list_organisations(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<OrganisationQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = page.into_inner().parse()?;
    let mut e = FieldErrors::new();
    let kvk = query
        .kvk_number
        .as_deref()
        .and_then(|k| e.check("kvkNumber", KvkNumber::parse(k)));
    let agb = query
        .agb_code
        .as_deref()
        .and_then(|a| e.check("agbCode", AgbCode::parse(a)));
    e.finish(|| ())?;
    let filter = OrganisationFilter {
        name: query.name.clone().filter(|n| !n.trim().is_empty()),
        kvk_number: kvk.map(|k| k.to_string()),
        agb_code: agb.map(|a| a.to_string()),
    };
    let found = state
        .db(move |conn| Ok(reg::list_organisations(conn, &filter, page)?))
        .await?;
    let items = found.items.iter().map(wire).collect();
    Ok(HttpResponse::Ok().json(OrganisationList::new(&req, items, found.total, page)))
}

/// One organisation.
#[utoipa::path(get, path = "/organisations/{id}", tag = "organisations", operation_id = "find_organisation",
    params(("id" = uuid::Uuid, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = Organisation)))]
pub async fn find_organisation(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "organisation")?.to_string();
    let row = state
        .db(move |conn| {
            reg::find_organisation(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("there is no organisation {id}")))
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, &row))
}

/// Register an organisation.
#[utoipa::path(post, path = "/organisations", tag = "organisations", operation_id = "create_organisation",
    request_body = OrganisationInput, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Organisation)))]
pub async fn create_organisation(
    state: web::Data<AppState>,
    principal: Authenticated,
    body: web::Json<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parse()?;
    principal
        .0
        .may_register_organisation()
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let actor = Actor::of(&principal.0);
    let row = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let now = changes::now();
                let row = row_of(&uuid::Uuid::new_v4().to_string(), &draft, 1, &now, &now);
                reg::insert_organisation(conn, &row)?;
                let after = serde_json::to_value(wire(&row)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "organisation",
                    &row.id,
                    "create",
                    &changes::diff(&serde_json::Value::Null, &after),
                )?;
                Ok(row)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(actix_web::http::StatusCode::CREATED, &row))
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: String,
    change: impl FnOnce(&OrganisationRow) -> Result<OrganisationInput, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "organisation")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let row = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_organisation(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no organisation {id}")))?;
                let ties = reg::organisation_ties(conn, &id)?;
                principal
                    .0
                    .may_write_organisation(&id, &ties)
                    .map_err(|d| ApiError::Forbidden(d.0))?;
                if_match.check(current.version)?;
                let draft = change(&current)?.parse()?;
                let row = row_of(
                    &id,
                    &draft,
                    current.version + 1,
                    &current.created_at,
                    &changes::now(),
                );
                if !reg::update_organisation(conn, &row, current.version)? {
                    return Err(ApiError::PreconditionFailed(
                        "the organisation was changed concurrently; fetch it again".into(),
                    ));
                }
                let before = serde_json::to_value(wire(&current)).map_err(ApiError::internal)?;
                let after = serde_json::to_value(wire(&row)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "organisation",
                    &id,
                    "update",
                    &changes::diff(&before, &after),
                )?;
                Ok(row)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(actix_web::http::StatusCode::OK, &row))
}

/// Replace an organisation. `If-Match` with the ETag guards against lost updates.
#[utoipa::path(put, path = "/organisations/{id}", tag = "organisations", operation_id = "replace_organisation",
    params(("id" = uuid::Uuid, Path, description = "Organisation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body = OrganisationInput, security(("bearer" = [])),
    responses((status = 200, description = "Replaced", body = Organisation)))]
pub async fn replace_organisation(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
    body: web::Json<OrganisationInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    update(req, state, principal, id.into_inner(), move |_| Ok(input)).await
}

/// Change some fields of an organisation (JSON merge patch, RFC 7396).
#[utoipa::path(patch, path = "/organisations/{id}", tag = "organisations", operation_id = "patch_organisation",
    params(("id" = uuid::Uuid, Path, description = "Organisation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Fields to change; null removes an optional field"),
    security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Organisation)))]
pub async fn patch_organisation(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
    body: web::Json<serde_json::Value>,
) -> Result<HttpResponse, ApiError> {
    let patch = body.into_inner();
    update(req, state, principal, id.into_inner(), move |current| {
        patched(&input_of(current), &patch)
    })
    .await
}

/// Delete an organisation that no longer has provisions or contracts. History is kept.
#[utoipa::path(delete, path = "/organisations/{id}", tag = "organisations", operation_id = "delete_organisation",
    params(("id" = uuid::Uuid, Path, description = "Organisation id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_organisation(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "organisation")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_organisation(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no organisation {id}")))?;
                let ties = reg::organisation_ties(conn, &id)?;
                principal.0.may_delete_organisation(&id, &ties).map_err(|d| ApiError::Forbidden(d.0))?;
                if_match.check(current.version)?;
                let (provisions, contracts) = reg::organisation_dependents(conn, &id)?;
                if provisions + contracts > 0 {
                    return Err(ApiError::Conflict(format!(
                        "the organisation still has {provisions} provision(s) and {contracts} contract(s); delete or move those first"
                    )));
                }
                let now = changes::now();
                let mut row = current.clone();
                row.version += 1;
                row.updated_at = now.clone();
                row.deleted_at = Some(now);
                if !reg::update_organisation(conn, &row, current.version)? {
                    return Err(ApiError::PreconditionFailed("the organisation was changed concurrently".into()));
                }
                let before = serde_json::to_value(wire(&current)).map_err(ApiError::internal)?;
                changes::record(conn, &actor, "organisation", &id, "delete", &changes::diff(&before, &serde_json::Value::Null))?;
                Ok(())
            })
        })
        .await?;
    state.after_write().await;
    Ok(HttpResponse::NoContent().finish())
}
