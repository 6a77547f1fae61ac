//! The in-memory read model: reference data with its polygons, the provision search index and
//! the contracts. Built from the database and shared read-only (behind an `Arc`) by every
//! request; the provision and contract indexes are rebuilt and swapped after writes.

pub mod contracts;
pub mod coverage;
pub mod provisions;
pub mod reference;
mod texts;
pub mod words;

pub use contracts::{ContractDoc, ContractIndex};
pub use provisions::{ProvisionDoc, ProvisionIndex};
pub use reference::{Area, Category, Municipality, Postcode, Reference, Region};
