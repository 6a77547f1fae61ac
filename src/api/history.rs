//! The change history of a provision, organisation or contract: when, which fields, old → new,
//! and the actor's role and organisation. The actor's own subject is shown only to admins and
//! to editors whose scope covers the resource.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::auth::MaybeAuthenticated;
use super::paging::{PageParams, list_type, slice};
use super::validate;
use crate::db::changes::{self, FieldChange};
use crate::db::registry as reg;
use crate::domain::access::{Principal, Role};
use crate::error::ApiError;
use crate::index::Reference;

/// Who made a change.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryActor {
    #[schema(example = "municipality-editor")]
    pub role: String,
    /// The organisation the actor acted for (provider editors).
    pub organisation: Option<String>,
    /// The token's subject; only for admins and editors of the resource's scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
}

/// One field's change.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryField {
    #[schema(example = "name")]
    pub field: String,
    /// Any JSON value; `null` when the field was not there.
    pub old: Value,
    /// Any JSON value; `null` when the field is gone.
    pub new: Value,
}

/// One change, oldest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryEntry {
    /// Position in the change log.
    pub seq: i64,
    pub at: String,
    #[schema(example = "update")]
    pub action: String,
    pub actor: HistoryActor,
    pub changes: Vec<HistoryField>,
}

list_type!(
    /// A page of a resource's history, oldest first.
    HistoryList,
    HistoryEntry
);

#[derive(Debug, Clone, Copy)]
enum Kind {
    Provision,
    Organisation,
    Contract,
}

impl Kind {
    fn log_name(self) -> &'static str {
        match self {
            Kind::Provision => "provision",
            Kind::Organisation => "organisation",
            Kind::Contract => "contract",
        }
    }
}

/// Whether `principal` may see who changed this resource: an admin, or an editor whose scope
/// covers it as it is now (a deleted resource: admins only).
fn sees_subjects(
    conn: &mut crate::db::DbConnection,
    reference: &Reference,
    principal: Option<&Principal>,
    kind: Kind,
    id: &str,
) -> Result<bool, ApiError> {
    let Some(p) = principal else {
        return Ok(false);
    };
    match p.role {
        Role::Admin => return Ok(true),
        Role::MunicipalityEditor => {}
        _ => return Ok(false),
    }
    Ok(match kind {
        Kind::Provision => reg::find_provision(conn, id)?.is_some_and(|r| {
            p.may_write_provision(
                &r.row.organisation_id,
                &super::provisions::stored_ties(reference, &r),
            )
            .is_ok()
        }),
        Kind::Organisation => {
            reg::find_organisation(conn, id)?.is_some()
                && p.may_write_organisation(id, &reg::organisation_ties(conn, id)?)
                    .is_ok()
        }
        Kind::Contract => reg::find_contract(conn, id)?.is_some_and(|c| {
            let party =
                super::contracts::party(reference, &c.row.scope, c.row.scope_code.as_deref());
            p.may_write_contract(party).is_ok()
        }),
    })
}

async fn history(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    page: PageParams,
    kind: Kind,
    id: String,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, kind.log_name())?.to_string();
    let page = page.parse()?;
    let reference = state.reference.clone();
    let entries = state
        .db(move |conn| {
            let rows = changes::history(conn, kind.log_name(), &id)?;
            if rows.is_empty() {
                return Err(ApiError::NotFound(format!(
                    "there is no {} {id}",
                    kind.log_name()
                )));
            }
            let subjects = sees_subjects(conn, &reference, caller.0.as_ref(), kind, &id)?;
            Ok(rows
                .into_iter()
                .map(|row| HistoryEntry {
                    seq: row.seq,
                    at: row.at,
                    action: row.action,
                    actor: HistoryActor {
                        role: row.actor_role,
                        organisation: row.actor_organisation,
                        subject: subjects.then_some(row.actor),
                    },
                    changes: serde_json::from_str::<Vec<FieldChange>>(&row.fields)
                        .unwrap_or_default()
                        .into_iter()
                        .map(|f| HistoryField {
                            field: f.field,
                            old: f.old,
                            new: f.new,
                        })
                        .collect(),
                })
                .collect::<Vec<_>>())
        })
        .await?;
    let total = entries.len() as i64;
    let items = slice(&entries, page);
    Ok(HttpResponse::Ok().json(HistoryList::new(&req, items, total, page)))
}

/// The change history of a provision, oldest first.
#[utoipa::path(get, path = "/provisions/{id}/history", tag = "provisions", operation_id = "provision_history",
    params(("id" = uuid::Uuid, Path, description = "The provision"), PageParams),
    responses((status = 200, description = "Its changes; the actor's subject only for admins and editors of its scope", body = HistoryList)))]
pub async fn provision_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    history(req, state, caller, page.into_inner(), Kind::Provision, id).await
}

/// The change history of an organisation, oldest first.
#[utoipa::path(get, path = "/organisations/{id}/history", tag = "organisations", operation_id = "organisation_history",
    params(("id" = uuid::Uuid, Path, description = "The organisation"), PageParams),
    responses((status = 200, description = "Its changes; the actor's subject only for admins and editors of its scope", body = HistoryList)))]
pub async fn organisation_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    history(
        req,
        state,
        caller,
        page.into_inner(),
        Kind::Organisation,
        id,
    )
    .await
}

/// The change history of a contract, oldest first.
#[utoipa::path(get, path = "/contracts/{id}/history", tag = "contracts", operation_id = "contract_history",
    params(("id" = uuid::Uuid, Path, description = "The contract"), PageParams),
    responses((status = 200, description = "Its changes; the actor's subject only for admins and editors of its scope", body = HistoryList)))]
pub async fn contract_history(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: MaybeAuthenticated,
    id: web::Path<String>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    history(req, state, caller, page.into_inner(), Kind::Contract, id).await
}
