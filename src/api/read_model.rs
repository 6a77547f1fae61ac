//! Keeps this instance's provision index in step with the database: rebuilt after a local
//! write (before the write answers), and when the change log shows another instance wrote.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::api::provisions::wire;
use crate::db::{self, DbConnection, Pool};
use crate::domain::hours::PeriodText;
use crate::error::ApiError;
use crate::index::{ProvisionDoc, ProvisionIndex, Reference};

/// The resources the search index is made of (an organisation's name is searchable); a
/// contract written elsewhere does not make the index stale.
const INDEXED: [&str; 2] = ["provision", "organisation"];

/// How often an instance looks for writes made elsewhere.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

pub struct ReadModel {
    current: RwLock<Arc<ProvisionIndex>>,
    /// One rebuild at a time; a rebuild that finds the index current does nothing.
    rebuilding: tokio::sync::Mutex<()>,
}

impl ReadModel {
    pub fn new(index: ProvisionIndex) -> Self {
        Self {
            current: RwLock::new(Arc::new(index)),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    /// The index as it is now; cheap (an `Arc` clone).
    pub fn index(&self) -> Arc<ProvisionIndex> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, index: ProvisionIndex) {
        let index = Arc::new(index);
        match self.current.write() {
            Ok(mut guard) => *guard = index,
            Err(poisoned) => *poisoned.into_inner() = index,
        }
    }

    /// Rebuilds when the change log has moved past the index; returns whether it did.
    pub async fn refresh(&self, pool: &Pool, reference: &Arc<Reference>) -> Result<bool, ApiError> {
        let _one_at_a_time = self.rebuilding.lock().await;
        let known = self.index().seq;
        let (pool, reference) = (pool.clone(), reference.clone());
        let rebuilt = actix_web::web::block(move || -> Result<Option<ProvisionIndex>, ApiError> {
            let mut conn = pool.get()?;
            let seq = db::changes::latest_seq(&mut conn, &INDEXED)?;
            if seq == known {
                return Ok(None);
            }
            Ok(Some(load(&mut conn, &reference)?))
        })
        .await??;
        Ok(match rebuilt {
            Some(index) => {
                tracing::debug!(
                    seq = index.seq,
                    provisions = index.len(),
                    "search index rebuilt"
                );
                self.swap(index);
                true
            }
            None => false,
        })
    }
}

/// Builds the index from the database, at the change-log position read first (a write that
/// lands during the build is picked up by the next refresh).
pub fn load(conn: &mut DbConnection, reference: &Reference) -> Result<ProvisionIndex, ApiError> {
    let seq = db::changes::latest_seq(conn, &INDEXED)?;
    let records = db::registry::all_provisions(conn)?;
    let names = db::registry::all_organisation_names(conn)?;
    // Consumed one by one, so the rows are freed while the documents are made.
    let docs = records
        .into_iter()
        .map(|r| {
            let r = &r;
            let json = serde_json::value::to_raw_value(&wire(r)).map_err(ApiError::internal)?;
            let hours: Vec<PeriodText> =
                serde_json::from_str(&r.row.opening_hours).unwrap_or_default();
            Ok(ProvisionDoc {
                id: r.row.id.clone(),
                organisation_id: r.row.organisation_id.clone(),
                organisation_name: names
                    .get(&r.row.organisation_id)
                    .cloned()
                    .unwrap_or_default(),
                name: r.row.name.clone(),
                description: r.row.description.clone(),
                categories: r.categories.clone(),
                access: r.row.access.clone(),
                active: r.row.status == "active",
                min_age: u8::try_from(r.row.min_age).unwrap_or(0),
                max_age: u8::try_from(r.row.max_age).unwrap_or(0),
                free_of_charge: r.row.free_of_charge,
                languages: serde_json::from_str(&r.row.languages).unwrap_or_default(),
                opening_hours: hours.iter().filter_map(|p| p.parse().ok()).collect(),
                locations: r.locations.iter().map(|l| (l.lat, l.lon)).collect(),
                service_areas: r
                    .service_areas
                    .iter()
                    .map(|s| (s.scope.clone(), s.code.clone()))
                    .collect(),
                json,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;
    Ok(ProvisionIndex::build(seq, docs, reference))
}

/// Polls the change log and refreshes the index when another instance wrote. Runs until the
/// process ends.
pub fn spawn_poller(state: crate::api::AppState) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(POLL_INTERVAL);
        loop {
            tick.tick().await;
            if let Err(e) = state
                .read_model
                .refresh(&state.pool, &state.reference)
                .await
            {
                tracing::warn!(error = %e, "could not refresh the search index");
            }
        }
    });
}
