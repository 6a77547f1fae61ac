//! Bulk export of every provision, as CSV (one row per provision, the documented columns of
//! `docs/import-export.md`), as native NDJSON (each provision as `GET /provisions/{id}` gives
//! it), or as HSDS 3.0 NDJSON (fully nested services). Read from the database in batches and
//! streamed, so memory stays flat however large the registry.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::IntoParams;

use super::AppState;
use super::hsds::{Context, Listed, service_json, without_nulls};
use super::provisions::Provision;
use crate::db::hsds::ServiceFilter;
use crate::db::rows::OrganisationRow;
use crate::db::{self, DbConnection};
use crate::error::ApiError;
use crate::index::Reference;

/// Provisions read per batch.
pub const BATCH: i64 = 200;

/// The columns of the CSV, in order. Lists within a cell are separated by `;`; the location
/// columns hold one entry per location, in the same order.
pub const CSV_COLUMNS: [&str; 26] = [
    "id",
    "organisationId",
    "organisationName",
    "organisationKvkNumber",
    "organisationAgbCode",
    "name",
    "description",
    "categories",
    "access",
    "status",
    "minAge",
    "maxAge",
    "freeOfCharge",
    "costDescription",
    "languages",
    "website",
    "email",
    "phone",
    "openingHours",
    "serviceAreas",
    "locationStreets",
    "locationHouseNumbers",
    "locationPostcodes",
    "locationCities",
    "locationPoints",
    "verifiedAt",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Ndjson,
    Hsds,
}

impl Format {
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Ndjson | Format::Hsds => "application/x-ndjson",
        }
    }
}

fn joined<T: AsRef<str>>(items: impl IntoIterator<Item = T>) -> String {
    items
        .into_iter()
        .map(|s| s.as_ref().to_owned())
        .collect::<Vec<_>>()
        .join("; ")
}

/// One CSV row of a provision.
fn csv_row(p: &Provision, org: &OrganisationRow) -> Vec<String> {
    let text = |s: &Option<String>| s.clone().unwrap_or_default();
    let locations = &p.summary.locations;
    vec![
        p.summary.id.to_string(),
        p.summary.organisation_id.to_string(),
        org.name.clone(),
        text(&org.kvk_number),
        text(&org.agb_code),
        p.summary.name.clone(),
        text(&p.description),
        joined(&p.summary.categories),
        p.summary.access.clone(),
        p.summary.status.clone(),
        p.summary.min_age.to_string(),
        p.summary.max_age.to_string(),
        p.summary.free_of_charge.to_string(),
        text(&p.cost_description),
        joined(&p.summary.languages),
        text(&p.summary.website),
        text(&p.summary.email),
        text(&p.summary.phone),
        joined(
            p.opening_hours
                .iter()
                .map(|h| format!("{} {}-{}", h.day, h.opens, h.closes)),
        ),
        joined(p.service_areas.iter().map(|a| match &a.code {
            Some(code) => format!("{}:{code}", a.scope),
            None => a.scope.clone(),
        })),
        joined(locations.iter().map(|l| l.street.as_str())),
        joined(locations.iter().map(|l| l.house_number.as_str())),
        joined(locations.iter().map(|l| l.postcode.as_str())),
        joined(locations.iter().map(|l| l.city.as_str())),
        joined(locations.iter().map(|l| format!("{} {}", l.lat, l.lon))),
        p.summary
            .verified_at
            .map(|v| v.to_rfc3339())
            .unwrap_or_default(),
    ]
}

/// The CSV header line.
pub fn csv_header() -> Result<Vec<u8>, ApiError> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record(CSV_COLUMNS).map_err(ApiError::internal)?;
    out.into_inner()
        .map_err(|e| ApiError::internal(e.into_error()))
}

/// A batch of provisions in `format`.
pub fn render(
    format: Format,
    reference: &Reference,
    items: &[Listed],
) -> Result<Vec<u8>, ApiError> {
    let mut out = Vec::new();
    match format {
        Format::Csv => {
            let mut w = csv::WriterBuilder::new()
                .has_headers(false)
                .from_writer(&mut out);
            for (p, org) in items {
                w.write_record(csv_row(p, org))
                    .map_err(ApiError::internal)?;
            }
            w.flush().map_err(ApiError::internal)?;
        }
        Format::Ndjson => {
            for (p, _) in items {
                serde_json::to_writer(&mut out, p).map_err(ApiError::internal)?;
                out.push(b'\n');
            }
        }
        Format::Hsds => {
            let cx = Context::new(reference);
            for (p, org) in items {
                let service = without_nulls(service_json(&cx, p, org, true));
                serde_json::to_writer(&mut out, &service).map_err(ApiError::internal)?;
                out.push(b'\n');
            }
        }
    }
    Ok(out)
}

/// The next batch after the provision id `after` (`""` for the first), and the last id in it.
pub fn next_batch(
    conn: &mut DbConnection,
    filter: &ServiceFilter,
    after: &str,
) -> Result<(Vec<Listed>, Option<String>), ApiError> {
    let ids = db::hsds::service_ids_after(conn, filter, after, BATCH)?;
    Ok((super::hsds::load(conn, &ids)?, ids.last().cloned()))
}

/// Streams every provision that matches `filter` in `format`, batch by batch.
pub fn stream(state: web::Data<AppState>, filter: ServiceFilter, format: Format) -> HttpResponse {
    use futures_util::stream;
    let header = match format {
        Format::Csv => csv_header().unwrap_or_default(),
        _ => Vec::new(),
    };
    let body = stream::unfold(Some((String::new(), header)), move |cursor| {
        let state = state.clone();
        let filter = filter.clone();
        async move {
            let (after, mut chunk) = cursor?;
            let batch = state
                .db(move |conn| next_batch(conn, &filter, &after))
                .await;
            match batch {
                Err(e) => Some((Err(actix_web::Error::from(e)), None)),
                Ok((items, _)) if items.is_empty() && chunk.is_empty() => None,
                Ok((items, last)) => match render(format, &state.reference, &items) {
                    Ok(rendered) => {
                        chunk.extend(rendered);
                        let next = last.map(|l| (l, Vec::new()));
                        Some((Ok(web::Bytes::from(chunk)), next))
                    }
                    Err(e) => Some((Err(actix_web::Error::from(e)), None)),
                },
            }
        }
    });
    HttpResponse::Ok()
        .content_type(format.content_type())
        .streaming(body)
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `csv` (one row per provision, the import columns), `ndjson` (each provision as
    /// `GET /provisions/{id}` gives it, one per line) or `hsds` (HSDS 3.0 services, one per line).
    #[param(value_type = String, example = "csv")]
    pub format: Format,
}

/// Every provision, for bulk copies: CSV, native NDJSON or HSDS 3.0 NDJSON, streamed.
#[utoipa::path(get, path = "/exports/provisions", tag = "provisions", operation_id = "export_provisions",
    params(ExportQuery),
    responses((status = 200, description = "Every live provision in the chosen format",
        content((String = "text/csv"), (String = "application/x-ndjson")))))]
pub async fn export_provisions(
    state: web::Data<AppState>,
    query: web::Query<ExportQuery>,
) -> HttpResponse {
    stream(state, ServiceFilter::default(), query.format)
}
