//! Organisations, provisions and contracts: the writable part of the registry.

use std::collections::HashMap;

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;
use rustc_hash::FxHashMap;

use super::MultiBackend;
use super::rows::*;
use super::schema::*;
use super::{DbConnection, insert_all};
use crate::domain::access::OrganisationTies;

/// A provision with its categories, locations and service area.
#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionRecord {
    pub row: ProvisionRow,
    pub categories: Vec<String>,
    pub locations: Vec<LocationRow>,
    pub service_areas: Vec<ServiceAreaRow>,
}

/// A contract with its iJw categories.
#[derive(Debug, Clone, PartialEq)]
pub struct ContractRecord {
    pub row: ContractRow,
    pub categories: Vec<String>,
}

/// One page of a list: the items and how many there are in all.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct PageRequest {
    pub page: i64,
    pub page_size: i64,
}

impl PageRequest {
    /// How many items the pages before this one hold.
    pub fn offset(self) -> i64 {
        (self.page - 1) * self.page_size
    }
}

/// Residents of these places: a contract applies to them when it is national or made by one of
/// the regions or municipalities.
#[derive(Debug, Clone, Default)]
pub struct Serving {
    pub regions: Vec<String>,
    pub municipalities: Vec<String>,
}

// ---------------------------------------------------------------------------------------------
// Organisations

pub fn find_organisation(
    conn: &mut DbConnection,
    id: &str,
) -> QueryResult<Option<OrganisationRow>> {
    organisations::table
        .find(id)
        .filter(organisations::deleted_at.is_null())
        .select(OrganisationRow::as_select())
        .first(conn)
        .optional()
}

#[derive(Debug, Clone, Default)]
pub struct OrganisationFilter {
    pub name: Option<String>,
    pub kvk_number: Option<String>,
    pub agb_code: Option<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

fn organisation_query(
    filter: &OrganisationFilter,
) -> organisations::BoxedQuery<'static, MultiBackend> {
    let mut q = organisations::table
        .filter(organisations::deleted_at.is_null())
        .into_boxed();
    if let Some(name) = &filter.name {
        let pattern = format!("%{}%", name.to_lowercase().replace(['%', '_'], ""));
        q = q.filter(lower(organisations::name).like(pattern));
    }
    if let Some(kvk) = &filter.kvk_number {
        q = q.filter(organisations::kvk_number.eq(kvk.clone()));
    }
    if let Some(agb) = &filter.agb_code {
        q = q.filter(organisations::agb_code.eq(agb.clone()));
    }
    q
}

pub fn list_organisations(
    conn: &mut DbConnection,
    filter: &OrganisationFilter,
    page: PageRequest,
) -> QueryResult<Page<OrganisationRow>> {
    let total = organisation_query(filter).count().get_result(conn)?;
    let items = organisation_query(filter)
        .order((organisations::name.asc(), organisations::id.asc()))
        .limit(page.page_size)
        .offset(page.offset())
        .select(OrganisationRow::as_select())
        .load(conn)?;
    Ok(Page { items, total })
}

pub fn insert_organisation(conn: &mut DbConnection, row: &OrganisationRow) -> QueryResult<()> {
    insert_all!(conn, organisations::table, row)?;
    Ok(())
}

/// Writes `row` when the stored version is still `expected_version`; `false` when it was not.
pub fn update_organisation(
    conn: &mut DbConnection,
    row: &OrganisationRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        organisations::table
            .filter(organisations::id.eq(&row.id))
            .filter(organisations::version.eq(expected_version)),
    )
    .set(row)
    .execute(conn)?;
    Ok(n == 1)
}

/// What ties an organisation to municipalities (see [`OrganisationTies`]).
pub fn organisation_ties(conn: &mut DbConnection, id: &str) -> QueryResult<OrganisationTies> {
    let (provisions, contracts) = organisation_dependents(conn, id)?;
    Ok(OrganisationTies {
        municipalities: organisation_municipalities(conn, id)?,
        has_work: provisions + contracts > 0,
    })
}

/// The municipalities an organisation is tied to: where its live provisions are located or
/// which they name (directly or by one of their areas), and those of its live contracts.
fn organisation_municipalities(conn: &mut DbConnection, id: &str) -> QueryResult<Vec<String>> {
    let live_provisions = provisions::table
        .filter(provisions::organisation_id.eq(id))
        .filter(provisions::deleted_at.is_null())
        .select(provisions::id);
    let mut out: Vec<String> = provision_locations::table
        .filter(provision_locations::provision_id.eq_any(live_provisions))
        .select(provision_locations::municipality_code)
        .load::<Option<String>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    let live_provisions = provisions::table
        .filter(provisions::organisation_id.eq(id))
        .filter(provisions::deleted_at.is_null())
        .select(provisions::id);
    out.extend(
        provision_service_areas::table
            .filter(provision_service_areas::provision_id.eq_any(live_provisions))
            .filter(provision_service_areas::scope.eq("municipality"))
            .select(provision_service_areas::code)
            .load::<String>(conn)?,
    );
    let live_provisions = provisions::table
        .filter(provisions::organisation_id.eq(id))
        .filter(provisions::deleted_at.is_null())
        .select(provisions::id);
    let served_areas = provision_service_areas::table
        .filter(provision_service_areas::provision_id.eq_any(live_provisions))
        .filter(provision_service_areas::scope.eq("area"))
        .select(provision_service_areas::code);
    out.extend(
        areas::table
            .filter(areas::code.eq_any(served_areas))
            .select(areas::municipality_code)
            .load::<String>(conn)?,
    );
    out.extend(
        contracts::table
            .filter(contracts::organisation_id.eq(id))
            .filter(contracts::deleted_at.is_null())
            .filter(contracts::scope.eq("municipality"))
            .select(contracts::scope_code)
            .load::<Option<String>>(conn)?
            .into_iter()
            .flatten(),
    );
    out.sort();
    out.dedup();
    Ok(out)
}

/// How many live provisions and contracts still belong to an organisation.
pub fn organisation_dependents(conn: &mut DbConnection, id: &str) -> QueryResult<(i64, i64)> {
    let provisions = provisions::table
        .filter(provisions::organisation_id.eq(id))
        .filter(provisions::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    let contracts = contracts::table
        .filter(contracts::organisation_id.eq(id))
        .filter(contracts::deleted_at.is_null())
        .count()
        .get_result(conn)?;
    Ok((provisions, contracts))
}

// ---------------------------------------------------------------------------------------------
// Provisions

pub fn find_provision(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ProvisionRecord>> {
    let row = provisions::table
        .find(id)
        .filter(provisions::deleted_at.is_null())
        .select(ProvisionRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        Some(row) => with_children(conn, vec![row])?.pop(),
        None => None,
    })
}

/// Loads categories, locations and service areas of many provisions in three queries.
/// The live provisions among `ids`, with their children, in no particular order; read in
/// chunks, a few queries per chunk rather than four per provision.
pub fn find_provisions(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<ProvisionRecord>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        let rows = provisions::table
            .filter(provisions::id.eq_any(chunk))
            .filter(provisions::deleted_at.is_null())
            .select(ProvisionRow::as_select())
            .load(conn)?;
        out.extend(with_children(conn, rows)?);
    }
    Ok(out)
}

/// The live organisations among `ids`.
pub fn find_organisations(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<OrganisationRow>> {
    let mut out = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(500) {
        out.extend(
            organisations::table
                .filter(organisations::id.eq_any(chunk))
                .filter(organisations::deleted_at.is_null())
                .select(OrganisationRow::as_select())
                .load(conn)?,
        );
    }
    Ok(out)
}

fn with_children(
    conn: &mut DbConnection,
    rows: Vec<ProvisionRow>,
) -> QueryResult<Vec<ProvisionRecord>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let categories = provision_categories::table
        .filter(provision_categories::provision_id.eq_any(&ids))
        .select(ProvisionCategoryRow::as_select())
        .load(conn)?;
    let locations = provision_locations::table
        .filter(provision_locations::provision_id.eq_any(&ids))
        .order(provision_locations::position.asc())
        .select(LocationRow::as_select())
        .load(conn)?;
    let areas = provision_service_areas::table
        .filter(provision_service_areas::provision_id.eq_any(&ids))
        .select(ServiceAreaRow::as_select())
        .load(conn)?;
    Ok(assemble(rows, categories, locations, areas))
}

/// Puts each provision together with its children; categories and service areas sorted,
/// locations in the order given.
fn assemble(
    rows: Vec<ProvisionRow>,
    categories: Vec<ProvisionCategoryRow>,
    locations: Vec<LocationRow>,
    areas: Vec<ServiceAreaRow>,
) -> Vec<ProvisionRecord> {
    let mut categories_of: HashMap<String, Vec<String>> = HashMap::new();
    for c in categories {
        categories_of
            .entry(c.provision_id)
            .or_default()
            .push(c.category_code);
    }
    let mut locations_of: HashMap<String, Vec<LocationRow>> = HashMap::new();
    for l in locations {
        locations_of
            .entry(l.provision_id.clone())
            .or_default()
            .push(l);
    }
    let mut areas_of: HashMap<String, Vec<ServiceAreaRow>> = HashMap::new();
    for a in areas {
        areas_of.entry(a.provision_id.clone()).or_default().push(a);
    }
    rows.into_iter()
        .map(|row| {
            let mut categories = categories_of.remove(&row.id).unwrap_or_default();
            categories.sort();
            let mut service_areas = areas_of.remove(&row.id).unwrap_or_default();
            service_areas.sort_by(|a, b| (&a.scope, &a.code).cmp(&(&b.scope, &b.code)));
            ProvisionRecord {
                locations: locations_of.remove(&row.id).unwrap_or_default(),
                categories,
                service_areas,
                row,
            }
        })
        .collect()
}

/// Stores the categories, locations and service areas of `records`, one statement per table.
fn insert_provision_children(
    conn: &mut DbConnection,
    records: &[ProvisionRecord],
) -> QueryResult<()> {
    let categories: Vec<ProvisionCategoryRow> = records
        .iter()
        .flat_map(|r| {
            r.categories.iter().map(|c| ProvisionCategoryRow {
                provision_id: r.row.id.clone(),
                category_code: c.clone(),
            })
        })
        .collect();
    insert_all!(conn, provision_categories::table, &categories)?;
    let locations: Vec<&LocationRow> = records.iter().flat_map(|r| &r.locations).collect();
    if !locations.is_empty() {
        insert_all!(conn, provision_locations::table, locations)?;
    }
    let areas: Vec<&ServiceAreaRow> = records.iter().flat_map(|r| &r.service_areas).collect();
    if !areas.is_empty() {
        insert_all!(conn, provision_service_areas::table, areas)?;
    }
    Ok(())
}

fn delete_provision_children(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::delete(provision_categories::table.filter(provision_categories::provision_id.eq(id)))
        .execute(conn)?;
    diesel::delete(provision_locations::table.filter(provision_locations::provision_id.eq(id)))
        .execute(conn)?;
    diesel::delete(
        provision_service_areas::table.filter(provision_service_areas::provision_id.eq(id)),
    )
    .execute(conn)?;
    Ok(())
}

/// Stores a new provision with its JSON `document` as the API serves it.
pub fn insert_provision(
    conn: &mut DbConnection,
    record: &ProvisionRecord,
    document: &str,
) -> QueryResult<()> {
    insert_provisions(conn, std::slice::from_ref(record), &[document])
}

/// Stores new provisions with their documents, a few statements for all of them (a bulk
/// import: on PostgreSQL every statement is a round trip). `documents[i]` belongs to
/// `records[i]`.
pub fn insert_provisions(
    conn: &mut DbConnection,
    records: &[ProvisionRecord],
    documents: &[&str],
) -> QueryResult<()> {
    debug_assert_eq!(records.len(), documents.len());
    // 500 rows of 23 columns stay below both engines' limit on bound parameters.
    for (records, documents) in records.chunks(500).zip(documents.chunks(500)) {
        let rows: Vec<_> = records
            .iter()
            .zip(documents)
            .map(|(r, d)| (&r.row, provisions::document.eq(Some(*d))))
            .collect();
        insert_all!(conn, provisions::table, rows)?;
        insert_provision_children(conn, records)?;
    }
    Ok(())
}

/// Replaces a provision, and its `document`, when its stored version is still
/// `expected_version`.
pub fn update_provision(
    conn: &mut DbConnection,
    record: &ProvisionRecord,
    expected_version: i64,
    document: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        provisions::table
            .filter(provisions::id.eq(&record.row.id))
            .filter(provisions::version.eq(expected_version)),
    )
    .set(&record.row)
    .execute(conn)?;
    if n != 1 {
        return Ok(false);
    }
    set_document(conn, &record.row.id, document)?;
    delete_provision_children(conn, &record.row.id)?;
    insert_provision_children(conn, std::slice::from_ref(record))?;
    Ok(true)
}

/// Stores a provision's rendered JSON; `None` clears it (the index renders it then).
pub fn set_document(conn: &mut DbConnection, id: &str, document: Option<&str>) -> QueryResult<()> {
    diesel::update(provisions::table.find(id))
        .set(provisions::document.eq(document))
        .execute(conn)
        .map(|_| ())
}

/// Ids of the live provisions whose document has not been rendered.
pub fn provisions_without_document(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    provisions::table
        .filter(provisions::deleted_at.is_null())
        .filter(provisions::document.is_null())
        .select(provisions::id)
        .load(conn)
}

/// What the search index reads of a provision: the fields its filters test and the rendered
/// document, without the columns only the document shows.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = provisions)]
pub struct IndexedRow {
    pub id: String,
    pub organisation_id: String,
    pub name: String,
    pub description: Option<String>,
    pub access: String,
    pub status: String,
    pub min_age: i32,
    pub max_age: i32,
    pub free_of_charge: bool,
    /// JSON array of ISO 639-1 codes.
    pub languages: String,
    /// JSON array of opening periods.
    pub opening_hours: String,
    pub document: Option<String>,
}

/// An [`IndexedRow`] with its categories, locations and service area.
#[derive(Debug, Clone)]
pub struct IndexedProvision {
    pub row: IndexedRow,
    pub categories: Vec<String>,
    /// `(lat, lon)` of each location, in order.
    pub locations: Vec<(f64, f64)>,
    /// `(scope, code)`, sorted.
    pub service_areas: Vec<(String, String)>,
}

/// Calls `f` with what the search index needs of every live provision, row by row (the
/// children first), or only of the live provisions among `only`. The children of deleted
/// provisions are read too and left out: cheaper than a subquery per table.
pub fn for_each_indexed<E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    only: Option<&[String]>,
    mut f: impl FnMut(IndexedProvision) -> Result<(), E>,
) -> Result<(), E> {
    let count = match only {
        Some(ids) => ids.len() as i64,
        None => provisions::table.count().get_result(conn)?,
    };
    // Keyed by the id's 128 bits: a third of a million fewer strings to allocate and hash.
    fn map<V>(count: i64) -> FxHashMap<u128, Vec<V>> {
        FxHashMap::with_capacity_and_hasher(usize::try_from(count).unwrap_or(0), Default::default())
    }
    fn key(id: &str) -> u128 {
        uuid::Uuid::parse_str(id).map_or(0, |u| u.as_u128())
    }
    let mut categories_of = map(count);
    let mut query = provision_categories::table
        .select((
            provision_categories::provision_id,
            provision_categories::category_code,
        ))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(provision_categories::provision_id.eq_any(ids));
    }
    for row in query.load_iter::<(String, String), DefaultLoadingMode>(conn)? {
        let (id, code) = row?;
        categories_of.entry(key(&id)).or_default().push(code);
    }
    let mut locations_of = map(count);
    let mut query = provision_locations::table
        .order((
            provision_locations::provision_id,
            provision_locations::position,
        ))
        .select((
            provision_locations::provision_id,
            provision_locations::lat,
            provision_locations::lon,
        ))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(provision_locations::provision_id.eq_any(ids));
    }
    for row in query.load_iter::<(String, f64, f64), DefaultLoadingMode>(conn)? {
        let (id, lat, lon) = row?;
        locations_of.entry(key(&id)).or_default().push((lat, lon));
    }
    let mut areas_of = map(count);
    let mut query = provision_service_areas::table
        .select((
            provision_service_areas::provision_id,
            provision_service_areas::scope,
            provision_service_areas::code,
        ))
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(provision_service_areas::provision_id.eq_any(ids));
    }
    for row in query.load_iter::<(String, String, String), DefaultLoadingMode>(conn)? {
        let (id, scope, code) = row?;
        areas_of.entry(key(&id)).or_default().push((scope, code));
    }
    let mut query = provisions::table
        .filter(provisions::deleted_at.is_null())
        .select(IndexedRow::as_select())
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(provisions::id.eq_any(ids));
    }
    for row in query.load_iter::<IndexedRow, DefaultLoadingMode>(conn)? {
        let row = row?;
        let id = key(&row.id);
        let mut categories = categories_of.remove(&id).unwrap_or_default();
        categories.sort();
        let mut service_areas = areas_of.remove(&id).unwrap_or_default();
        service_areas.sort();
        f(IndexedProvision {
            locations: locations_of.remove(&id).unwrap_or_default(),
            categories,
            service_areas,
            row,
        })?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Contracts

#[derive(Debug, Clone, Default)]
pub struct ContractFilter {
    pub organisation: Option<String>,
    /// Contracts that apply in these places: national ones, and those of the listed regions
    /// and municipalities. Every entry must hold (AND).
    pub applying: Vec<Serving>,
    pub categories: Option<Vec<String>>,
    /// `YYYY-MM-DD`: only contracts valid on that day.
    pub valid_on: Option<String>,
}

fn contract_query(filter: &ContractFilter) -> contracts::BoxedQuery<'static, MultiBackend> {
    let mut q = contracts::table
        .filter(contracts::deleted_at.is_null())
        .into_boxed();
    if let Some(org) = &filter.organisation {
        q = q.filter(contracts::organisation_id.eq(org.clone()));
    }
    for applying in &filter.applying {
        q = q.filter(
            contracts::scope
                .eq("national")
                .or(contracts::scope
                    .eq("region")
                    .and(contracts::scope_code.eq_any(applying.regions.clone())))
                .or(contracts::scope
                    .eq("municipality")
                    .and(contracts::scope_code.eq_any(applying.municipalities.clone()))),
        );
    }
    if let Some(categories) = &filter.categories {
        q = q.filter(
            contracts::id.eq_any(
                contract_categories::table
                    .filter(contract_categories::category_code.eq_any(categories.clone()))
                    .select(contract_categories::contract_id),
            ),
        );
    }
    if let Some(day) = &filter.valid_on {
        // ISO dates compare correctly as text on both engines.
        q = q.filter(contracts::valid_from.le(day.clone())).filter(
            contracts::valid_until
                .is_null()
                .or(contracts::valid_until.ge(day.clone())),
        );
    }
    q
}

pub fn list_contracts(
    conn: &mut DbConnection,
    filter: &ContractFilter,
    page: PageRequest,
) -> QueryResult<Page<ContractRecord>> {
    let total = contract_query(filter).count().get_result(conn)?;
    let rows = contract_query(filter)
        .order((contracts::valid_from.desc(), contracts::id.asc()))
        .limit(page.page_size)
        .offset(page.offset())
        .select(ContractRow::as_select())
        .load(conn)?;
    Ok(Page {
        items: contracts_with_categories(conn, rows)?,
        total,
    })
}

pub fn find_contract(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ContractRecord>> {
    let row = contracts::table
        .find(id)
        .filter(contracts::deleted_at.is_null())
        .select(ContractRow::as_select())
        .first(conn)
        .optional()?;
    Ok(match row {
        Some(row) => contracts_with_categories(conn, vec![row])?.pop(),
        None => None,
    })
}

fn contracts_with_categories(
    conn: &mut DbConnection,
    rows: Vec<ContractRow>,
) -> QueryResult<Vec<ContractRecord>> {
    let ids: Vec<&str> = rows.iter().map(|r| r.id.as_str()).collect();
    let mut categories: HashMap<String, Vec<String>> = HashMap::new();
    for c in contract_categories::table
        .filter(contract_categories::contract_id.eq_any(&ids))
        .select(ContractCategoryRow::as_select())
        .load(conn)?
    {
        categories
            .entry(c.contract_id)
            .or_default()
            .push(c.category_code);
    }
    Ok(rows
        .into_iter()
        .map(|row| {
            let mut categories = categories.remove(&row.id).unwrap_or_default();
            categories.sort();
            ContractRecord { categories, row }
        })
        .collect())
}

fn insert_contract_categories(conn: &mut DbConnection, record: &ContractRecord) -> QueryResult<()> {
    let rows: Vec<ContractCategoryRow> = record
        .categories
        .iter()
        .map(|c| ContractCategoryRow {
            contract_id: record.row.id.clone(),
            category_code: c.clone(),
        })
        .collect();
    insert_all!(conn, contract_categories::table, &rows)?;
    Ok(())
}

pub fn insert_contract(conn: &mut DbConnection, record: &ContractRecord) -> QueryResult<()> {
    insert_all!(conn, contracts::table, &record.row)?;
    insert_contract_categories(conn, record)
}

pub fn update_contract(
    conn: &mut DbConnection,
    record: &ContractRecord,
    expected_version: i64,
) -> QueryResult<bool> {
    let n = diesel::update(
        contracts::table
            .filter(contracts::id.eq(&record.row.id))
            .filter(contracts::version.eq(expected_version)),
    )
    .set(&record.row)
    .execute(conn)?;
    if n != 1 {
        return Ok(false);
    }
    diesel::delete(
        contract_categories::table.filter(contract_categories::contract_id.eq(&record.row.id)),
    )
    .execute(conn)?;
    insert_contract_categories(conn, record)?;
    Ok(true)
}

/// Every live provision with its children, for building the search index. Children are read
/// table by table (no id lists: there may be more ids than an engine takes as parameters).
/// Every live provision.
pub fn all_provisions(conn: &mut DbConnection) -> QueryResult<Vec<ProvisionRecord>> {
    let mut all = Vec::new();
    for_each_provision(conn, |record| {
        all.push(record);
        QueryResult::Ok(())
    })?;
    Ok(all)
}

/// Calls `f` with every live provision, read row by row (the children first), so the rows of
/// a large registry are never all in memory at once.
pub fn for_each_provision<E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    mut f: impl FnMut(ProvisionRecord) -> Result<(), E>,
) -> Result<(), E> {
    let count: i64 = provisions::table.count().get_result(conn)?;
    fn map<V>(count: i64) -> FxHashMap<String, V> {
        FxHashMap::with_capacity_and_hasher(usize::try_from(count).unwrap_or(0), Default::default())
    }
    let mut categories_of: FxHashMap<String, Vec<String>> = map(count);
    for c in provision_categories::table
        .select(ProvisionCategoryRow::as_select())
        .load_iter::<ProvisionCategoryRow, DefaultLoadingMode>(conn)?
    {
        let c = c?;
        categories_of
            .entry(c.provision_id)
            .or_default()
            .push(c.category_code);
    }
    let mut locations_of: FxHashMap<String, Vec<LocationRow>> = map(count);
    for l in provision_locations::table
        .order((
            provision_locations::provision_id,
            provision_locations::position,
        ))
        .select(LocationRow::as_select())
        .load_iter::<LocationRow, DefaultLoadingMode>(conn)?
    {
        let l = l?;
        locations_of
            .entry(l.provision_id.clone())
            .or_default()
            .push(l);
    }
    let mut areas_of: FxHashMap<String, Vec<ServiceAreaRow>> = map(count);
    for a in provision_service_areas::table
        .select(ServiceAreaRow::as_select())
        .load_iter::<ServiceAreaRow, DefaultLoadingMode>(conn)?
    {
        let a = a?;
        areas_of.entry(a.provision_id.clone()).or_default().push(a);
    }
    // The children of deleted provisions were read too and are left out here: cheaper than a
    // subquery per table.
    for row in provisions::table
        .filter(provisions::deleted_at.is_null())
        .select(ProvisionRow::as_select())
        .load_iter::<ProvisionRow, DefaultLoadingMode>(conn)?
    {
        let row = row?;
        let mut categories = categories_of.remove(&row.id).unwrap_or_default();
        categories.sort();
        let mut service_areas = areas_of.remove(&row.id).unwrap_or_default();
        service_areas.sort_by(|a, b| (&a.scope, &a.code).cmp(&(&b.scope, &b.code)));
        f(ProvisionRecord {
            locations: locations_of.remove(&row.id).unwrap_or_default(),
            categories,
            service_areas,
            row,
        })?;
    }
    Ok(())
}

/// Id and name of every live organisation.
pub fn all_organisation_names(conn: &mut DbConnection) -> QueryResult<HashMap<String, String>> {
    organisation_names(conn, None)
}

/// The name of each live organisation, or of those among `only`.
pub fn organisation_names(
    conn: &mut DbConnection,
    only: Option<&[String]>,
) -> QueryResult<HashMap<String, String>> {
    let mut query = organisations::table
        .filter(organisations::deleted_at.is_null())
        .into_boxed();
    if let Some(ids) = only {
        query = query.filter(organisations::id.eq_any(ids));
    }
    Ok(query
        .select((organisations::id, organisations::name))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect())
}

/// The live provisions of these organisations.
pub fn provisions_of_organisations(
    conn: &mut DbConnection,
    organisation_ids: &[String],
) -> QueryResult<Vec<String>> {
    provisions::table
        .filter(provisions::deleted_at.is_null())
        .filter(provisions::organisation_id.eq_any(organisation_ids))
        .select(provisions::id)
        .load(conn)
}

/// Every live contract of a live organisation, with the organisation.
pub fn all_contracts(
    conn: &mut DbConnection,
) -> QueryResult<Vec<(ContractRecord, OrganisationRow)>> {
    let rows = contract_query(&ContractFilter::default())
        .select(ContractRow::as_select())
        .load(conn)?;
    let organisations: HashMap<String, OrganisationRow> = organisations::table
        .filter(organisations::deleted_at.is_null())
        .select(OrganisationRow::as_select())
        .load(conn)?
        .into_iter()
        .map(|o| (o.id.clone(), o))
        .collect();
    Ok(contracts_with_categories(conn, rows)?
        .into_iter()
        .filter_map(|c| {
            let organisation = organisations.get(&c.row.organisation_id)?.clone();
            Some((c, organisation))
        })
        .collect())
}
