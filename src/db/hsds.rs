//! Queries of the HSDS facade: which services (provisions) and service-at-locations (their
//! locations) a list shows, in a stable order.

use diesel::prelude::*;

use super::registry::{Page, PageRequest};
use super::schema::{provision_categories, provision_locations, provisions};
use super::{DbConnection, MultiBackend};

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The filters of HSDS list endpoints, already translated to the registry's terms.
#[derive(Debug, Clone, Default)]
pub struct ServiceFilter {
    /// Words that must all occur in the name or the description (case-insensitive).
    pub search: Vec<String>,
    /// Categories (a term and its descendants); none: any.
    pub categories: Option<Vec<String>>,
    pub access: Option<String>,
    pub organisation: Option<String>,
    /// RFC 3339 in UTC, as stored: only provisions changed after it.
    pub modified_after: Option<String>,
}

/// Adds the filters to a boxed query over `provisions` (alone or joined).
macro_rules! filtered {
    ($query:expr, $f:expr) => {{
        let f: &ServiceFilter = $f;
        let mut q = $query.filter(provisions::deleted_at.is_null());
        for word in &f.search {
            let pattern = format!("%{}%", word.to_lowercase().replace(['%', '_'], ""));
            q = q.filter(
                lower(provisions::name)
                    .like(pattern.clone())
                    .or(lower(provisions::description.assume_not_null()).like(pattern)),
            );
        }
        if let Some(categories) = &f.categories {
            q = q.filter(
                provisions::id.eq_any(
                    provision_categories::table
                        .filter(provision_categories::category_code.eq_any(categories.clone()))
                        .select(provision_categories::provision_id),
                ),
            );
        }
        if let Some(access) = &f.access {
            q = q.filter(provisions::access.eq(access.clone()));
        }
        if let Some(org) = &f.organisation {
            q = q.filter(provisions::organisation_id.eq(org.clone()));
        }
        if let Some(after) = &f.modified_after {
            q = q.filter(provisions::updated_at.gt(after.clone()));
        }
        q
    }};
}

fn service_query(f: &ServiceFilter) -> provisions::BoxedQuery<'static, MultiBackend> {
    filtered!(provisions::table.into_boxed(), f)
}

/// One page of provision ids, by name then id.
pub fn service_ids(
    conn: &mut DbConnection,
    f: &ServiceFilter,
    page: PageRequest,
) -> QueryResult<Page<String>> {
    let total = service_query(f).count().get_result(conn)?;
    let items = service_query(f)
        .order((provisions::name.asc(), provisions::id.asc()))
        .limit(page.page_size)
        .offset(page.offset())
        .select(provisions::id)
        .load(conn)?;
    Ok(Page { items, total })
}

/// Up to `limit` provision ids after `after`, by id: the batches of an NDJSON stream.
pub fn service_ids_after(
    conn: &mut DbConnection,
    f: &ServiceFilter,
    after: &str,
    limit: i64,
) -> QueryResult<Vec<String>> {
    service_query(f)
        .filter(provisions::id.gt(after.to_owned()))
        .order(provisions::id.asc())
        .limit(limit)
        .select(provisions::id)
        .load(conn)
}

/// A location of a matching provision: the location id, its provision, and its point.
pub type LocatedRow = (String, String, f64, f64);

/// A box of latitudes and longitudes: `(south, west, north, east)`.
pub type Bounds = (f64, f64, f64, f64);

/// The locations of the provisions that match, within `within` when given (the candidates of
/// a proximity search), by provision name, provision id and position.
pub fn locations(
    conn: &mut DbConnection,
    f: &ServiceFilter,
    within: Option<Bounds>,
) -> QueryResult<Vec<LocatedRow>> {
    let mut q = filtered!(
        provision_locations::table
            .inner_join(provisions::table)
            .into_boxed::<MultiBackend>(),
        f
    );
    if let Some((south, west, north, east)) = within {
        q = q.filter(
            provision_locations::lat
                .between(south, north)
                .and(provision_locations::lon.between(west, east)),
        );
    }
    q.order((
        provisions::name.asc(),
        provisions::id.asc(),
        provision_locations::position.asc(),
    ))
    .select((
        provision_locations::id,
        provision_locations::provision_id,
        provision_locations::lat,
        provision_locations::lon,
    ))
    .load(conn)
}

/// The provision a location belongs to, if both are live.
pub fn provision_of_location(
    conn: &mut DbConnection,
    location: &str,
) -> QueryResult<Option<String>> {
    provision_locations::table
        .inner_join(provisions::table)
        .filter(provision_locations::id.eq(location.to_owned()))
        .filter(provisions::deleted_at.is_null())
        .select(provision_locations::provision_id)
        .first(conn)
        .optional()
}
