//! Keeps this instance's provision and contract indexes in step with the database: brought up
//! to date after a local write (before the write answers), and when the change log shows
//! another instance wrote. Each is refreshed only when a resource it is made of changed; the
//! provision index takes in the written provisions only, until many were written.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::api::provisions::{FIRST_DETAIL, render};
use crate::db::registry::IndexedProvision;
use crate::db::{self, DbConnection, Pool};
use crate::domain::coverage::BasicSet;
use crate::domain::hours::PeriodText;
use crate::error::ApiError;
use crate::index::provisions::IndexBuilder;
use crate::index::{ContractDoc, ContractIndex, ProvisionDoc, ProvisionIndex, Reference};
use chrono::NaiveDate;
use serde_json::value::RawValue;

/// The resources the search index is made of (an organisation's name is searchable); a
/// contract written elsewhere does not make it stale.
const INDEXED: [&str; 2] = ["provision", "organisation"];
/// The resources the contract index is made of (it shows the provider's name and codes).
const CONTRACTED: [&str; 2] = ["contract", "organisation"];

/// The regions' basic sets (coverage is computed against the current one).
const BASIC_SETS: [&str; 1] = ["basic-set"];

/// How often an instance looks for writes made elsewhere.
pub const POLL_INTERVAL: Duration = Duration::from_millis(500);

pub struct ReadModel {
    current: Arc<Current>,
    builder: BuildThread,
}

/// The indexes as they are now.
struct Current {
    index: RwLock<Arc<ProvisionIndex>>,
    contracts: RwLock<Arc<ContractIndex>>,
    basic_sets: RwLock<Arc<BasicSets>>,
}

/// The current basic set of every region that has one.
#[derive(Debug, Default)]
pub struct BasicSets {
    /// The change-log sequence number they reflect.
    pub seq: i64,
    pub by_region: HashMap<String, BasicSet>,
}

impl ReadModel {
    /// Builds the read model from the database on its own builder thread.
    pub fn start(pool: &Pool, reference: &Arc<Reference>) -> Result<Self, ApiError> {
        let builder = BuildThread::spawn()?;
        let (pool, reference) = (pool.clone(), reference.clone());
        let (index, contracts, sets) =
            builder.run_blocking(move || -> Result<_, ApiError> {
                let mut conn = pool.get()?;
                Ok((
                    load(&mut conn, &reference)?,
                    load_contracts(&mut conn)?,
                    load_basic_sets(&mut conn)?,
                ))
            })??;
        let current = Current {
            index: RwLock::new(Arc::new(index)),
            contracts: RwLock::new(Arc::new(contracts)),
            basic_sets: RwLock::new(Arc::new(sets)),
        };
        Ok(Self {
            current: Arc::new(current),
            builder,
        })
    }

    /// The index as it is now; cheap (an `Arc` clone).
    pub fn index(&self) -> Arc<ProvisionIndex> {
        read(&self.current.index)
    }

    /// The contracts as they are now; cheap (an `Arc` clone).
    pub fn contracts(&self) -> Arc<ContractIndex> {
        read(&self.current.contracts)
    }

    /// The regions' current basic sets; cheap (an `Arc` clone).
    pub fn basic_sets(&self) -> Arc<BasicSets> {
        read(&self.current.basic_sets)
    }

    /// Brings up to date what the change log shows to be behind; says what was refreshed.
    /// Refreshes run one after the other on the builder thread.
    pub async fn refresh(
        &self,
        pool: &Pool,
        reference: &Arc<Reference>,
    ) -> Result<Refreshed, ApiError> {
        let (current, pool, reference) = (self.current.clone(), pool.clone(), reference.clone());
        self.builder
            .run(move || current.refresh(&pool, &reference))
            .await?
    }
}

impl Current {
    fn refresh(&self, pool: &Pool, reference: &Reference) -> Result<Refreshed, ApiError> {
        let mut conn = pool.get()?;
        let index = read(&self.index);
        let provisions = db::changes::latest_seq(&mut conn, &INDEXED)? != index.seq;
        if provisions {
            let index = update(&mut conn, reference, &index)?;
            tracing::debug!(
                seq = index.seq,
                provisions = index.len(),
                recent = index.recent_len(),
                "search index updated"
            );
            swap(&self.index, index);
        }
        let contracts =
            db::changes::latest_seq(&mut conn, &CONTRACTED)? != read(&self.contracts).seq;
        if contracts {
            let contracts = load_contracts(&mut conn)?;
            tracing::debug!(seq = contracts.seq, "contracts rebuilt");
            swap(&self.contracts, contracts);
        }
        let basic_sets =
            db::changes::latest_seq(&mut conn, &BASIC_SETS)? != read(&self.basic_sets).seq;
        if basic_sets {
            swap(&self.basic_sets, load_basic_sets(&mut conn)?);
        }
        Ok(Refreshed {
            provisions,
            contracts,
            basic_sets,
        })
    }
}

/// The one long-lived thread that builds every index. The allocator hands each thread its own
/// memory: an index built here reuses what the index before it freed, where builds on fresh
/// threads left that memory behind (620 MB resident after three rebuilds).
struct BuildThread {
    jobs: std::sync::mpsc::Sender<Box<dyn FnOnce() + Send>>,
}

/// Hands the memory this thread freed back to the system. A build allocates twice what it
/// keeps; the allocator would return the rest only when this thread allocates again.
#[allow(unsafe_code)]
fn return_free_memory() {
    // SAFETY: `mi_collect` has no preconditions; it only visits this thread's own heap (and,
    // when forced, the abandoned segments) and may be called at any time.
    unsafe { libmimalloc_sys::mi_collect(true) }
}

impl BuildThread {
    fn spawn() -> Result<Self, ApiError> {
        let (jobs, receive) = std::sync::mpsc::channel::<Box<dyn FnOnce() + Send>>();
        std::thread::Builder::new()
            .name("read-model".into())
            .spawn(move || {
                for job in receive {
                    // A job that panics drops its answer (its caller gets an error); the
                    // thread goes on with the next.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                    return_free_memory();
                }
            })
            .map_err(ApiError::internal)?;
        Ok(Self { jobs })
    }

    fn send(&self, job: Box<dyn FnOnce() + Send>) -> Result<(), ApiError> {
        self.jobs
            .send(job)
            .map_err(|_| ApiError::internal(std::io::Error::other("the read-model thread ended")))
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = tokio::sync::oneshot::channel();
        self.send(Box::new(move || {
            let _ = answer.send(work());
        }))?;
        answered
            .await
            .map_err(|_| ApiError::internal(std::io::Error::other("a read-model job panicked")))
    }

    fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, ApiError> {
        let (answer, answered) = std::sync::mpsc::sync_channel(1);
        self.send(Box::new(move || {
            let _ = answer.send(work());
        }))?;
        answered
            .recv()
            .map_err(|_| ApiError::internal(std::io::Error::other("a read-model job panicked")))
    }
}

/// What a refresh rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refreshed {
    pub provisions: bool,
    pub contracts: bool,
    pub basic_sets: bool,
}

fn read<T>(lock: &RwLock<Arc<T>>) -> Arc<T> {
    match lock.read() {
        Ok(guard) => guard.clone(),
        Err(poisoned) => poisoned.into_inner().clone(),
    }
}

fn swap<T>(lock: &RwLock<Arc<T>>, value: T) {
    let value = Arc::new(value);
    match lock.write() {
        Ok(mut guard) => *guard = value,
        Err(poisoned) => *poisoned.into_inner() = value,
    }
}

/// The current basic set of every region, at the change-log position read first.
pub fn load_basic_sets(conn: &mut DbConnection) -> Result<BasicSets, ApiError> {
    let seq = db::changes::latest_seq(conn, &BASIC_SETS)?;
    let by_region = db::basic_sets::all_current(conn)?
        .into_iter()
        .map(crate::api::coverage::basic_set)
        .map(|set| (set.region.clone(), set))
        .collect();
    Ok(BasicSets { seq, by_region })
}

/// Every live contract with its provider, at the change-log position read first.
pub fn load_contracts(conn: &mut DbConnection) -> Result<ContractIndex, ApiError> {
    let seq = db::changes::latest_seq(conn, &CONTRACTED)?;
    let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap_or_default();
    let contracts = db::registry::all_contracts(conn)?
        .into_iter()
        .map(|(c, org)| ContractDoc {
            valid_from: day(&c.row.valid_from),
            valid_until: c.row.valid_until.as_deref().map(day),
            id: c.row.id,
            organisation_id: org.id,
            organisation_name: org.name,
            agb_code: org.agb_code,
            kvk_number: org.kvk_number,
            scope: c.row.scope,
            scope_code: c.row.scope_code,
            categories: c.categories,
        })
        .collect();
    Ok(ContractIndex::new(seq, contracts))
}

/// The most provisions written since the last full build that the index keeps in its small
/// segment; past this, the whole index is built again.
pub const RECENT_LIMIT: usize = 2_000;

/// `index` brought up to the change log: the provisions written since (those of a renamed
/// organisation too: its name is searchable) replace theirs in the segment of recent writes,
/// read from the database as they are now; after many writes, the whole index is built again.
pub fn update(
    conn: &mut DbConnection,
    reference: &Reference,
    index: &ProvisionIndex,
) -> Result<ProvisionIndex, ApiError> {
    let changes = db::changes::since(conn, index.seq, &INDEXED, RECENT_LIMIT as i64 + 1)?;
    let Some(&(seq, _, _)) = changes.last() else {
        return load(conn, reference);
    };
    if changes.len() > RECENT_LIMIT {
        return load(conn, reference);
    }
    let of_type = |kind: &str| -> Vec<String> {
        let mut ids: Vec<String> = changes
            .iter()
            .filter(|(_, t, _)| t == kind)
            .map(|(_, _, id)| id.clone())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    };
    let mut provisions = of_type("provision");
    let organisations = of_type("organisation");
    if !organisations.is_empty() {
        provisions.extend(db::registry::provisions_of_organisations(
            conn,
            &organisations,
        )?);
        provisions.sort_unstable();
        provisions.dedup();
    }
    if provisions.len() + index.recent_len() > RECENT_LIMIT {
        return load(conn, reference);
    }
    let mut changed = Vec::with_capacity(provisions.len());
    for_each_doc(conn, Some(&provisions), |doc| changed.push(doc))?;
    let live: HashSet<&str> = changed.iter().map(|d| d.id.as_str()).collect();
    let deleted: Vec<String> = provisions
        .iter()
        .filter(|id| !live.contains(id.as_str()))
        .cloned()
        .collect();
    Ok(index.with_changes(reference, seq, changed, &deleted))
}

/// Builds the index from the database, at the change-log position read first (a write that
/// lands during the build is picked up by the next refresh).
pub fn load(conn: &mut DbConnection, reference: &Reference) -> Result<ProvisionIndex, ApiError> {
    let seq = db::changes::latest_seq(conn, &INDEXED)?;
    let mut builder = IndexBuilder::new(reference);
    for_each_doc(conn, None, |doc| builder.add(doc))?;
    Ok(builder.finish(seq))
}

/// Calls `add` with what the index needs of every live provision, or of the live ones among
/// `only`. One thread reads the rows while this one turns them into documents. Each
/// provision's JSON is read as stored; the few rows without one are rendered here.
fn for_each_doc(
    conn: &mut DbConnection,
    only: Option<&[String]>,
    mut add: impl FnMut(ProvisionDoc),
) -> Result<(), ApiError> {
    let names = db::registry::all_organisation_names(conn)?;
    let mut unrendered = Vec::new();
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<IndexedProvision>(1024);
        let reader = scope.spawn(|| {
            db::registry::for_each_indexed(conn, only, move |row| {
                // The receiver only hangs up after an error of its own, reported below.
                send.send(row)
                    .map_err(|_| ApiError::internal(std::io::Error::other("index build stopped")))
            })
        });
        for mut provision in receive {
            match provision.row.document.take() {
                Some(stored) => {
                    // Copied: the index's memory then belongs to this (the builder) thread,
                    // not to the reader thread, which ends with the build.
                    let json = RawValue::from_string(stored).map_err(ApiError::internal)?;
                    add(document(provision, json, &names));
                }
                None => unrendered.push(provision),
            }
        }
        reader
            .join()
            .map_err(|_| ApiError::internal(std::io::Error::other("the index reader panicked")))?
    })?;
    for provision in unrendered {
        if let Some(record) = db::registry::find_provision(conn, &provision.row.id)? {
            add(document(provision, render(&record)?, &names));
        }
    }
    Ok(())
}

/// Renders and stores the JSON of every live provision that has none (rows written by the
/// demo set, the generator, or before documents were stored); returns how many.
pub fn store_missing_documents(conn: &mut DbConnection) -> Result<usize, ApiError> {
    let missing: HashSet<String> = db::registry::provisions_without_document(conn)?
        .into_iter()
        .collect();
    if missing.is_empty() {
        return Ok(0);
    }
    let mut rendered = Vec::with_capacity(missing.len());
    db::registry::for_each_provision(conn, |record| {
        if missing.contains(&record.row.id) {
            rendered.push((record.row.id.clone(), render(&record)?));
        }
        Ok::<(), ApiError>(())
    })?;
    db::write_transaction(conn, |conn| {
        for (id, json) in &rendered {
            db::registry::set_document(conn, id, Some(json.get()))?;
        }
        Ok::<(), ApiError>(())
    })?;
    Ok(rendered.len())
}

/// Where a provision's JSON ends its summary members: at [`FIRST_DETAIL`]. Documents stored
/// before that order existed were cleared by migration 6 and rendered again.
fn summary_len(json: &str) -> u32 {
    let end = json
        .find(FIRST_DETAIL)
        .unwrap_or(json.len().saturating_sub(1));
    u32::try_from(end).unwrap_or(0)
}

/// What the index keeps of a provision: the fields the filters test, and its JSON.
fn document(
    provision: IndexedProvision,
    json: Box<RawValue>,
    names: &HashMap<String, String>,
) -> ProvisionDoc {
    let row = provision.row;
    let hours: Vec<PeriodText> = serde_json::from_str(&row.opening_hours).unwrap_or_default();
    ProvisionDoc {
        organisation_name: names.get(&row.organisation_id).cloned().unwrap_or_default(),
        id: row.id,
        organisation_id: row.organisation_id,
        name: row.name,
        description: row.description,
        categories: provision.categories,
        access: row.access,
        active: row.status == "active",
        min_age: u8::try_from(row.min_age).unwrap_or(0),
        max_age: u8::try_from(row.max_age).unwrap_or(0),
        free_of_charge: row.free_of_charge,
        languages: serde_json::from_str(&row.languages).unwrap_or_default(),
        opening_hours: hours.iter().filter_map(|p| p.parse().ok()).collect(),
        locations: provision.locations,
        service_areas: provision.service_areas,
        summary_len: summary_len(json.get()),
        json,
    }
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
