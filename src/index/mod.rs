//! The in-memory read model: reference data with its polygons, and the provision search index.
//! Both are built from the database and shared read-only (behind an `Arc`) by every request;
//! the provision index is rebuilt and swapped after writes.

pub mod provisions;
pub mod reference;

pub use provisions::{ProvisionDoc, ProvisionIndex};
pub use reference::{Area, Category, Municipality, Postcode, Reference, Region};
