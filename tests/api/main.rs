//! Integration tests through the HTTP interface; one binary, one helper module.

mod helpers;

mod alternatives;
mod auth;
mod cli;
mod contracts;
mod coverage;
mod exports;
mod history;
mod hsds;
mod http;
mod imports;
mod instances;
mod openapi;
mod organisations;
mod provisions;
mod reference;
mod referrals;
mod roles;
mod search;
mod seed;
mod synthetic;
mod tokens;
mod verifications;
