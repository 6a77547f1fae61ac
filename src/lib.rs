//! sociale-kaart: the registry of freely accessible basic provisions and contracted youth-care
//! providers for Dutch municipalities and youth-care regions.
//!
//! Layers, inner to outer: [`domain`] (pure rules) → [`index`] (in-memory read model) →
//! [`db`] (diesel, SQLite or PostgreSQL) → [`api`] (actix-web) → [`cli`].

pub mod api;
pub mod cli;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod index;
pub mod telemetry;

pub use api::{AppState, build_app};
