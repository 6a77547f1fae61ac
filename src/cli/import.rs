//! `sociale-kaart import FILE [--format csv|hsds] [--dry-run] [--report errors.csv]`: the file's
//! provisions (CSV, or HSDS 3.0 JSON/NDJSON) in,
//! all or nothing, with a progress bar on a terminal and every problem per row and column.

use std::io::{IsTerminal, Write};

use super::AnyError;
use crate::api::imports::{FileFormat, ImportFile, ImportReport, apply, errors_csv};
use crate::config::Settings;
use crate::db;
use crate::db::changes::Actor;

/// Draws `[#####-----] 1200/5000 rows` on standard error, at most 100 times.
fn progress_bar() -> impl FnMut(usize, usize) {
    let terminal = std::io::stderr().is_terminal();
    let mut shown = 0;
    move |done, total| {
        let step = (total / 100).max(1);
        if !terminal || (done % step != 0 && done != total) || done == shown {
            return;
        }
        shown = done;
        let filled = done * 30 / total.max(1);
        eprint!(
            "\r[{}{}] {done}/{total} rows",
            "#".repeat(filled),
            "-".repeat(30 - filled)
        );
        if done == total {
            eprintln!();
        }
    }
}

/// Imports `path`; returns the report (errors included: the caller decides the exit code).
/// The format of a file: given, or by its extension (`.json` and `.ndjson` are HSDS).
pub fn format_of(path: &std::path::Path, given: Option<FileFormat>) -> FileFormat {
    given.unwrap_or_else(|| match path.extension().and_then(|e| e.to_str()) {
        Some("json" | "ndjson" | "jsonl") => FileFormat::Hsds,
        _ => FileFormat::Csv,
    })
}

pub fn import(
    settings: &Settings,
    path: &std::path::Path,
    format: FileFormat,
    dry_run: bool,
) -> Result<ImportReport, AnyError> {
    let text = std::fs::read_to_string(path)?;
    let mut conn = db::establish(&settings.database_url())?;
    db::migrate(&mut conn)?;
    let reference = db::reference::load_reference(&mut conn)?;
    let actor = Actor {
        subject: format!("import:{}", path.display()),
        role: "system".into(),
        organisation: None,
    };
    let mut progress = progress_bar();
    Ok(apply(
        &mut conn,
        &reference,
        ImportFile {
            text: &text,
            format,
            dry_run,
        },
        None,
        &actor,
        &mut progress,
    )?)
}

/// Prints the report for a person: the counts, then the problems and duplicates.
pub fn print(report: &ImportReport, out: &mut impl Write) -> std::io::Result<()> {
    let verb = match (report.applied, report.dry_run) {
        (true, _) => "imported",
        (false, true) if report.errors.is_empty() => "checked (dry run, nothing written)",
        _ => "NOT imported (nothing written)",
    };
    writeln!(
        out,
        "{} rows {verb}: {} created, {} updated, {} unchanged, {} new organisations",
        report.rows, report.created, report.updated, report.unchanged, report.organisations_created
    )?;
    for e in &report.errors {
        writeln!(out, "  row {} {}: {}", e.row, e.column, e.message)?;
    }
    for d in &report.duplicates {
        writeln!(
            out,
            "  probable duplicate: row {} and {} ({})",
            d.row, d.same_as, d.reason
        )?;
    }
    Ok(())
}

/// Writes the problems as CSV (`row,column,message`) for a spreadsheet.
pub fn write_errors(report: &ImportReport, path: &std::path::Path) -> std::io::Result<()> {
    std::fs::write(path, errors_csv(&report.errors))
}
