//! Reports over the registry for editors: what has not been checked for a while.

use diesel::prelude::*;

use super::registry::{Page, PageRequest};
use super::schema::{organisations, provision_locations, provision_service_areas, provisions};
use super::{DbConnection, MultiBackend};

/// A provision on the stale list.
#[derive(Debug, Clone, PartialEq, Queryable)]
pub struct StaleRow {
    pub id: String,
    pub name: String,
    pub status: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub verified_at: Option<String>,
    pub updated_at: String,
}

/// The live provisions of a municipality — located in it, or serving it or one of its `areas`
/// by name — that were never verified or last verified before `cutoff` (RFC 3339, UTC).
fn stale_query(
    municipality: &str,
    areas: &[String],
    cutoff: &str,
) -> provisions::BoxedQuery<'static, MultiBackend> {
    let located = provision_locations::table
        .filter(provision_locations::municipality_code.eq(municipality.to_owned()))
        .select(provision_locations::provision_id);
    let serving = provision_service_areas::table
        .filter(
            provision_service_areas::scope
                .eq("municipality")
                .and(provision_service_areas::code.eq(municipality.to_owned()))
                .or(provision_service_areas::scope
                    .eq("area")
                    .and(provision_service_areas::code.eq_any(areas.to_vec()))),
        )
        .select(provision_service_areas::provision_id);
    provisions::table
        .filter(provisions::deleted_at.is_null())
        .filter(
            provisions::id
                .eq_any(located)
                .or(provisions::id.eq_any(serving)),
        )
        // RFC 3339 in UTC with the same precision compares correctly as text on both engines.
        .filter(
            provisions::verified_at
                .is_null()
                .or(provisions::verified_at.lt(cutoff.to_owned())),
        )
        .into_boxed()
}

/// One page of the stale list, never verified first, then the oldest verification first.
pub fn stale_provisions(
    conn: &mut DbConnection,
    municipality: &str,
    areas: &[String],
    cutoff: &str,
    page: PageRequest,
) -> QueryResult<Page<StaleRow>> {
    let total = stale_query(municipality, areas, cutoff)
        .count()
        .get_result(conn)?;
    let items = stale_query(municipality, areas, cutoff)
        .inner_join(organisations::table)
        .order((
            provisions::verified_at.is_not_null(),
            provisions::verified_at.asc(),
            provisions::name.asc(),
            provisions::id.asc(),
        ))
        .limit(page.page_size)
        .offset(page.offset())
        .select((
            provisions::id,
            provisions::name,
            provisions::status,
            provisions::organisation_id,
            organisations::name,
            provisions::verified_at,
            provisions::updated_at,
        ))
        .load(conn)?;
    Ok(Page { items, total })
}
