//! Regions' basic sets, every version kept.

use diesel::prelude::*;

use super::DbConnection;
use super::rows::{BasicSetItemRow, BasicSetRow};
use super::schema::{basic_set_items, basic_sets};

/// A version of a basic set with its categories (in the order stored).
pub type StoredSet = (BasicSetRow, Vec<BasicSetItemRow>);

/// The newest version of a region's set, or the version asked for.
pub fn find(
    conn: &mut DbConnection,
    region: &str,
    version: Option<i32>,
) -> QueryResult<Option<StoredSet>> {
    let mut query = basic_sets::table
        .filter(basic_sets::region_code.eq(region))
        .order(basic_sets::version.desc())
        .select(BasicSetRow::as_select())
        .into_boxed();
    if let Some(v) = version {
        query = query.filter(basic_sets::version.eq(v));
    }
    let Some(set) = query.first(conn).optional()? else {
        return Ok(None);
    };
    let items = basic_set_items::table
        .filter(basic_set_items::region_code.eq(region))
        .filter(basic_set_items::version.eq(set.version))
        .order(basic_set_items::category_code.asc())
        .select(BasicSetItemRow::as_select())
        .load(conn)?;
    Ok(Some((set, items)))
}

/// The versions of a region's set, oldest first.
pub fn versions(conn: &mut DbConnection, region: &str) -> QueryResult<Vec<i32>> {
    basic_sets::table
        .filter(basic_sets::region_code.eq(region))
        .order(basic_sets::version.asc())
        .select(basic_sets::version)
        .load(conn)
}

/// The newest version of every region's set.
pub fn all_current(conn: &mut DbConnection) -> QueryResult<Vec<StoredSet>> {
    let regions: Vec<String> = basic_sets::table
        .select(basic_sets::region_code)
        .distinct()
        .order(basic_sets::region_code.asc())
        .load(conn)?;
    let mut sets = Vec::with_capacity(regions.len());
    for region in regions {
        sets.extend(find(conn, &region, None)?);
    }
    Ok(sets)
}

pub fn insert(
    conn: &mut DbConnection,
    set: &BasicSetRow,
    items: &[BasicSetItemRow],
) -> QueryResult<()> {
    diesel::insert_into(basic_sets::table)
        .values(set)
        .execute(conn)?;
    for item in items {
        diesel::insert_into(basic_set_items::table)
            .values(item)
            .execute(conn)?;
    }
    Ok(())
}
