//! `sociale-kaart generate`: the national synthetic set is deterministic and covers the
//! country; on its density (an R-tree of several levels, unlike the demo set's) the index
//! answers as a brute-force search over the same records.

use std::collections::{BTreeMap, HashSet};

use crate::helpers::{TestApp, spawn_app};
use crate::search::{Expect, brute_force, listed, records};
use sociale_kaart::api::read_model;
use sociale_kaart::db::registry::{ProvisionRecord, all_contracts};
use sociale_kaart::db::synthetic::{GenerateReport, generate};
use sociale_kaart::domain::location::NlPoint;
use sociale_kaart::index::provisions::{Reach, Resident, SearchQuery};

const PROVISIONS: usize = 3_000;

/// As `sociale-kaart generate --provisions <provisions> --seed <seed>` does.
fn generated(app: &TestApp, provisions: usize, seed: u64) -> GenerateReport {
    let mut conn = app.state.pool.get().expect("connection");
    let report = generate(&mut conn, provisions, seed).expect("generate");
    read_model::store_missing_documents(&mut conn).expect("documents");
    report
}

type Shape = (
    String,
    String,
    Vec<String>,
    Vec<(String, String)>,
    Vec<String>,
);

/// What a provision is, without its timestamps.
fn shape(r: &ProvisionRecord) -> Shape {
    (
        r.row.id.clone(),
        r.row.name.clone(),
        r.categories.clone(),
        r.locations
            .iter()
            .map(|l| (l.lat.to_string(), l.lon.to_string()))
            .collect(),
        r.service_areas
            .iter()
            .map(|s| format!("{}:{}", s.scope, s.code))
            .collect(),
    )
}

#[actix_web::test]
async fn the_national_synthetic_set_is_deterministic_and_covers_the_country() {
    let (a, b, c) = (spawn_app().await, spawn_app().await, spawn_app().await);
    let demo: HashSet<String> = records(&c).into_iter().map(|r| r.row.id).collect();
    let report = generated(&a, PROVISIONS, 7);
    generated(&b, PROVISIONS, 7);
    generated(&c, PROVISIONS, 8);
    assert_eq!(report.provisions, PROVISIONS);
    let all = records(&a);
    // By id: the records come in no promised order.
    let shapes = |app: &TestApp| {
        let mut shapes: Vec<Shape> = records(app).iter().map(shape).collect();
        shapes.sort();
        shapes
    };
    assert_eq!(shapes(&a), shapes(&b));
    assert_ne!(shapes(&a), shapes(&c), "another seed, another set");

    let new: Vec<&ProvisionRecord> = all.iter().filter(|r| !demo.contains(&r.row.id)).collect();
    assert_eq!(new.len(), PROVISIONS);
    assert!(new.iter().all(|r| r.row.source == "synthetic"));
    let reference = &a.state.reference;
    let found: HashSet<&str> = new
        .iter()
        .flat_map(|r| r.categories.iter().map(String::as_str))
        .collect();
    for c in reference.categories.values() {
        if c.access == "open" && c.parent_code.is_some() {
            assert!(
                found.contains(c.code.as_str()),
                "no provision of {}",
                c.code
            );
        }
    }

    // Where the located ones are: as the wijken's inhabitants are.
    let mut per_municipality: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &new {
        if let Some(m) = r
            .locations
            .first()
            .and_then(|l| l.municipality_code.as_deref())
        {
            *per_municipality.entry(m).or_default() += 1.0;
        }
    }
    let located: f64 = per_municipality.values().sum();
    let inhabitants = |m: Option<&str>| -> f64 {
        reference
            .areas
            .values()
            .filter(|w| w.level == "wijk" && !w.is_water && w.population > 0)
            .filter(|w| m.is_none_or(|m| w.municipality_code == m))
            .map(|w| w.population as f64)
            .sum()
    };
    let everyone = inhabitants(None);
    for m in ["GM0363", "GM0599", "GM0748", "GM0088"] {
        let expected = located * inhabitants(Some(m)) / everyone;
        let seen = per_municipality.get(m).copied().unwrap_or_default();
        assert!(
            (seen - expected).abs() <= 4.0 * expected.sqrt() + 2.0,
            "{m}: {seen} provisions, {expected:.1} expected"
        );
    }
    assert!(per_municipality["GM0363"] > 100.0, "Amsterdam");

    // Contracts at all three scopes: every municipality and every region has its own.
    let mut conn = a.state.pool.get().expect("connection");
    let contracts = all_contracts(&mut conn).expect("contracts");
    let scoped = |scope: &str, code: &str| {
        contracts
            .iter()
            .filter(|(c, _)| {
                c.row.scope == scope
                    && c.row.scope_code.as_deref() == Some(code)
                    && c.row.source == "synthetic"
            })
            .count()
    };
    for m in reference.municipalities.keys() {
        assert!(scoped("municipality", m) >= 1, "no contract of {m}");
    }
    for r in reference.regions.keys() {
        assert!(scoped("region", r) >= 2, "no contracts of {r}");
    }
    let national = contracts.iter().filter(|(c, _)| c.row.scope == "national");
    assert!(national.count() >= 3);
}

#[actix_web::test]
async fn on_the_dense_national_set_the_index_equals_a_brute_force_search() {
    let app = spawn_app().await;
    generated(&app, 10_000, 1);
    let records = records(&app);
    let reference = &app.state.reference;
    let mut conn = app.state.pool.get().expect("connection");
    let index = read_model::load(&mut conn, reference).expect("index");
    let expand = |c: &str| reference.category_with_descendants(c).to_vec();
    let mut compared = 0;
    // Across the country: a city, Bergen op Zoom, the north, the east, an island.
    for postcode in ["1012", "4611", "9711", "6511", "8881"] {
        let pc = &reference.postcodes[postcode];
        let municipality = pc.municipality_code.clone().expect("municipality");
        let region = reference.municipalities[&municipality].region_code.clone();
        for (radius, categories, age) in [
            (1_500.0, None, None),
            (25_000.0, None, None),
            (7_500.0, Some(expand("opvoeden")), Some(9)),
            (12_000.0, Some(expand("sport-bewegen")), None),
            (
                30_000.0,
                Some([expand("psychosociaal"), expand("toegang")].concat()),
                Some(15),
            ),
        ] {
            let expected = brute_force(
                &records,
                &Expect {
                    origin: (pc.lat, pc.lon),
                    radius,
                    municipality: &municipality,
                    region: &region,
                    area: pc.area_code.as_deref(),
                    categories: categories.clone(),
                    age,
                    access: None,
                },
            );
            let hits = index.search(&SearchQuery {
                origin: NlPoint::new(pc.lat, pc.lon).ok(),
                reach: Some(Reach::Radius(radius)),
                resident: Some(Resident {
                    municipality: municipality.clone(),
                    region: region.clone(),
                    area: pc.area_code.clone(),
                }),
                categories,
                active: Some(true),
                age: age.map(|a| a as u8),
                ..Default::default()
            });
            assert_eq!(
                listed(&index, &hits),
                expected,
                "{postcode} within {radius} m"
            );
            compared += expected.len();
        }
    }
    assert!(compared > 1_000, "only {compared} hits compared");
}
