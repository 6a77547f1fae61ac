//! The in-memory read model: reference data with its polygons, built from the database at start
//! and shared read-only (behind an `Arc`) by every request.

pub mod reference;

pub use reference::{Area, Category, Municipality, Postcode, Reference, Region};
