//! Storage: one diesel code path over SQLite (embedded default) and PostgreSQL (deployment).

pub mod basic_sets;
pub mod changes;
pub mod demo;
pub mod hsds;
pub mod imports;
pub mod reference;
pub mod referrals;
pub mod registry;
pub mod reports;
pub mod rows;
pub mod schema;
pub mod seed;
pub mod synthetic;

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
    #[error("{0}")]
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
                "PRAGMA busy_timeout = 5000; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
            )
            .map_err(r2d2::Error::QueryError)?;
        }
        Ok(())
    }
}

/// The SQLite file's path, with its directory created; switches the file to WAL once (a
/// persistent setting), so the pool's connections do not race to do it.
fn prepare_sqlite_file(url: &str) -> Result<String, DbError> {
    let path = sqlite_path(url);
    if let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut conn = SqliteConnection::establish(path)
        .map_err(|e| DbError::Migration(format!("cannot open {path}: {e}")))?;
    conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL;")?;
    Ok(path.to_owned())
}

/// Opens a pool on `url`, creating the SQLite file (and its directory) when needed.
pub fn connect(url: &str, max_size: u32) -> Result<Pool, DbError> {
    let url = match Engine::of(url) {
        Engine::Postgres => url.to_owned(),
        Engine::Sqlite => prepare_sqlite_file(url)?,
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

/// Opens a single connection (for the command line and tests), outside any pool.
pub fn establish(url: &str) -> Result<DbConnection, DbError> {
    let connection_error =
        |e: diesel::ConnectionError| DbError::Migration(format!("cannot connect: {e}"));
    match Engine::of(url) {
        Engine::Postgres => PgConnection::establish(url)
            .map(DbConnection::Postgres)
            .map_err(connection_error),
        Engine::Sqlite => {
            let path = prepare_sqlite_file(url)?;
            let mut conn = SqliteConnection::establish(&path).map_err(connection_error)?;
            conn.batch_execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")?;
            Ok(DbConnection::Sqlite(conn))
        }
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

/// A transaction that writes. On SQLite it takes the write lock with its first statement: a
/// transaction that reads first and upgrades later cannot wait for a concurrent writer and
/// fails with "database is locked", while one that starts by writing waits (busy timeout).
/// On PostgreSQL writers take one transaction lock too, so change-log numbers become visible
/// in order: an instance that has seen change `n` has seen every change before it, which the
/// read model's incremental update relies on.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::RunQueryDsl;
    conn.transaction(|conn| {
        match conn {
            DbConnection::Sqlite(_) => {
                diesel::sql_query("UPDATE changes SET seq = seq WHERE 0 = 1").execute(conn)?
            }
            DbConnection::Postgres(_) => {
                diesel::sql_query("SELECT pg_advisory_xact_lock(7355608)").execute(conn)?
            }
        };
        work(conn)
    })
}
