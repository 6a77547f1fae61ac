//! `serve`: migrate, seed when empty, load the read model, and serve until SIGTERM/Ctrl-C.

use std::sync::Arc;

use actix_web::HttpServer;

use super::AnyError;
use crate::api::read_model::{ReadModel, spawn_poller};
use crate::api::{AppState, auth::TokenVerifier, build_app};
use crate::config::{ServeSettings, Settings};
use crate::db;

/// Prepares the database and the in-memory state: what `serve` and the tests share.
pub fn prepare(
    settings: &Settings,
    seed_when_empty: bool,
    max_body_bytes: usize,
) -> Result<AppState, AnyError> {
    let url = settings.database_url();
    let pool = db::connect(&url, settings.pool_size)?;
    let mut conn = pool.get()?;
    let applied = db::migrate(&mut conn)?;
    if applied > 0 {
        tracing::info!(migrations = applied, "database migrated");
    }
    if seed_when_empty && !db::reference::is_seeded(&mut conn)? {
        tracing::info!("empty database: loading reference data and the synthetic demo set");
        let report = db::seed::seed_reference(&mut conn)?;
        let demo = db::demo::seed_demo(&mut conn)?;
        tracing::info!(rows = report.total(), %demo, "seeded");
    }
    let reference = db::reference::load_reference(&mut conn)?;
    tracing::info!(
        municipalities = reference.municipalities.len(),
        areas = reference.areas.len(),
        "reference data loaded"
    );
    let rendered =
        crate::api::read_model::store_missing_documents(&mut conn).map_err(|e| e.to_string())?;
    if rendered > 0 {
        tracing::info!(
            provisions = rendered,
            "provision documents rendered and stored"
        );
    }
    let started = std::time::Instant::now();
    let reference = Arc::new(reference);
    let read_model = ReadModel::start(&pool, &reference).map_err(|e| e.to_string())?;
    tracing::info!(
        provisions = read_model.index().len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "search index built"
    );
    Ok(AppState {
        pool,
        reference,
        auth: Arc::new(TokenVerifier::new(&settings.token_settings()?)?),
        read_model: Arc::new(read_model),
        max_body_bytes,
        cors_origins: Vec::new().into(),
    })
}

pub fn serve(settings: &Settings, serve: &ServeSettings) -> Result<(), AnyError> {
    let mut state = prepare(settings, serve.seed_when_empty, serve.max_body_bytes)?;
    state.cors_origins = serve.cors_origins.clone().into();
    let bind = serve.bind.clone();
    let workers = serve.workers;
    actix_web::rt::System::new().block_on(async move {
        spawn_poller(state.clone());
        let mut server = HttpServer::new(move || build_app(state.clone()))
            .shutdown_timeout(20)
            .bind(&bind)?;
        if let Some(n) = workers {
            server = server.workers(n);
        }
        tracing::info!(address = %bind, "serving sociale-kaart; docs at /api/v1/docs/");
        // actix handles SIGINT/SIGTERM: it stops accepting and drains in-flight requests.
        server.run().await
    })?;
    tracing::info!("stopped");
    Ok(())
}
