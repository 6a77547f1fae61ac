//! `sociale-kaart export --format csv|ndjson|hsds [--output FILE]`: every provision, batch by
//! batch, to a file or standard output.

use std::io::Write;

use super::AnyError;
use crate::api::exports::{Format, csv_header, next_batch, render};
use crate::config::Settings;
use crate::db;
use crate::db::hsds::ServiceFilter;

/// Writes every live provision in `format`; returns how many.
pub fn export(
    settings: &Settings,
    format: Format,
    out: &mut impl Write,
) -> Result<usize, AnyError> {
    let mut conn = db::establish(&settings.database_url())?;
    db::migrate(&mut conn)?;
    let reference = db::reference::load_reference(&mut conn)?;
    if format == Format::Csv {
        out.write_all(&csv_header()?)?;
    }
    let filter = ServiceFilter::default();
    let (mut after, mut written) = (String::new(), 0);
    loop {
        let (items, last) = next_batch(&mut conn, &filter, &after)?;
        let Some(last) = last else { break };
        out.write_all(&render(format, &reference, &items)?)?;
        written += items.len();
        after = last;
    }
    out.flush()?;
    Ok(written)
}
