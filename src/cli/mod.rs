//! The `sociale-kaart` command line: serve, migrate, seed, token, generate, import, export,
//! coverage, openapi.

pub mod coverage;
pub mod export;
pub mod import;
pub mod serve;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::api::auth;
use crate::config::Settings;
use crate::db;
use crate::domain::access::Role;

#[derive(Debug, Parser)]
#[command(
    name = "sociale-kaart",
    version,
    about = "Registry of basic provisions and contracted youth care, per Dutch municipality"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate, seed when empty, and serve the HTTP API.
    Serve(crate::config::ServeSettings),
    /// Bring the database schema up to date.
    Migrate,
    /// Load the reference data (CBS, iJw, categories) and the synthetic demo set; idempotent.
    Seed {
        /// Reference data only, no demo provisions.
        #[arg(long)]
        no_demo: bool,
    },
    /// Mint a development token (HS256 with the configured or development secret).
    Token {
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Municipality in scope (repeatable), e.g. GM0748.
        #[arg(long = "municipality")]
        municipalities: Vec<String>,
        /// Region in scope (repeatable), e.g. JZ36.
        #[arg(long = "region")]
        regions: Vec<String>,
        /// Organisation id, for provider editors.
        #[arg(long)]
        organisation: Option<String>,
        /// Subject (who the token is for).
        #[arg(long, default_value = "developer")]
        subject: String,
        /// Validity in hours.
        #[arg(long, default_value_t = 8)]
        hours: i64,
    },
    /// Write a deterministic national synthetic dataset (all marked `source: synthetic`), for
    /// benchmarks and load tests; seeds the reference data first.
    Generate {
        /// How many provisions.
        #[arg(long, default_value_t = 100_000)]
        provisions: usize,
        /// Seed of the generator: the same seed gives the same data.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    /// Import provisions from a CSV file (the export's columns) or HSDS 3.0 services (JSON or
    /// NDJSON): all rows or none.
    Import {
        file: std::path::PathBuf,
        /// `csv` or `hsds`; by default from the extension (.json, .ndjson: hsds).
        #[arg(long, value_enum)]
        format: Option<crate::api::imports::FileFormat>,
        /// Check everything and report, without writing.
        #[arg(long)]
        dry_run: bool,
        /// Also write the problems as CSV (row, column, message) to this file.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
    },
    /// Write every provision as CSV (the import columns), native NDJSON or HSDS 3.0 NDJSON.
    Export {
        #[arg(long, value_enum)]
        format: crate::api::exports::Format,
        /// The file to write; standard output when left out.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Print how the member municipalities of a region cover its basic set.
    Coverage {
        /// CBS region code, e.g. JZ36.
        #[arg(long)]
        region: String,
        #[arg(long, value_enum, default_value_t = coverage::Format::Table)]
        format: coverage::Format,
    },
    /// Print (or write) the OpenAPI document.
    Openapi {
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s)
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    crate::telemetry::init(cli.settings.log_format);
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            let mut source = e.source();
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            ExitCode::FAILURE
        }
    }
}

type AnyError = Box<dyn std::error::Error + Send + Sync>;

fn execute(cli: Cli) -> Result<(), AnyError> {
    let settings = cli.settings;
    match cli.command {
        Command::Serve(serve) => serve::serve(&settings, &serve),
        Command::Migrate => {
            let mut conn = db::establish(&settings.database_url())?;
            let n = db::migrate(&mut conn)?;
            println!("applied {n} migration(s)");
            Ok(())
        }
        Command::Seed { no_demo } => {
            let mut conn = db::establish(&settings.database_url())?;
            db::migrate(&mut conn)?;
            let report = db::seed::seed_reference(&mut conn)?;
            println!(
                "reference data: {} new rows ({} regions, {} municipalities, {} areas, {} postcodes, {} categories, {} basic sets)",
                report.total(),
                report.regions,
                report.municipalities,
                report.areas,
                report.postcodes,
                report.categories,
                report.basic_sets
            );
            if !no_demo {
                let demo = db::demo::seed_demo(&mut conn)?;
                crate::api::read_model::store_missing_documents(&mut conn)?;
                println!("demo set: {demo}");
            }
            Ok(())
        }
        Command::Token {
            role,
            municipalities,
            regions,
            organisation,
            subject,
            hours,
        } => {
            let secret = settings.jwt_secret()?;
            let mut claims =
                auth::claims_for(&subject, role, municipalities, regions, organisation, hours);
            claims.iss = settings.token_issuer.clone();
            claims.aud = settings.token_audience.clone();
            println!("{}", auth::mint(&secret, &claims)?);
            Ok(())
        }
        Command::Generate { provisions, seed } => {
            let mut conn = db::establish(&settings.database_url())?;
            db::migrate(&mut conn)?;
            db::seed::seed_reference(&mut conn)?;
            let started = std::time::Instant::now();
            let report = db::synthetic::generate(&mut conn, provisions, seed)?;
            crate::api::read_model::store_missing_documents(&mut conn)?;
            println!(
                "generated {} provisions, {} organisations and {} contracts in {:.1} s (source: synthetic)",
                report.provisions,
                report.organisations,
                report.contracts,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Import {
            file,
            format,
            dry_run,
            report,
        } => {
            let format = import::format_of(&file, format);
            let outcome = import::import(&settings, &file, format, dry_run)?;
            import::print(&outcome, &mut std::io::stdout().lock())?;
            if let Some(path) = report {
                import::write_errors(&outcome, &path)?;
            }
            if outcome.errors.is_empty() {
                Ok(())
            } else {
                Err(format!("{} problem(s) in {}", outcome.errors.len(), file.display()).into())
            }
        }
        Command::Export { format, output } => {
            let started = std::time::Instant::now();
            let written = match output {
                Some(path) => {
                    let mut file = std::io::BufWriter::new(std::fs::File::create(&path)?);
                    export::export(&settings, format, &mut file)?
                }
                None => export::export(&settings, format, &mut std::io::stdout().lock())?,
            };
            eprintln!(
                "exported {written} provisions in {:.1} s",
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Coverage { region, format } => {
            coverage::print(&settings, &region, format, &mut std::io::stdout().lock())
        }
        Command::Openapi { output } => {
            let json = crate::api::docs::openapi_json();
            match output {
                Some(path) => std::fs::write(path, json)?,
                None => print!("{json}"),
            }
            Ok(())
        }
    }
}
