//! `sociale-kaart coverage --region JZ36`: the municipality × category matrix of a region's
//! basic set, as a table for the terminal, CSV or JSON.

use std::io::Write;
use std::sync::Arc;

use super::AnyError;
use crate::api::coverage::{RegionCoverage, basic_set, coverage_csv, region_coverage};
use crate::api::read_model::load;
use crate::config::Settings;
use crate::db;
use crate::domain::coverage::{Status, Thresholds};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
}

/// Builds the index from the configured database and writes the region's coverage.
pub fn print(
    settings: &Settings,
    region: &str,
    format: Format,
    out: &mut impl Write,
) -> Result<(), AnyError> {
    let mut conn = db::establish(&settings.database_url())?;
    db::migrate(&mut conn)?;
    let reference = Arc::new(db::reference::load_reference(&mut conn)?);
    let code = crate::domain::codes::RegionCode::parse(region)?;
    if !reference.regions.contains_key(code.as_str()) {
        return Err(format!("there is no region {code}").into());
    }
    let set = db::basic_sets::find(&mut conn, code.as_str(), None)?
        .map(basic_set)
        .ok_or_else(|| format!("region {code} has no basic set yet (PUT one, or run `seed`)"))?;
    let index = load(&mut conn, &reference)?;
    let coverage = region_coverage(&index, &reference, &set, Thresholds::default());
    match format {
        Format::Json => writeln!(out, "{}", serde_json::to_string_pretty(&coverage)?)?,
        Format::Csv => out.write_all(&coverage_csv(&coverage)?)?,
        Format::Table => table(&coverage, out)?,
    }
    Ok(())
}

fn mark(status: Status) -> char {
    match status {
        Status::Covered => '●',
        Status::Partial => '◐',
        Status::Missing => '○',
    }
}

fn percent(share: f64) -> String {
    format!("{:.0} %", share * 100.0)
}

/// The matrix: a row per municipality, a column per category.
fn table(c: &RegionCoverage, out: &mut impl Write) -> std::io::Result<()> {
    let t = &c.thresholds;
    writeln!(
        out,
        "Basic set of {} ({}), version {} of {}{}",
        c.region.name,
        c.region.code,
        c.basic_set.version,
        c.basic_set.adopted_on,
        if c.basic_set.illustrative {
            " — illustrative, not an official agreement"
        } else {
            ""
        }
    )?;
    writeln!(
        out,
        "Share of inhabitants living in wijken within reach: ● covered (≥ {}), ◐ partial (≥ {}), ○ missing\n",
        percent(t.covered_at.unwrap_or_default()),
        percent(t.partial_at.unwrap_or_default())
    )?;
    let name_width = c
        .municipalities
        .iter()
        .map(|m| m.name.chars().count())
        .chain([15])
        .max()
        .unwrap_or(15);
    let widths: Vec<usize> = c
        .categories
        .iter()
        .map(|k| k.category.chars().count().max(7))
        .collect();
    write!(out, "{:<name_width$}  {:>5}", "municipality", "score")?;
    for (k, w) in c.categories.iter().zip(&widths) {
        write!(out, "  {:>w$}", k.category)?;
    }
    writeln!(out)?;
    for m in &c.municipalities {
        write!(out, "{:<name_width$}  {:>5.1}", m.name, m.score)?;
        for (cell, w) in m.cells.iter().zip(&widths) {
            let text = format!("{} {}", percent(cell.share), mark(cell.status));
            write!(out, "  {text:>w$}")?;
        }
        writeln!(out)?;
    }
    for (label, pick) in [("region median", 0), ("national median", 1), ("reach", 2)] {
        write!(out, "{label:<name_width$}  {:>5}", "")?;
        for (k, w) in c.categories.iter().zip(&widths) {
            let text = match pick {
                0 => format!("{}  ", percent(k.region_median)),
                1 => format!("{}  ", percent(k.national_median)),
                _ => format!("{:.1} km  ", f64::from(k.reach_m) / 1000.0),
            };
            write!(out, "  {text:>w$}")?;
        }
        writeln!(out)?;
    }
    writeln!(out, "\n{}", c.attribution)
}
