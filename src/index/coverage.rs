//! Coverage of one category over every wijk of the country: for each (non-water) wijk the
//! distance from its label point to the nearest located provision that serves it, whether it
//! is within reach, and per municipality how many provisions serve it (docs/coverage.md).
//! Computed once per index version and `(category, reach)`, then shared by every request.

use std::sync::{Arc, Mutex, OnceLock};

use rstar::RTree;
use rstar::primitives::GeomWithData;
use rustc_hash::{FxHashMap, FxHashSet};

use super::Reference;
use super::provisions::{Offer, PROJECTION_MARGIN, ProvisionIndex, project};
use crate::domain::coverage::{Reached, median};
use crate::domain::location::{NlPoint, OnSphere};

/// How far the nearest serving provision is looked for (for maps and gap lists) at least; a
/// wijk with none within this distance, or four times the reach when that is more, has no
/// nearest distance.
pub const NEAREST_WITHIN_M: f64 = 25_000.0;

/// How far the nearest serving provision is looked for with this reach.
pub fn nearest_within(reach_m: f64) -> f64 {
    (4.0 * reach_m).max(NEAREST_WITHIN_M)
}

/// One wijk for one category.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WijkReach {
    /// To the nearest located provision that serves the wijk, in metres, when within
    /// [`nearest_within`] the reach.
    pub nearest_m: Option<f64>,
    /// A located serving provision within reach, or a serving provision without location.
    pub reachable: bool,
}

/// One category's coverage of the whole country.
#[derive(Debug, Default)]
pub struct CategoryGrid {
    /// By wijk code; water wijken are left out.
    pub wijken: FxHashMap<String, WijkReach>,
    /// Active open provisions serving each municipality (or one of its areas), by code.
    pub provisions: FxHashMap<String, u32>,
    /// Every location of those provisions.
    pub points: Vec<NlPoint>,
    /// Per municipality: its inhabitants, and those aged 0–14, within reach.
    pub reached: FxHashMap<String, [Reached; 2]>,
    /// The median share within reach over every municipality with inhabitants.
    pub national_median: f64,
}

impl CategoryGrid {
    pub fn provisions_of(&self, municipality: &str) -> u32 {
        self.provisions.get(municipality).copied().unwrap_or(0)
    }

    /// A municipality's inhabitants (all, and aged 0–14) within reach.
    pub fn reached_in(&self, municipality: &str) -> [Reached; 2] {
        self.reached.get(municipality).copied().unwrap_or_default()
    }
}

/// The grids an index computed or is computing, by `(category, reach in metres)`. Each is
/// computed once: requests that ask for it meanwhile wait for that computation.
#[derive(Debug, Default)]
pub struct Grids {
    slots: Mutex<FxHashMap<(String, u32), Slot>>,
    /// Held while a region's missing grids are computed side by side.
    computing: Mutex<()>,
}

/// One grid, once computed.
type Slot = Arc<OnceLock<Arc<CategoryGrid>>>;

impl Grids {
    fn slots(&self) -> std::sync::MutexGuard<'_, FxHashMap<(String, u32), Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Those of `wanted` not computed yet.
    fn missing<'w>(&self, wanted: &[(&'w str, u32)]) -> Vec<(&'w str, u32)> {
        let slots = self.slots();
        wanted
            .iter()
            .copied()
            .filter(|&(c, r)| {
                slots
                    .get(&(c.to_owned(), r))
                    .is_none_or(|slot| slot.get().is_none())
            })
            .collect()
    }
}

impl ProvisionIndex {
    /// The coverage of `category` (descendants included) with this reach; computed at the
    /// first request and kept with this version of the index.
    pub fn grid(&self, reference: &Reference, category: &str, reach_m: u32) -> Arc<CategoryGrid> {
        let slot = self
            .grids
            .slots()
            .entry((category.to_owned(), reach_m))
            .or_default()
            .clone();
        slot.get_or_init(|| {
            let offers = self.open_offers(reference.category_with_descendants(category));
            Arc::new(compute(reference, &offers, f64::from(reach_m)))
        })
        .clone()
    }

    /// The grids of several `(category, reach)` pairs, those not known yet computed side by
    /// side on the machine's cores (a region's first coverage after a write).
    pub fn grids(&self, reference: &Reference, wanted: &[(&str, u32)]) -> Vec<Arc<CategoryGrid>> {
        if !self.knows_grids(wanted) {
            self.compute_grids(reference, wanted);
        }
        wanted
            .iter()
            .map(|&(category, reach)| self.grid(reference, category, reach))
            .collect()
    }

    /// Computes the grids not known yet, side by side; one such computation at a time, so
    /// requests arriving meanwhile find their grids done.
    fn compute_grids(&self, reference: &Reference, wanted: &[(&str, u32)]) {
        let _one_at_a_time = self
            .grids
            .computing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let missing = self.grids.missing(wanted);
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        if missing.len() > 1 && threads > 1 {
            let per_thread = missing.len().div_ceil(threads);
            std::thread::scope(|scope| {
                for part in missing.chunks(per_thread) {
                    scope.spawn(move || {
                        for &(category, reach) in part {
                            self.grid(reference, category, reach);
                        }
                    });
                }
            });
        }
    }

    /// Whether every one of these grids is computed.
    pub fn knows_grids(&self, wanted: &[(&str, u32)]) -> bool {
        self.grids.missing(wanted).is_empty()
    }

    /// Forgets the computed grids, so the next request computes them again (benchmarks).
    pub fn forget_coverage(&self) {
        self.grids.slots().clear();
    }
}

/// Two digits-and-letters of a CBS code that name the municipality: `GM0748`, `WK074801` and
/// `BU07480101` all give `0748`.
fn municipality_part(code: &str) -> Option<&str> {
    code.get(2..6)
}

/// Whether `offer` serves the residents of a wijk (in a municipality of a region). A provision
/// serving one buurt of the wijk serves (part of) it.
fn serves_wijk(offer: &Offer, wijk: &str, municipality: &str, region: &str) -> bool {
    offer.national
        || offer.regions.iter().any(|r| &**r == region)
        || offer.municipalities.iter().any(|m| &**m == municipality)
        || offer
            .areas
            .iter()
            .any(|a| &**a == wijk || (a.starts_with("BU") && a.get(2..8) == wijk.get(2..8)))
}

fn compute(reference: &Reference, offers: &[Offer], reach_m: f64) -> CategoryGrid {
    let mut grid = CategoryGrid::default();

    // Provisions per municipality: national ones count everywhere.
    let mut national = 0;
    for offer in offers {
        if offer.national {
            national += 1;
            continue;
        }
        let mut served: FxHashSet<&str> = FxHashSet::default();
        for r in &offer.regions {
            if let Some(region) = reference.regions.get(&**r) {
                served.extend(region.members.iter().map(String::as_str));
            }
        }
        served.extend(offer.municipalities.iter().map(|m| &**m));
        for area in &offer.areas {
            if let Some(part) = municipality_part(area) {
                let code = format!("GM{part}");
                if let Some(m) = reference.municipalities.get(&code) {
                    served.insert(m.code.as_str());
                }
            }
        }
        for m in served {
            *grid.provisions.entry(m.to_owned()).or_default() += 1;
        }
    }
    for m in reference.municipalities.keys() {
        *grid.provisions.entry(m.clone()).or_default() += national;
    }

    let unlocated: Vec<&Offer> = offers.iter().filter(|o| o.locations.is_empty()).collect();
    // Each point on the sphere once, not once per wijk that looks at it.
    let points: Vec<GeomWithData<[f64; 2], (u32, OnSphere)>> = offers
        .iter()
        .enumerate()
        .flat_map(|(k, o)| {
            o.locations.iter().map(move |&p| {
                GeomWithData::new(project(p.lat(), p.lon()), (k as u32, p.on_sphere()))
            })
        })
        .collect();
    grid.points = points.iter().map(|p| p.data.1.point()).collect();
    let tree = RTree::bulk_load(points);
    let within = nearest_within(reach_m);

    for wijk in reference.areas.values() {
        if wijk.level != "wijk" || wijk.is_water {
            continue;
        }
        let municipality = wijk.municipality_code.as_str();
        let region = reference
            .municipalities
            .get(municipality)
            .map_or("", |m| m.region_code.as_str());
        let serves = |o: &Offer| serves_wijk(o, &wijk.code, municipality, region);
        let mut nearest: Option<f64> = None;
        if let Ok(origin) = NlPoint::new(wijk.label.0, wijk.label.1) {
            let from = project(origin.lat(), origin.lon());
            let origin = origin.on_sphere();
            for (p, d2) in tree.nearest_neighbor_iter_with_distance_2(&from) {
                // The projection is off by at most the margin: nothing further can be nearer.
                let projected = d2.sqrt();
                let bound = nearest.unwrap_or(within);
                if projected > bound * PROJECTION_MARGIN {
                    break;
                }
                let (k, point) = p.data;
                if serves(&offers[k as usize]) {
                    let d = origin.distance_m(point);
                    if d <= within && nearest.is_none_or(|n| d < n) {
                        nearest = Some(d);
                    }
                }
            }
        }
        // Compared in whole metres, as shown: a wijk exactly at the reach is within it.
        let reachable =
            nearest.is_some_and(|d| d.round() <= reach_m) || unlocated.iter().any(|o| serves(o));
        grid.wijken.insert(
            wijk.code.clone(),
            WijkReach {
                nearest_m: nearest,
                reachable,
            },
        );
        if !grid.reached.contains_key(municipality) {
            grid.reached
                .insert(municipality.to_owned(), Default::default());
        }
        if let Some([all, young]) = grid.reached.get_mut(municipality) {
            all.add(wijk.population, reachable);
            young.add(wijk.population_0_14, reachable);
        }
    }
    let mut shares: Vec<f64> = grid
        .reached
        .values()
        .filter(|[all, _]| all.inhabitants > 0)
        .map(|[all, _]| all.share())
        .collect();
    grid.national_median = median(&mut shares).unwrap_or(0.0);
    grid
}
