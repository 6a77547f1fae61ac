//! Queries of the importer.

use diesel::prelude::*;

use super::DbConnection;
use super::schema::{provision_locations, provisions};

/// A stored located provision: id, name, postcode, house number, lat, lon.
pub type StoredPlace = (String, String, String, String, f64, f64);

/// The live provisions with a location at one of `postcodes` (stored without a space, upper case).
pub fn located_at(conn: &mut DbConnection, postcodes: &[String]) -> QueryResult<Vec<StoredPlace>> {
    let mut out = Vec::new();
    for chunk in postcodes.chunks(500) {
        out.extend(
            provision_locations::table
                .inner_join(provisions::table)
                .filter(provisions::deleted_at.is_null())
                .filter(provision_locations::postcode.eq_any(chunk.to_vec()))
                .select((
                    provisions::id,
                    provisions::name,
                    provision_locations::postcode,
                    provision_locations::house_number,
                    provision_locations::lat,
                    provision_locations::lon,
                ))
                .load::<StoredPlace>(conn)?,
        );
    }
    Ok(out)
}
