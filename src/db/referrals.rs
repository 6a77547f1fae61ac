//! Referral records: written once, counted per quarter.

use diesel::prelude::*;

use super::DbConnection;
use super::rows::ReferralRow;
use super::schema::{organisations, provisions, referrals};

pub fn insert(conn: &mut DbConnection, row: &ReferralRow) -> QueryResult<()> {
    diesel::insert_into(referrals::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ReferralRow>> {
    referrals::table
        .find(id)
        .select(ReferralRow::as_select())
        .first(conn)
        .optional()
}

/// The referrals of `municipalities` made from `from` to `until` (inclusive, `YYYY-MM-DD`).
pub fn in_period(
    conn: &mut DbConnection,
    municipalities: &[String],
    from: &str,
    until: &str,
) -> QueryResult<Vec<ReferralRow>> {
    referrals::table
        .filter(referrals::municipality_code.eq_any(municipalities.to_vec()))
        // ISO dates compare correctly as text on both engines.
        .filter(referrals::referred_on.ge(from.to_owned()))
        .filter(referrals::referred_on.le(until.to_owned()))
        .order(referrals::id.asc())
        .select(ReferralRow::as_select())
        .load(conn)
}

/// Of `ids`, the live provisions with their access (`open` / `indicated`).
pub fn provision_access(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    provisions::table
        .filter(provisions::id.eq_any(ids.to_vec()))
        .filter(provisions::deleted_at.is_null())
        .select((provisions::id, provisions::access))
        .load(conn)
}

/// Names of organisations by id, deleted ones included (a report names past providers too).
pub fn organisation_names(
    conn: &mut DbConnection,
    ids: &[String],
) -> QueryResult<Vec<(String, String)>> {
    organisations::table
        .filter(organisations::id.eq_any(ids.to_vec()))
        .select((organisations::id, organisations::name))
        .load(conn)
}
