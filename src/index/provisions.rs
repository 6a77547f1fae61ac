//! The search index of provisions: an R-tree of locations, service-area membership, category
//! bit sets, ages, opening hours and a Dutch text index. Built whole from the database and
//! swapped atomically; every search is answered from memory.

use std::collections::{BTreeMap, HashMap};

use rstar::RTree;
use rstar::primitives::GeomWithData;
use serde_json::value::RawValue;

use super::Reference;
use crate::domain::hours::{Period, Weekday};
use crate::domain::location::NlPoint;
use crate::domain::text;

/// What the index needs to know of one provision.
#[derive(Debug)]
pub struct ProvisionDoc {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub name: String,
    pub description: Option<String>,
    pub categories: Vec<String>,
    pub access: String,
    pub active: bool,
    pub min_age: u8,
    pub max_age: u8,
    pub free_of_charge: bool,
    pub languages: Vec<String>,
    pub opening_hours: Vec<Period>,
    /// `(lat, lon)` of each location.
    pub locations: Vec<(f64, f64)>,
    /// `(scope, code)`; the code of `national` is ignored.
    pub service_areas: Vec<(String, String)>,
    /// The provision's wire representation, served as is.
    pub json: Box<RawValue>,
}

/// Where a provision may be used, in the form the filters test quickly.
#[derive(Debug, Default)]
struct Served {
    national: bool,
    regions: Vec<String>,
    municipalities: Vec<String>,
    areas: Vec<String>,
}

#[derive(Debug)]
struct Entry {
    doc: ProvisionDoc,
    /// Folded name, for ordering.
    sort_key: String,
    categories: u128,
    served: Served,
}

/// Bit of each category in the masks, by code.
#[derive(Debug, Default)]
struct CategoryBits(HashMap<String, u32>);

impl CategoryBits {
    fn mask(&self, codes: &[String]) -> u128 {
        codes
            .iter()
            .filter_map(|c| self.0.get(c))
            .fold(0, |m, &b| m | (1u128 << b))
    }
}

/// A planar approximation of WGS84 around the centre of the Netherlands, in metres, only for
/// finding candidates; distances are always computed on the sphere.
fn project(lat: f64, lon: f64) -> [f64; 2] {
    const M_PER_DEG_LAT: f64 = 111_132.0;
    const M_PER_DEG_LON_AT_52_1: f64 = 68_500.0;
    [lon * M_PER_DEG_LON_AT_52_1, lat * M_PER_DEG_LAT]
}

/// The projection is exact near 52.1°N and off by at most ~4 % at the Dutch extremes; the
/// candidate search widens the radius by this factor before the exact check.
const PROJECTION_MARGIN: f64 = 1.06;

/// The resident the search is for: whose service areas apply.
#[derive(Debug, Clone)]
pub struct Resident {
    pub municipality: String,
    pub region: String,
    /// Wijk or buurt code, when known.
    pub area: Option<String>,
}

/// How far a located provision may be.
#[derive(Debug, Clone, Copy)]
pub enum Reach {
    /// One radius for everything, in metres.
    Radius(f64),
    /// Each provision by the reach of its matching categories (taxonomy), else the default.
    PerCategory { default_m: f64, max_m: f64 },
}

#[derive(Debug, Clone, Default)]
pub struct SearchQuery {
    pub origin: Option<NlPoint>,
    pub reach: Option<Reach>,
    pub resident: Option<Resident>,
    /// Category codes, already expanded to their descendants.
    pub categories: Option<Vec<String>>,
    pub access: Option<String>,
    /// `Some(true)` only active (the default for searches), `Some(false)` only inactive.
    pub active: Option<bool>,
    pub age: Option<u8>,
    pub text: Option<String>,
    pub open_at: Option<(Weekday, u16)>,
    pub language: Option<String>,
    pub free_of_charge: Option<bool>,
    pub organisation: Option<String>,
    /// Serves someone in this region (national, the region, a member or its areas).
    pub region: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub entry: u32,
    /// To the nearest location, in metres; `None` for provisions without a location (or when
    /// the search has no origin).
    pub distance_m: Option<f64>,
}

type PointEntry = GeomWithData<[f64; 2], (u32, (f64, f64))>;

#[derive(Debug, Default)]
pub struct ProvisionIndex {
    /// The change-log sequence number the index reflects.
    pub seq: i64,
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    points: RTree<PointEntry>,
    /// Entries without a location (online, telephone), by name.
    unlocated: Vec<u32>,
    /// Stemmed word → entries (sorted).
    stems: HashMap<String, Vec<u32>>,
    /// Folded word → entries (sorted), for prefix matching.
    words: BTreeMap<String, Vec<u32>>,
    bits: CategoryBits,
    /// Reach in metres per category bit.
    reach_by_bit: Vec<Option<f64>>,
    /// Region of each municipality, for region filters.
    region_of: HashMap<String, String>,
    /// Municipality of each area, for region filters.
    municipality_of_area: HashMap<String, String>,
}

impl ProvisionIndex {
    pub fn build(seq: i64, docs: Vec<ProvisionDoc>, reference: &Reference) -> Self {
        let mut index = ProvisionIndex {
            seq,
            ..Default::default()
        };
        for (i, code) in reference.category_order.iter().enumerate().take(128) {
            index.bits.0.insert(code.clone(), i as u32);
            let reach = reference
                .categories
                .get(code)
                .and_then(|c| c.default_reach_m)
                .map(f64::from);
            index.reach_by_bit.push(reach);
        }
        index.region_of = reference
            .municipalities
            .values()
            .map(|m| (m.code.clone(), m.region_code.clone()))
            .collect();
        index.municipality_of_area = reference
            .areas
            .values()
            .map(|a| (a.code.clone(), a.municipality_code.clone()))
            .collect();
        let mut points = Vec::new();
        let mut stems: HashMap<String, Vec<u32>> = HashMap::new();
        let mut words: HashMap<String, Vec<u32>> = HashMap::new();
        let category_words: HashMap<&str, Vec<String>> = reference
            .categories
            .values()
            .map(|c| {
                let words = text::words(&c.name_nl)
                    .chain(text::words(&c.name_en))
                    .collect();
                (c.code.as_str(), words)
            })
            .collect();
        for (i, doc) in docs.into_iter().enumerate() {
            let i = i as u32;
            for &(lat, lon) in &doc.locations {
                points.push(GeomWithData::new(project(lat, lon), (i, (lat, lon))));
            }
            if doc.locations.is_empty() {
                index.unlocated.push(i);
            }
            let own = [
                doc.name.as_str(),
                doc.organisation_name.as_str(),
                doc.description.as_deref().unwrap_or(""),
            ];
            let of_categories = doc
                .categories
                .iter()
                .filter_map(|c| category_words.get(c.as_str()))
                .flatten()
                .cloned();
            let mut seen: Vec<String> = own
                .into_iter()
                .flat_map(text::words)
                .chain(of_categories)
                .collect();
            seen.sort_unstable();
            seen.dedup();
            for word in seen {
                let stemmed = text::stem(&word);
                match stems.get_mut(&stemmed) {
                    Some(list) => push_unique(list, i),
                    None => {
                        stems.insert(stemmed, vec![i]);
                    }
                }
                match words.get_mut(&word) {
                    Some(list) => list.push(i),
                    None => {
                        words.insert(word, vec![i]);
                    }
                }
            }
            let mut served = Served::default();
            for (scope, code) in &doc.service_areas {
                match scope.as_str() {
                    "national" => served.national = true,
                    "region" => served.regions.push(code.clone()),
                    "municipality" => served.municipalities.push(code.clone()),
                    _ => served.areas.push(code.clone()),
                }
            }
            index.by_id.insert(doc.id.clone(), i);
            index.entries.push(Entry {
                sort_key: text::fold(&doc.name),
                categories: index.bits.mask(&doc.categories),
                served,
                doc,
            });
        }
        index.points = RTree::bulk_load(points);
        index.stems = stems;
        index.words = words.into_iter().collect();
        let entries = &index.entries;
        let by_name = |a: &u32, b: &u32| {
            let (ea, eb) = (&entries[*a as usize], &entries[*b as usize]);
            ea.sort_key
                .cmp(&eb.sort_key)
                .then_with(|| ea.doc.id.cmp(&eb.doc.id))
        };
        let mut unlocated = std::mem::take(&mut index.unlocated);
        unlocated.sort_by(by_name);
        index.unlocated = unlocated;
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn doc(&self, entry: u32) -> &ProvisionDoc {
        &self.entries[entry as usize].doc
    }

    pub fn find(&self, id: &str) -> Option<&ProvisionDoc> {
        self.by_id.get(id).map(|&i| self.doc(i))
    }

    /// Entries matching every word of `q` (AND), sorted; `None` when `q` has no words. A word
    /// matches by stem, or as the prefix of a word (type-ahead): "opvoe" finds
    /// "Opvoedondersteuning".
    fn text_matches(&self, q: &str) -> Option<Vec<u32>> {
        let mut result: Option<Vec<u32>> = None;
        for word in text::words(q) {
            let mut hit: Vec<u32> = self
                .stems
                .get(&text::stem(&word))
                .cloned()
                .unwrap_or_default();
            for (_, list) in self
                .words
                .range(word.clone()..)
                .take_while(|(w, _)| w.starts_with(&word))
            {
                hit.extend_from_slice(list);
            }
            hit.sort_unstable();
            hit.dedup();
            result = Some(match result {
                None => hit,
                Some(prev) => prev
                    .into_iter()
                    .filter(|i| hit.binary_search(i).is_ok())
                    .collect(),
            });
        }
        result
    }

    fn covers(&self, served: &Served, resident: &Resident) -> bool {
        served.national
            || served.regions.contains(&resident.region)
            || served.municipalities.contains(&resident.municipality)
            || resident.area.as_ref().is_some_and(|area| {
                served.areas.iter().any(|a| {
                    a == area
                        || (area.starts_with("BU") && a.starts_with("WK") && a[2..] == area[2..8])
                })
            })
    }

    fn serves_region(&self, served: &Served, region: &str) -> bool {
        served.national
            || served.regions.iter().any(|r| r == region)
            || served
                .municipalities
                .iter()
                .any(|m| self.region_of.get(m).is_some_and(|r| r == region))
            || served.areas.iter().any(|a| {
                self.municipality_of_area
                    .get(a)
                    .and_then(|m| self.region_of.get(m))
                    .is_some_and(|r| r == region)
            })
    }

    fn matches(&self, e: &Entry, q: &SearchQuery, category_mask: Option<u128>) -> bool {
        let d = &e.doc;
        category_mask.is_none_or(|m| e.categories & m != 0)
            && q.active.is_none_or(|a| d.active == a)
            && q.access.as_deref().is_none_or(|a| d.access == a)
            && q.age.is_none_or(|age| d.min_age <= age && age <= d.max_age)
            && q.free_of_charge.is_none_or(|f| d.free_of_charge == f)
            && q.language
                .as_deref()
                .is_none_or(|l| d.languages.iter().any(|x| x == l))
            && q.organisation
                .as_deref()
                .is_none_or(|o| d.organisation_id == o)
            && q.open_at
                .is_none_or(|(day, minute)| d.opening_hours.iter().any(|p| p.contains(day, minute)))
            && q.resident
                .as_ref()
                .is_none_or(|r| self.covers(&e.served, r))
            && q.region
                .as_deref()
                .is_none_or(|r| self.serves_region(&e.served, r))
    }

    /// The reach of a provision for this query, in metres.
    fn reach_of(&self, e: &Entry, reach: Reach, category_mask: Option<u128>) -> f64 {
        match reach {
            Reach::Radius(r) => r,
            Reach::PerCategory { default_m, .. } => {
                let bits = e.categories & category_mask.unwrap_or(u128::MAX);
                (0..self.reach_by_bit.len())
                    .filter(|b| bits & (1u128 << b) != 0)
                    .filter_map(|b| self.reach_by_bit[b])
                    .fold(None, |acc: Option<f64>, r| {
                        Some(acc.map_or(r, |a| a.max(r)))
                    })
                    .unwrap_or(default_m)
            }
        }
    }

    /// Every matching provision: located ones by distance (then name), then those without a
    /// location by name. Without an origin, all by name.
    pub fn search(&self, q: &SearchQuery) -> Vec<Hit> {
        let category_mask = q.categories.as_ref().map(|c| self.bits.mask(c));
        let text = q.text.as_deref().and_then(|t| self.text_matches(t));
        let passes = |i: u32| {
            let e = &self.entries[i as usize];
            text.as_ref().is_none_or(|t| t.binary_search(&i).is_ok())
                && self.matches(e, q, category_mask)
        };
        let by_name = |a: &Hit, b: &Hit| {
            let (ea, eb) = (
                &self.entries[a.entry as usize],
                &self.entries[b.entry as usize],
            );
            ea.sort_key
                .cmp(&eb.sort_key)
                .then_with(|| ea.doc.id.cmp(&eb.doc.id))
        };
        let Some(origin) = q.origin else {
            let mut hits: Vec<Hit> = (0..self.entries.len() as u32)
                .filter(|&i| passes(i))
                .map(|entry| Hit {
                    entry,
                    distance_m: None,
                })
                .collect();
            hits.sort_by(by_name);
            return hits;
        };
        let reach = q.reach.unwrap_or(Reach::Radius(10_000.0));
        let max_m = match reach {
            Reach::Radius(r) => r,
            Reach::PerCategory { max_m, .. } => max_m,
        };
        let search_m = max_m * PROJECTION_MARGIN;
        let mut nearest: HashMap<u32, f64> = HashMap::new();
        for p in self
            .points
            .locate_within_distance(project(origin.lat(), origin.lon()), search_m * search_m)
        {
            let (entry, (lat, lon)) = p.data;
            let Ok(point) = NlPoint::new(lat, lon) else {
                continue;
            };
            let d = origin.distance_m(point);
            nearest
                .entry(entry)
                .and_modify(|m| *m = m.min(d))
                .or_insert(d);
        }
        let mut located: Vec<Hit> = nearest
            .into_iter()
            .filter(|&(i, d)| {
                d <= self.reach_of(&self.entries[i as usize], reach, category_mask) && passes(i)
            })
            .map(|(entry, d)| Hit {
                entry,
                distance_m: Some(d),
            })
            .collect();
        located.sort_by(|a, b| {
            a.distance_m
                .partial_cmp(&b.distance_m)
                .unwrap_or(std::cmp::Ordering::Equal)
                .then_with(|| by_name(a, b))
        });
        located.extend(
            self.unlocated
                .iter()
                .copied()
                .filter(|&i| passes(i))
                .map(|entry| Hit {
                    entry,
                    distance_m: None,
                }),
        );
        located
    }
}

fn push_unique(list: &mut Vec<u32>, i: u32) {
    if list.last() != Some(&i) {
        list.push(i);
    }
}
