//! `sociale-kaart generate`: a deterministic national synthetic dataset for benchmarks and
//! load tests, over all 342 municipalities, weighted by wijk population, with every open
//! category, and specialist providers with contracts at all three scopes. Every record is
//! marked `source: synthetic`.

use super::DbConnection;
use super::changes::{self, Actor};
use super::demo::{Builder, DemoError, WITHOUT_LOCATION, write};
use super::reference::load_reference;
use crate::index::{Area, Category, Reference};

#[derive(Debug)]
pub struct GenerateReport {
    pub organisations: usize,
    pub provisions: usize,
    pub contracts: usize,
}

/// Wijken with inhabitants and their cumulative population, for weighted draws.
struct Weighted<'a> {
    wijken: Vec<&'a Area>,
    cumulative: Vec<i64>,
}

impl<'a> Weighted<'a> {
    fn new(reference: &'a Reference) -> Self {
        let mut wijken: Vec<&Area> = reference
            .areas
            .values()
            .filter(|a| a.level == "wijk" && !a.is_water && a.population > 0)
            .collect();
        wijken.sort_by(|a, b| a.code.cmp(&b.code));
        let mut total = 0;
        let cumulative = wijken
            .iter()
            .map(|w| {
                total += w.population;
                total
            })
            .collect();
        Weighted { wijken, cumulative }
    }

    fn pick(&self, draw: u64) -> &'a Area {
        let total = *self.cumulative.last().unwrap_or(&1);
        let target = (draw % total.max(1) as u64) as i64;
        let i = self.cumulative.partition_point(|&c| c <= target);
        self.wijken[i.min(self.wijken.len() - 1)]
    }
}

fn open_leaves(reference: &Reference) -> Vec<&Category> {
    reference
        .category_order
        .iter()
        .filter_map(|c| reference.categories.get(c))
        .filter(|c| {
            c.access == "open"
                && c.parent_code.is_some()
                && !WITHOUT_LOCATION.contains(&c.code.as_str())
        })
        .collect()
}

fn fill(b: &mut Builder<'_>, provisions: usize) {
    let reference = b.reference;
    let weighted = Weighted::new(reference);
    let leaves = open_leaves(reference);
    let ijw: Vec<&Category> = reference
        .categories
        .values()
        .filter(|c| c.ijw_code.is_some())
        .collect();
    let mut organisations: std::collections::HashMap<(String, String), String> =
        std::collections::HashMap::new();

    // National and regional provisions without a location: a small, fixed share.
    let helpline = b.organisation("Landelijke hulplijn (synthetisch)".into(), false);
    b.provision(
        &helpline,
        "Chat en telefoon voor jongeren".into(),
        "online-hulp",
        "open",
        None,
        vec![("national", "NL".into())],
        true,
    );
    for region in reference.regions.values() {
        b.regional_fund(region);
    }

    // Specialist providers: per region two with a regional contract, per municipality one with
    // a municipal contract, and three national ones.
    let categories_for = |b: &mut Builder<'_>| -> Vec<String> {
        let first = ijw[b.rng.below(ijw.len())].code.clone();
        let second = ijw[b.rng.below(ijw.len())].code.clone();
        let mut c = vec![first, second];
        c.sort();
        c.dedup();
        c
    };
    for region in reference.regions.values() {
        for n in 1..=2 {
            let org = b.organisation(
                format!("Jeugdhulp {} {n} (synthetisch)", region.short_name),
                true,
            );
            let cats = categories_for(b);
            let refs: Vec<&str> = cats.iter().map(String::as_str).collect();
            b.contract(
                &org,
                "region",
                Some(&region.code),
                &refs,
                "2025-01-01",
                Some("2027-12-31"),
            );
        }
    }
    for m in reference.municipalities.values() {
        let org = b.organisation(format!("Gezinspraktijk {} (synthetisch)", m.name), true);
        let cats = categories_for(b);
        let refs: Vec<&str> = cats.iter().map(String::as_str).collect();
        b.contract(
            &org,
            "municipality",
            Some(&m.code),
            &refs,
            "2026-01-01",
            Some("2026-12-31"),
        );
    }
    for n in 1..=3 {
        let org = b.organisation(format!("Landelijk ingekochte zorg {n} (synthetisch)"), true);
        b.contract(&org, "national", None, &["ijw-55"], "2024-01-01", None);
    }

    let done = b.provisions.len();
    for i in done..provisions {
        let wijk = weighted.pick(b.rng.next_u64());
        let category = leaves[i % leaves.len()];
        let top = category.parent_code.clone().unwrap_or_default();
        let key = (wijk.municipality_code.clone(), top.clone());
        let municipality = reference
            .municipalities
            .get(&wijk.municipality_code)
            .map(|m| m.name.clone())
            .unwrap_or_default();
        let org = match organisations.get(&key) {
            Some(o) => o.clone(),
            None => {
                let o = b.organisation(
                    format!("{} {} (synthetisch)", category.name_nl, municipality),
                    false,
                );
                organisations.insert(key, o.clone());
                o
            }
        };
        let area_only = category.code == "buurthuis";
        let service_area = if area_only {
            vec![("area", wijk.code.clone())]
        } else {
            vec![("municipality", wijk.municipality_code.clone())]
        };
        let name = format!("{} {} {}", category.name_nl, wijk.name, i);
        let free = b.rng.below(3) != 0;
        b.provision(
            &org,
            name,
            &category.code,
            "open",
            Some(wijk),
            service_area,
            free,
        );
    }
}

/// Generates `provisions` synthetic provisions (deterministic for a `seed`) and writes them.
pub fn generate(
    conn: &mut DbConnection,
    provisions: usize,
    seed: u64,
) -> Result<GenerateReport, DemoError> {
    let reference = load_reference(conn)?;
    let mut b = Builder::new(&reference, seed, changes::now());
    fill(&mut b, provisions);
    write(conn, &b, &Actor::system("generate"))?;
    Ok(GenerateReport {
        organisations: b.organisations.len(),
        provisions: b.provisions.len(),
        contracts: b.contracts.len(),
    })
}
