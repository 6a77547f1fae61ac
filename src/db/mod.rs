//! Storage: one diesel code path over SQLite (embedded default) and PostgreSQL (deployment).

pub mod changes;
pub mod demo;
pub mod reference;
pub mod registry;
pub mod rows;
pub mod schema;
pub mod seed;

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::r2d2::{self, ConnectionManager, CustomizeConnection};
use diesel::{Connection, PgConnection, SqliteConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to whichever engine `DATABASE_URL` names.
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

pub type Pool = r2d2::Pool<ConnectionManager<DbConnection>>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager<DbConnection>>;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("could not open the database pool")]
    Pool(#[from] r2d2::PoolError),
    #[error("could not run the migrations: {0}")]
    Migration(String),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
    #[error("could not create the database directory")]
    Io(#[from] std::io::Error),
}

/// Which engine a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

impl Engine {
    pub fn of(url: &str) -> Self {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Engine::Postgres
        } else {
            Engine::Sqlite
        }
    }
}

/// Turns `sqlite://path` (or a bare path) into the path SQLite opens.
fn sqlite_path(url: &str) -> &str {
    url.strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url)
}

/// Every SQLite connection gets WAL, foreign keys and a busy timeout, so that concurrent
/// requests wait for each other instead of failing with "database is locked".
#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<DbConnection, r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        if let DbConnection::Sqlite(_) = conn {
            conn.batch_execute(
                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; \
                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// Opens a pool on `url`, creating the SQLite file's directory when needed.
pub fn connect(url: &str, max_size: u32) -> Result<Pool, DbError> {
    let url = match Engine::of(url) {
        Engine::Postgres => url.to_owned(),
        Engine::Sqlite => {
            let path = sqlite_path(url);
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)?;
            }
            path.to_owned()
        }
    };
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .connection_timeout(Duration::from_secs(5))
        .connection_customizer(Box::new(SqlitePragmas))
        .build(ConnectionManager::<DbConnection>::new(url))?;
    Ok(pool)
}

/// Brings the schema up to date; safe to run on every start.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, DbError> {
    let applied = match conn {
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
    }
    .map_err(|e| DbError::Migration(e.to_string()))?;
    Ok(applied.len())
}

/// Opens a single connection (for the command line), outside any pool.
pub fn establish(url: &str) -> Result<DbConnection, diesel::ConnectionError> {
    match Engine::of(url) {
        Engine::Postgres => DbConnection::establish(url),
        Engine::Sqlite => DbConnection::establish(sqlite_path(url)),
    }
}

/// Multi-row INSERT. diesel's `MultiBackend` has no batch insert, so the statement is built for
/// the engine underneath; the SQL is the same on both.
macro_rules! insert_all {
    ($conn:expr, $table:expr, $rows:expr) => {
        match $conn {
            $crate::db::DbConnection::Sqlite(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
            $crate::db::DbConnection::Postgres(c) => {
                diesel::insert_into($table).values($rows).execute(c)
            }
        }
    };
}
pub(crate) use insert_all;
