//! Contracts: which specialist provider a municipality, its region or the VNG (nationally)
//! contracted, for which iJw product categories, and for which period.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::auth::Authenticated;
use super::etag::{IfMatch, etag};
use super::organisations::parse_time;
use super::paging::{PageParams, SelfLinks, list_type};
use super::provisions::category;
use super::validate::{self, patched};
use crate::db::changes::{self, Actor};
use crate::db::registry::{self as reg, ContractFilter, ContractRecord, Serving};
use crate::db::rows::ContractRow;
use crate::domain::FieldErrors;
use crate::domain::access::ContractParty;
use crate::domain::registry::{ContractDraft, contract_status};
use crate::domain::scope::ContractScope;
use crate::error::ApiError;
use crate::index::Reference;

/// What a client sends to create or replace a contract.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContractInput {
    /// The contracted provider.
    pub organisation_id: uuid::Uuid,
    /// Who contracted: `national` (VNG/LTA), `region` or `municipality`.
    #[schema(example = "municipality")]
    pub scope: String,
    /// CBS code of the region or municipality; none for `national`.
    #[schema(example = "GM0748")]
    pub scope_code: Option<String>,
    /// iJw product categories covered (`ijw-40` … `ijw-55`).
    #[schema(example = json!(["ijw-45"]))]
    pub categories: Vec<String>,
    /// First day of validity.
    pub valid_from: NaiveDate,
    /// Last day of validity, inclusive; open-ended when left out.
    pub valid_until: Option<NaiveDate>,
    /// The contract's own reference, e.g. a tender lot.
    pub reference: Option<String>,
    /// Where the record comes from; `api` when left out.
    pub source: Option<String>,
}

/// A contract.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Contract {
    pub id: uuid::Uuid,
    pub organisation_id: uuid::Uuid,
    pub scope: String,
    pub scope_code: Option<String>,
    pub categories: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    /// `active`, `future` or `expired`, as of today.
    #[schema(example = "active")]
    pub status: String,
    pub reference: Option<String>,
    pub source: String,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i64,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    #[serde(rename = "_links")]
    pub links: SelfLinks,
}

list_type!(
    /// A page of contracts.
    ContractList,
    Contract
);

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

pub fn wire(r: &ContractRecord) -> Contract {
    let row = &r.row;
    let (from, until) = (date(&row.valid_from), row.valid_until.as_deref().map(date));
    Contract {
        id: uuid::Uuid::parse_str(&row.id).unwrap_or_default(),
        organisation_id: uuid::Uuid::parse_str(&row.organisation_id).unwrap_or_default(),
        scope: row.scope.clone(),
        scope_code: row.scope_code.clone(),
        categories: r.categories.clone(),
        valid_from: from,
        valid_until: until,
        status: contract_status(from, until, chrono::Utc::now().date_naive()).to_owned(),
        reference: row.reference.clone(),
        source: row.source.clone(),
        version: row.version,
        created_at: parse_time(&row.created_at),
        updated_at: parse_time(&row.updated_at),
        links: SelfLinks::to(format!("/api/v1/contracts/{}", row.id)),
    }
}

fn input_of(c: &Contract) -> ContractInput {
    ContractInput {
        organisation_id: c.organisation_id,
        scope: c.scope.clone(),
        scope_code: c.scope_code.clone(),
        categories: c.categories.clone(),
        valid_from: c.valid_from,
        valid_until: c.valid_until,
        reference: c.reference.clone(),
        source: Some(c.source.clone()),
    }
}

impl ContractInput {
    pub fn parse(&self, reference: &Reference) -> Result<ContractDraft, ApiError> {
        let mut e = FieldErrors::new();
        let scope = match ContractScope::parse(&self.scope, self.scope_code.as_deref()) {
            Ok(scope) => {
                let known = match &scope {
                    ContractScope::National => true,
                    ContractScope::Region(r) => reference.regions.contains_key(r.as_str()),
                    ContractScope::Municipality(m) => {
                        reference.municipalities.contains_key(m.as_str())
                    }
                };
                if known {
                    Some(scope)
                } else {
                    e.add(
                        "scopeCode",
                        format!(
                            "there is no {} {}",
                            self.scope,
                            self.scope_code.as_deref().unwrap_or_default()
                        ),
                    );
                    None
                }
            }
            Err(err) => {
                e.add("scope", err.to_string());
                None
            }
        };
        if self.categories.is_empty() {
            e.add(
                "categories",
                "name at least one iJw product category (e.g. ijw-45)",
            );
        }
        let mut categories = Vec::new();
        for (i, c) in self.categories.iter().enumerate() {
            let field = format!("categories[{i}]");
            if let Some((code, access)) = e.check(&field, category(reference, c)) {
                let is_ijw = reference
                    .categories
                    .get(code.as_str())
                    .is_some_and(|c| c.ijw_code.is_some());
                if access != "indicated" || !is_ijw {
                    e.add(&field, format!("'{code}' is not an iJw product category; contracts cover specialist care (ijw-40 … ijw-55)"));
                } else if !categories.contains(&code) {
                    categories.push(code);
                }
            }
        }
        if let Some(until) = self.valid_until
            && until < self.valid_from
        {
            e.add(
                "validUntil",
                format!("{until} is before validFrom {}", self.valid_from),
            );
        }
        let reference_text =
            validate::optional_text(&mut e, "reference", self.reference.as_deref(), 200);
        let source = validate::source(&mut e, self.source.as_deref());
        match scope {
            Some(scope) if e.is_empty() => Ok(ContractDraft {
                organisation_id: self.organisation_id,
                scope,
                categories,
                valid_from: self.valid_from,
                valid_until: self.valid_until,
                reference: reference_text,
                source,
            }),
            _ => Err(ApiError::Invalid(e.into_vec())),
        }
    }
}

fn record_of(
    id: &str,
    d: &ContractDraft,
    version: i64,
    created_at: &str,
    now: &str,
) -> ContractRecord {
    ContractRecord {
        row: ContractRow {
            id: id.to_owned(),
            organisation_id: d.organisation_id.to_string(),
            scope: d.scope.scope().to_owned(),
            scope_code: d.scope.code().map(str::to_owned),
            reference: d.reference.clone(),
            valid_from: d.valid_from.to_string(),
            valid_until: d.valid_until.map(|u| u.to_string()),
            source: d.source.clone(),
            version,
            created_at: created_at.to_owned(),
            updated_at: now.to_owned(),
            deleted_at: None,
        },
        categories: sorted(d.categories.iter().map(|c| c.to_string()).collect()),
    }
}

/// Who made a contract, for the scope check.
pub(super) fn party<'a>(
    reference: &'a Reference,
    scope: &str,
    code: Option<&'a str>,
) -> ContractParty<'a> {
    match (scope, code) {
        ("municipality", Some(code)) => ContractParty::Municipality {
            code,
            region: reference
                .municipalities
                .get(code)
                .map_or("", |m| m.region_code.as_str()),
        },
        ("region", Some(code)) => ContractParty::Region(code),
        _ => ContractParty::National,
    }
}

fn respond(status: StatusCode, record: &ContractRecord) -> HttpResponse {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", etag(record.row.version)));
    if status == StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/v1/contracts/{}", record.row.id)));
    }
    res.json(wire(record))
}

fn require_organisation(
    conn: &mut crate::db::DbConnection,
    id: &uuid::Uuid,
) -> Result<(), ApiError> {
    match reg::find_organisation(conn, &id.to_string())? {
        Some(_) => Ok(()),
        None => Err(ApiError::invalid_field(
            "organisationId",
            format!("there is no organisation {id}"),
        )),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    /// Only contracts that apply to residents of this municipality: its own, its region's and
    /// national ones.
    #[param(example = "GM0748")]
    pub municipality: Option<String>,
    /// Only contracts that apply somewhere in this region: the region's, its members' and
    /// national ones.
    #[param(example = "JZ36")]
    pub region: Option<String>,
    /// Only contracts covering this iJw category (or one below it).
    #[param(example = "ijw-45")]
    pub category: Option<String>,
    /// Only contracts of this provider.
    pub organisation: Option<uuid::Uuid>,
    /// Only contracts valid on this day.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-23")]
    pub valid_on: Option<NaiveDate>,
}

impl ContractQuery {
    fn filter(&self, reference: &Reference) -> Result<ContractFilter, ApiError> {
        let mut e = FieldErrors::new();
        let mut filter = ContractFilter {
            organisation: self.organisation.map(|o| o.to_string()),
            valid_on: self.valid_on.map(|d| d.to_string()),
            ..Default::default()
        };
        if let Some(m) = &self.municipality {
            match reference.known_municipality(m) {
                Ok(m) => filter.applying.push(Serving {
                    regions: vec![m.region_code.clone()],
                    municipalities: vec![m.code.clone()],
                }),
                Err(msg) => e.add("municipality", msg),
            }
        }
        if let Some(r) = &self.region {
            match reference.known_region(r) {
                Ok(r) => filter.applying.push(Serving {
                    regions: vec![r.code.clone()],
                    municipalities: r.members.clone(),
                }),
                Err(msg) => e.add("region", msg),
            }
        }
        if let Some(c) = &self.category
            && let Some((code, _)) = e.check("category", category(reference, c))
        {
            filter.categories = Some(reference.category_with_descendants(code.as_str()).to_vec());
        }
        Ok(e.finish(|| filter)?)
    }
}

/// List contracts, newest first; filters combine with AND.
#[utoipa::path(get, path = "/contracts", tag = "contracts", operation_id = "list_contracts",
    params(ContractQuery, PageParams),
    responses((status = 200, description = "The contracts", body = ContractList)))]
pub async fn list_contracts(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ContractQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = query.filter(&state.reference);
    let page = page.into_inner().parse();
    let (filter, page) = (filter?, page?);
    let found = state
        .db(move |conn| Ok(reg::list_contracts(conn, &filter, page)?))
        .await?;
    let items = found.items.iter().map(wire).collect();
    Ok(HttpResponse::Ok().json(ContractList::new(&req, items, found.total, page)))
}

/// One contract.
#[utoipa::path(get, path = "/contracts/{id}", tag = "contracts", operation_id = "find_contract",
    params(("id" = uuid::Uuid, Path, description = "Contract id")),
    responses((status = 200, description = "The contract", body = Contract)))]
pub async fn find_contract(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "contract")?.to_string();
    let record = state
        .db(move |conn| {
            reg::find_contract(conn, &id)?
                .ok_or_else(|| ApiError::NotFound(format!("there is no contract {id}")))
        })
        .await?;
    Ok(respond(StatusCode::OK, &record))
}

/// Register a contract.
#[utoipa::path(post, path = "/contracts", tag = "contracts", operation_id = "create_contract",
    request_body = ContractInput, security(("bearer" = [])),
    responses((status = 201, description = "Registered", body = Contract)))]
pub async fn create_contract(
    state: web::Data<AppState>,
    principal: Authenticated,
    body: web::Json<ContractInput>,
) -> Result<HttpResponse, ApiError> {
    let draft = body.parse(&state.reference)?;
    principal
        .0
        .may_write_contract(party(
            &state.reference,
            draft.scope.scope(),
            draft.scope.code(),
        ))
        .map_err(|d| ApiError::Forbidden(d.0))?;
    let actor = Actor::of(&principal.0);
    let record = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                require_organisation(conn, &draft.organisation_id)?;
                let now = changes::now();
                let record = record_of(&uuid::Uuid::new_v4().to_string(), &draft, 1, &now, &now);
                reg::insert_contract(conn, &record)?;
                let after = serde_json::to_value(wire(&record)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "contract",
                    &record.row.id,
                    "create",
                    &changes::diff(&serde_json::Value::Null, &after),
                )?;
                Ok(record)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(StatusCode::CREATED, &record))
}

async fn update(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: String,
    change: impl FnOnce(&Contract) -> Result<ContractInput, ApiError> + Send + 'static,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "contract")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let reference = state.reference.clone();
    let record = state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_contract(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no contract {id}")))?;
                let deny = |d: crate::domain::access::Denied| ApiError::Forbidden(d.0);
                principal
                    .0
                    .may_write_contract(party(
                        &reference,
                        &current.row.scope,
                        current.row.scope_code.as_deref(),
                    ))
                    .map_err(deny)?;
                if_match.check(current.row.version)?;
                let before = wire(&current);
                let draft = change(&before)?.parse(&reference)?;
                principal
                    .0
                    .may_write_contract(party(&reference, draft.scope.scope(), draft.scope.code()))
                    .map_err(deny)?;
                require_organisation(conn, &draft.organisation_id)?;
                let record = record_of(
                    &id,
                    &draft,
                    current.row.version + 1,
                    &current.row.created_at,
                    &changes::now(),
                );
                if !reg::update_contract(conn, &record, current.row.version)? {
                    return Err(ApiError::PreconditionFailed(
                        "the contract was changed concurrently; fetch it again".into(),
                    ));
                }
                let before = serde_json::to_value(&before).map_err(ApiError::internal)?;
                let after = serde_json::to_value(wire(&record)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "contract",
                    &id,
                    "update",
                    &changes::diff(&before, &after),
                )?;
                Ok(record)
            })
        })
        .await?;
    state.after_write().await;
    Ok(respond(StatusCode::OK, &record))
}

/// Replace a contract. `If-Match` with the ETag guards against lost updates.
#[utoipa::path(put, path = "/contracts/{id}", tag = "contracts", operation_id = "replace_contract",
    params(("id" = uuid::Uuid, Path, description = "Contract id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body = ContractInput, security(("bearer" = [])),
    responses((status = 200, description = "Replaced", body = Contract)))]
pub async fn replace_contract(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
    body: web::Json<ContractInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.into_inner();
    update(req, state, principal, id.into_inner(), move |_| Ok(input)).await
}

/// Change some fields of a contract (JSON merge patch, RFC 7396).
#[utoipa::path(patch, path = "/contracts/{id}", tag = "contracts", operation_id = "patch_contract",
    params(("id" = uuid::Uuid, Path, description = "Contract id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    request_body(content = Object, content_type = "application/merge-patch+json", description = "Fields to change; null removes an optional field"),
    security(("bearer" = [])),
    responses((status = 200, description = "Changed", body = Contract)))]
pub async fn patch_contract(
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

/// Delete (end the registration of) a contract; its history is kept.
#[utoipa::path(delete, path = "/contracts/{id}", tag = "contracts", operation_id = "delete_contract",
    params(("id" = uuid::Uuid, Path, description = "Contract id"),
        ("If-Match" = Option<String>, Header, description = "ETag of the version this change is based on")),
    security(("bearer" = [])),
    responses((status = 204, description = "Deleted")))]
pub async fn delete_contract(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = validate::uuid_path(&id, "contract")?.to_string();
    let if_match = IfMatch::of(&req)?;
    let actor = Actor::of(&principal.0);
    let reference = state.reference.clone();
    state
        .db(move |conn| {
            crate::db::write_transaction(conn, |conn| {
                let current = reg::find_contract(conn, &id)?
                    .ok_or_else(|| ApiError::NotFound(format!("there is no contract {id}")))?;
                principal
                    .0
                    .may_write_contract(party(
                        &reference,
                        &current.row.scope,
                        current.row.scope_code.as_deref(),
                    ))
                    .map_err(|d| ApiError::Forbidden(d.0))?;
                if_match.check(current.row.version)?;
                let now = changes::now();
                let mut deleted = current.clone();
                deleted.row.version += 1;
                deleted.row.updated_at = now.clone();
                deleted.row.deleted_at = Some(now);
                if !reg::update_contract(conn, &deleted, current.row.version)? {
                    return Err(ApiError::PreconditionFailed(
                        "the contract was changed concurrently".into(),
                    ));
                }
                let before = serde_json::to_value(wire(&current)).map_err(ApiError::internal)?;
                changes::record(
                    conn,
                    &actor,
                    "contract",
                    &id,
                    "delete",
                    &changes::diff(&before, &serde_json::Value::Null),
                )?;
                Ok(())
            })
        })
        .await?;
    state.after_write().await;
    Ok(HttpResponse::NoContent().finish())
}

/// Categories are kept in code order, as the database returns them.
fn sorted(mut codes: Vec<String>) -> Vec<String> {
    codes.sort();
    codes
}
