//! Reads of the reference tables.

use diesel::prelude::*;

use super::rows::*;
use super::schema::*;
use super::{DbConnection, DbError};
use crate::index::Reference;
use crate::index::reference::GeometryError;

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error(transparent)]
    Db(#[from] DbError),
    #[error(transparent)]
    Geometry(#[from] GeometryError),
}

impl From<diesel::result::Error> for LoadError {
    fn from(e: diesel::result::Error) -> Self {
        LoadError::Db(DbError::Query(e))
    }
}

/// Builds the in-memory reference model from the database.
pub fn load_reference(conn: &mut DbConnection) -> Result<Reference, LoadError> {
    let regions = regions::table.select(RegionRow::as_select()).load(conn)?;
    let municipalities = municipalities::table
        .select(MunicipalityRow::as_select())
        .load(conn)?;
    let areas = areas::table.select(AreaRow::as_select()).load(conn)?;
    let postcodes = postcodes::table
        .select(PostcodeRow::as_select())
        .load(conn)?;
    let categories = categories::table
        .select(CategoryRow::as_select())
        .load(conn)?;
    let mut reference = Reference::build(regions, municipalities, areas, postcodes, categories)?;
    reference.set_open_alternatives(
        super::seed::open_alternatives()
            .map_err(|e| LoadError::Db(DbError::Migration(e.to_string())))?
            .into_iter()
            .collect(),
    );
    reference.referrer_types = super::seed::referrer_types()
        .map_err(|e| LoadError::Db(DbError::Migration(e.to_string())))?
        .into_iter()
        .collect();
    Ok(reference)
}

/// The GeoJSON geometry text of a municipality.
pub fn municipality_geometry(conn: &mut DbConnection, code: &str) -> QueryResult<String> {
    municipalities::table
        .find(code)
        .select(municipalities::geometry)
        .first(conn)
}

/// The GeoJSON geometry text of an area.
pub fn area_geometry(conn: &mut DbConnection, code: &str) -> QueryResult<String> {
    areas::table.find(code).select(areas::geometry).first(conn)
}

/// Whether the reference tables hold anything yet.
pub fn is_seeded(conn: &mut DbConnection) -> QueryResult<bool> {
    let n: i64 = municipalities::table.count().get_result(conn)?;
    Ok(n > 0)
}
