//! Index queries and region coverage on the national synthetic set (default 100,000 provisions; set
//! `SK_BENCH_PROVISIONS` for another size). Run with `cargo bench --bench search`.

use std::hint::black_box;
use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};

/// The server's allocator (src/main.rs), so the build is measured as the server does it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use chrono::NaiveDate;
use sociale_kaart::api::coverage::region_coverage;
use sociale_kaart::api::read_model::{load, store_missing_documents};
use sociale_kaart::db::{self, reference::load_reference};
use sociale_kaart::domain::coverage::{BasicSet, SetCategory, Thresholds};
use sociale_kaart::domain::location::NlPoint;
use sociale_kaart::index::provisions::{Reach, Resident, SearchQuery};

fn bench(c: &mut Criterion) {
    let n: usize = std::env::var("SK_BENCH_PROVISIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let mut conn = db::establish(&url).expect("database");
    db::migrate(&mut conn).expect("migrate");
    db::seed::seed_reference(&mut conn).expect("seed");
    let started = Instant::now();
    db::synthetic::generate(&mut conn, n, 1).expect("generate");
    // As `sociale-kaart generate` does: the provisions' JSON is rendered once and stored.
    store_missing_documents(&mut conn).expect("documents");
    eprintln!(
        "generated {n} provisions in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let reference = load_reference(&mut conn).expect("reference");
    let started = Instant::now();
    let index = load(&mut conn, &reference).expect("index");
    eprintln!(
        "index of {} provisions built in {:.2} s (database read included)",
        index.len(),
        started.elapsed().as_secs_f64()
    );

    let pc = reference.postcodes.get("4611").expect("4611");
    let origin = NlPoint::new(pc.lat, pc.lon).ok();
    let resident = Resident {
        municipality: "GM0748".into(),
        region: "JZ36".into(),
        area: pc.area_code.clone(),
    };
    let neighbourhood = SearchQuery {
        origin,
        reach: Some(Reach::Radius(5_000.0)),
        resident: Some(resident.clone()),
        categories: Some(reference.category_with_descendants("opvoeden").to_vec()),
        active: Some(true),
        age: Some(9),
        ..Default::default()
    };
    let alternatives = SearchQuery {
        origin,
        reach: Some(Reach::PerCategory {
            default_m: 10_000.0,
            max_m: 10_000.0,
        }),
        resident: Some(resident.clone()),
        categories: Some(reference.open_alternatives("ijw-45").to_vec()),
        access: Some("open".into()),
        active: Some(true),
        age: Some(9),
        ..Default::default()
    };
    let text = SearchQuery {
        origin,
        reach: Some(Reach::Radius(10_000.0)),
        resident: Some(resident),
        text: Some("opvoe".into()),
        active: Some(true),
        ..Default::default()
    };
    eprintln!(
        "hits: neighbourhood {}, alternatives {}, text {}",
        index.search(&neighbourhood).len(),
        index.search(&alternatives).len(),
        index.search(&text).len()
    );
    c.bench_function("neighbourhood search (5 km, category tree, age)", |b| {
        b.iter(|| black_box(index.search(black_box(&neighbourhood))))
    });
    c.bench_function("alternatives search (per-category reach)", |b| {
        b.iter(|| black_box(index.search(black_box(&alternatives))))
    });
    c.bench_function("text search 'opvoe' within 10 km", |b| {
        b.iter(|| black_box(index.search(black_box(&text))))
    });
    // Coverage: every region gets a basic set of 10 open categories, each region a different
    // window of the taxonomy, so all of them are computed (the most work there can be).
    let mut open: Vec<&str> = reference
        .categories
        .values()
        .filter(|c| c.access == "open" && c.default_reach_m.is_some())
        .map(|c| c.code.as_str())
        .collect();
    open.sort_unstable();
    let sets: Vec<BasicSet> = reference
        .regions
        .keys()
        .enumerate()
        .map(|(i, region)| BasicSet {
            region: region.clone(),
            version: 1,
            adopted_on: NaiveDate::default(),
            illustrative: true,
            note: None,
            created_at: String::new(),
            categories: (0..10)
                .map(|k| {
                    let code = open[(i * 3 + k) % open.len()];
                    SetCategory {
                        category: code.to_owned(),
                        reach_m: reference.categories[code].default_reach_m.unwrap_or(5000) as u32,
                        adopted_on: NaiveDate::default(),
                    }
                })
                .collect(),
        })
        .collect();
    let jz36 = sets.iter().find(|s| s.region == "JZ36").expect("JZ36");
    let t = Thresholds::default();
    let mut group = c.benchmark_group("coverage");
    group.sample_size(10);
    group.bench_function("all 42 regions, every grid computed", |b| {
        b.iter(|| {
            index.forget_coverage();
            for set in &sets {
                black_box(region_coverage(&index, &reference, set, t));
            }
        })
    });
    group.bench_function("one region (JZ36), its grids computed", |b| {
        b.iter(|| {
            index.forget_coverage();
            black_box(region_coverage(&index, &reference, jz36, t))
        })
    });
    group.bench_function("one region (JZ36), grids known", |b| {
        b.iter(|| black_box(region_coverage(&index, &reference, jz36, t)))
    });
    group.finish();

    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function("index build from the database", |b| {
        b.iter(|| black_box(load(&mut conn, &reference).expect("index")))
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
