//! The search index of provisions: an R-tree of locations, service-area membership, category
//! bit sets, ages, opening hours and a Dutch text index. Every search is answered from memory.
//!
//! The index is two segments of the same kind: a large base built from the whole database,
//! and a small segment of the provisions written since, which replace their base entries. A
//! write rebuilds only the small segment (milliseconds) and the index is swapped atomically;
//! when the small segment has grown, the whole index is built again (docs/decisions.md §8).

use std::cmp::Ordering;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use std::ops::Range;

use rstar::primitives::GeomWithData;
use rstar::{ParentNode, RStarInsertionStrategy, RTree, RTreeNode, RTreeParams};
use serde_json::value::RawValue;

use super::Reference;
use super::texts::{Compressed, Texts};
use super::words::{Dictionary, DictionaryBuilder, WordId, WordLists, WordMatch};
use crate::domain::hours::{Period, Weekday};
use crate::domain::location::{Chord, NlPoint, OnSphere};
use crate::domain::text;

/// What the index needs to know of one provision.
#[derive(Debug, Clone)]
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
    /// How many bytes of `json` hold its summary members (without the closing brace).
    pub summary_len: u32,
}

/// Bit of each category in the masks, by code.
#[derive(Debug, Default)]
struct CategoryBits(FxHashMap<String, u32>);

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
pub(super) fn project(lat: f64, lon: f64) -> [f64; 2] {
    const M_PER_DEG_LAT: f64 = 111_132.0;
    const M_PER_DEG_LON_AT_52_1: f64 = 68_500.0;
    [lon * M_PER_DEG_LON_AT_52_1, lat * M_PER_DEG_LAT]
}

/// The projection is exact near 52.1°N and off by at most ~4 % at the Dutch extremes; the
/// candidate search widens the radius by this factor before the exact check.
pub(super) const PROJECTION_MARGIN: f64 = 1.06;

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

/// A code (municipality, region, wijk or buurt) by number, so the filters compare integers.
type CodeId = u32;

/// Where a provision may be used.
#[derive(Debug, Default)]
struct Served {
    national: bool,
    regions: Box<[CodeId]>,
    municipalities: Box<[CodeId]>,
    areas: Box<[CodeId]>,
    /// Every region someone served lives in (for the region filter).
    in_regions: Box<[CodeId]>,
}

/// The fields the most selective filters test, first in the entry, so most candidates near an
/// origin are decided by one cache line of their entry.
#[derive(Debug, Clone, Copy)]
struct Summary {
    categories: u128,
    min_age: u8,
    max_age: u8,
    active: bool,
    open_access: bool,
    free_of_charge: bool,
    /// Located at more than one place (a search keeps the nearest).
    multi_located: bool,
    served: ServedBy,
}

/// Whom a provision serves, when one code says it all (as for nearly every provision), so the
/// resident filter is decided from the summary.
#[derive(Debug, Clone, Copy, PartialEq)]
enum ServedBy {
    Anyone,
    Region(CodeId),
    Municipality(CodeId),
    /// A wijk or buurt.
    Area(CodeId),
    /// Several codes: [`covers`] decides from the entry.
    Listed,
}

impl ServedBy {
    fn of(served: &Served) -> Self {
        match (
            served.national,
            &*served.regions,
            &*served.municipalities,
            &*served.areas,
        ) {
            (true, ..) => ServedBy::Anyone,
            (false, &[r], &[], &[]) => ServedBy::Region(r),
            (false, &[], &[m], &[]) => ServedBy::Municipality(m),
            (false, &[], &[], &[a]) => ServedBy::Area(a),
            _ => ServedBy::Listed,
        }
    }

    /// Whether the resident is served; `None` when the entry's list must decide.
    fn covers(self, r: &ResidentCodes) -> Option<bool> {
        match self {
            ServedBy::Anyone => Some(true),
            ServedBy::Region(c) => Some(r.region == Some(c)),
            ServedBy::Municipality(c) => Some(r.municipality == Some(c)),
            ServedBy::Area(c) => Some(r.areas.contains(&Some(c))),
            ServedBy::Listed => None,
        }
    }
}

/// One provision as the filters see it, and its wire representation.
#[derive(Debug)]
struct Entry {
    id: uuid::Uuid,
    /// Position in the order by folded name, then id.
    rank: u32,
    summary: Summary,
    organisation: CodeId,
    /// ISO 639-1 codes as two ASCII bytes.
    languages: Box<[u16]>,
    opening_hours: Box<[Period]>,
    served: Served,
}

fn language_key(code: &str) -> Option<u16> {
    match code.as_bytes() {
        [a, b] => Some(u16::from_be_bytes([*a, *b])),
        _ => None,
    }
}

/// A location in the R-tree: its entry, its place in [`Segment::locations`], and the entry's
/// filter summary. A search walks hundreds of locations to keep a few dozen; carrying the
/// summary in the leaf decides most of them from the node the walk reads anyway, instead of
/// from an entry elsewhere in memory.
#[derive(Debug, Clone, Copy)]
struct Located {
    entry: u32,
    location: u32,
    /// The entry's words in [`Segment::words`], for a text filter.
    words: (u32, u32),
    summary: Summary,
}

type PointEntry = GeomWithData<[f64; 2], Located>;

// A leaf stays one cache line.
const _: () = assert!(std::mem::size_of::<PointEntry>() <= 64);

/// Nodes of up to 32 children instead of rstar's 6: the tree is only ever bulk-loaded, and a
/// search that walks hundreds of locations then reads a few long runs of leaves (one
/// stretch of memory each) instead of many short ones behind more levels of nodes.
struct WideNodes;

impl RTreeParams for WideNodes {
    const MIN_SIZE: usize = 8;
    const MAX_SIZE: usize = 32;
    const REINSERTION_COUNT: usize = 8;
    type DefaultInsertionStrategy = RStarInsertionStrategy;
}

/// The provisions written since the base was built replace their base entries; entries of
/// this segment are numbered from here in [`Hit::entry`].
const RECENT: u32 = 1 << 31;

#[derive(Debug, Default)]
pub struct ProvisionIndex {
    /// The change-log sequence number the index reflects.
    pub seq: i64,
    base: Arc<Segment>,
    /// The current version of every provision written since the base was built.
    recent: Segment,
    recent_docs: Vec<ProvisionDoc>,
    /// Bit set of the base entries a recent write replaced or deleted.
    superseded: Vec<u64>,
    /// Coverage of each `(category, reach)` asked for, computed once per index.
    pub(super) grids: super::coverage::Grids,
}

/// An active, open provision, as coverage sees it.
#[derive(Debug, Clone, Default)]
pub struct Offer {
    pub locations: Vec<NlPoint>,
    pub national: bool,
    pub regions: Vec<Box<str>>,
    pub municipalities: Vec<Box<str>>,
    /// Wijk and buurt codes.
    pub areas: Vec<Box<str>>,
}

/// One searchable set of provisions.
#[derive(Debug, Default)]
struct Segment {
    entries: Vec<Entry>,
    points: RTree<PointEntry, WideNodes>,
    /// Entries without a location (online, telephone), by name.
    unlocated: Vec<u32>,
    dictionary: Dictionary,
    /// The words of each entry.
    words: WordLists,
    bits: CategoryBits,
    /// Reach in metres per category bit.
    reach_by_bit: Vec<Option<f64>>,
    /// Number of each code the service areas and the filters use.
    codes: FxHashMap<Box<str>, CodeId>,
    /// Folded name of each entry: the order by name across segments.
    names: Texts,
    /// The wire representation of each entry (a JSON object), served as is: its summary
    /// members (the start of the object, without its closing brace) as they are, the rest
    /// (what only `view=full` shows) compressed.
    summaries: Texts,
    details: Compressed,
    /// Entry of each provision.
    by_id: FxHashMap<uuid::Uuid, u32>,
    /// The locations of entry `i` are `locations[location_start[i]..location_start[i + 1]]`.
    locations: Vec<OnSphere>,
    location_start: Vec<u32>,
}

/// Interns codes while the index is built.
#[derive(Default)]
struct Codes(FxHashMap<Box<str>, CodeId>);

impl Codes {
    fn id(&mut self, code: &str) -> CodeId {
        if let Some(&id) = self.0.get(code) {
            return id;
        }
        let id = self.0.len() as CodeId;
        self.0.insert(code.into(), id);
        id
    }
}

/// Sorted, without duplicates.
fn set(mut ids: Vec<CodeId>) -> Box<[CodeId]> {
    ids.sort_unstable();
    ids.dedup();
    ids.into_boxed_slice()
}

/// Builds an index one provision at a time.
pub struct IndexBuilder<'r> {
    bits: CategoryBits,
    reach_by_bit: Vec<Option<f64>>,
    codes: Codes,
    region_of_municipality: FxHashMap<&'r str, &'r str>,
    municipality_of_area: FxHashMap<&'r str, &'r str>,
    dictionary: DictionaryBuilder,
    category_words: FxHashMap<&'r str, Vec<WordId>>,
    organisation_words: FxHashMap<String, Vec<WordId>>,
    points: Vec<PointEntry>,
    locations: Vec<OnSphere>,
    location_start: Vec<u32>,
    unlocated: Vec<u32>,
    /// Folded name of each entry, for the order by name.
    names: Texts,
    summaries: Texts,
    details: Texts,
    entries: Vec<Entry>,
}

impl<'r> IndexBuilder<'r> {
    pub fn new(reference: &'r Reference) -> Self {
        let mut bits = CategoryBits::default();
        let mut reach_by_bit = Vec::new();
        for (i, code) in reference.category_order.iter().enumerate().take(128) {
            bits.0.insert(code.clone(), i as u32);
            let reach = reference
                .categories
                .get(code)
                .and_then(|c| c.default_reach_m)
                .map(f64::from);
            reach_by_bit.push(reach);
        }
        let mut dictionary = DictionaryBuilder::default();
        let category_words = reference
            .categories
            .values()
            .map(|c| {
                let mut ids = Vec::new();
                dictionary.words_of(&c.name_nl, &mut ids);
                dictionary.words_of(&c.name_en, &mut ids);
                (c.code.as_str(), ids)
            })
            .collect();
        IndexBuilder {
            bits,
            reach_by_bit,
            codes: Codes::default(),
            region_of_municipality: reference
                .municipalities
                .values()
                .map(|m| (m.code.as_str(), m.region_code.as_str()))
                .collect(),
            municipality_of_area: reference
                .areas
                .values()
                .map(|a| (a.code.as_str(), a.municipality_code.as_str()))
                .collect(),
            dictionary,
            category_words,
            organisation_words: FxHashMap::default(),
            points: Vec::new(),
            locations: Vec::new(),
            location_start: vec![0],
            unlocated: Vec::new(),
            names: Texts::default(),
            summaries: Texts::default(),
            details: Texts::default(),
            entries: Vec::new(),
        }
    }

    fn region_of(&self, scope: &str, code: &str) -> Option<&'r str> {
        let municipality = match scope {
            "municipality" => code,
            _ => self.municipality_of_area.get(code).copied()?,
        };
        self.region_of_municipality.get(municipality).copied()
    }

    pub fn add(&mut self, doc: ProvisionDoc) {
        let i = self.entries.len() as u32;
        if doc.locations.is_empty() {
            self.unlocated.push(i);
        }
        let mut words = Vec::new();
        self.dictionary.words_of(&doc.name, &mut words);
        self.dictionary
            .words_of(doc.description.as_deref().unwrap_or(""), &mut words);
        if !self.organisation_words.contains_key(&doc.organisation_id) {
            let mut ids = Vec::new();
            self.dictionary.words_of(&doc.organisation_name, &mut ids);
            self.organisation_words
                .insert(doc.organisation_id.clone(), ids);
        }
        words.extend_from_slice(&self.organisation_words[&doc.organisation_id]);
        for c in &doc.categories {
            words.extend(self.category_words.get(c.as_str()).into_iter().flatten());
        }
        self.dictionary.add_entry(words);
        let mut served = Served::default();
        let (mut regions, mut municipalities, mut areas, mut in_regions) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (scope, code) in &doc.service_areas {
            match scope.as_str() {
                "national" => served.national = true,
                "region" => {
                    regions.push(self.codes.id(code));
                    in_regions.push(self.codes.id(code));
                }
                scope => {
                    let id = self.codes.id(code);
                    if scope == "municipality" {
                        municipalities.push(id);
                    } else {
                        areas.push(id);
                    }
                    if let Some(r) = self.region_of(scope, code) {
                        in_regions.push(self.codes.id(r));
                    }
                }
            }
        }
        served.regions = set(regions);
        served.municipalities = set(municipalities);
        served.areas = set(areas);
        served.in_regions = set(in_regions);
        let summary = Summary {
            categories: self.bits.mask(&doc.categories),
            min_age: doc.min_age,
            max_age: doc.max_age,
            active: doc.active,
            open_access: doc.access == "open",
            free_of_charge: doc.free_of_charge,
            multi_located: doc.locations.len() > 1,
            served: ServedBy::of(&served),
        };
        for &(lat, lon) in &doc.locations {
            if let Ok(point) = NlPoint::new(lat, lon) {
                let located = Located {
                    entry: i,
                    location: self.locations.len() as u32,
                    // Known when the segment is laid out.
                    words: (0, 0),
                    summary,
                };
                self.points
                    .push(GeomWithData::new(project(lat, lon), located));
                self.locations.push(point.on_sphere());
            }
        }
        self.location_start.push(self.locations.len() as u32);
        self.names.push(&text::fold(&doc.name));
        let (summary_json, details_json) = doc.json.get().split_at(doc.summary_len as usize);
        self.summaries.push(summary_json);
        self.details.push(details_json);
        self.entries.push(Entry {
            id: uuid::Uuid::parse_str(&doc.id).unwrap_or_default(),
            rank: 0,
            summary,
            organisation: self.codes.id(&doc.organisation_id),
            languages: doc
                .languages
                .iter()
                .filter_map(|l| language_key(l))
                .collect(),
            opening_hours: doc.opening_hours.into_boxed_slice(),
            served,
        });
    }

    /// The index of the provisions added, as of change-log position `seq`.
    pub fn finish(self, seq: i64) -> ProvisionIndex {
        ProvisionIndex {
            seq,
            base: Arc::new(self.segment()),
            ..ProvisionIndex::default()
        }
    }

    fn segment(self) -> Segment {
        let IndexBuilder {
            bits,
            reach_by_bit,
            codes,
            dictionary,
            points,
            locations,
            location_start,
            mut unlocated,
            mut names,
            mut summaries,
            details,
            mut entries,
            ..
        } = self;
        let mut by_name: Vec<u32> = (0..entries.len() as u32).collect();
        by_name.sort_unstable_by(|&a, &b| {
            names
                .get(a as usize)
                .cmp(names.get(b as usize))
                .then_with(|| entries[a as usize].id.cmp(&entries[b as usize].id))
        });
        for (rank, &i) in by_name.iter().enumerate() {
            entries[i as usize].rank = rank as u32;
        }
        unlocated.sort_unstable_by_key(|&i| entries[i as usize].rank);
        let (dictionary, words) = dictionary.finish();
        let mut points = RTree::bulk_load_with_params(points);
        // The words of the provisions one search walks past lie together, in the order the
        // walk reads the leaves: a text filter then reads one stretch of memory.
        let words = words.laid_out(points.iter().map(|p| p.data.entry as usize));
        for p in points.iter_mut() {
            p.data.words = words.span(p.data.entry as usize);
        }
        let by_id = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.id, i as u32))
            .collect();
        Segment {
            entries,
            points,
            unlocated,
            dictionary,
            words,
            bits,
            reach_by_bit,
            codes: codes.0,
            names: {
                names.shrink_to_fit();
                names
            },
            summaries: {
                summaries.shrink_to_fit();
                summaries
            },
            details: Compressed::new(&details),
            by_id,
            locations,
            location_start,
        }
    }
}

impl ProvisionIndex {
    /// The number of provisions in the index.
    pub fn len(&self) -> usize {
        let superseded: u32 = self.superseded.iter().map(|w| w.count_ones()).sum();
        self.base.entries.len() - superseded as usize + self.recent.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many provisions were written since the base was built.
    pub fn recent_len(&self) -> usize {
        self.recent_docs.len()
    }

    /// The provision's wire representation: [`Self::summary_json`] followed by
    /// [`Self::write_details`].
    pub fn json(&self, entry: u32) -> std::io::Result<String> {
        let mut json = self.summary_json(entry).as_bytes().to_vec();
        self.write_details(entry, &mut json)?;
        String::from_utf8(json).map_err(std::io::Error::other)
    }

    /// The start of the provision's wire representation that holds its summary members: a
    /// JSON object without its closing brace.
    pub fn summary_json(&self, entry: u32) -> &str {
        let (segment, i) = self.segment_of(entry);
        segment.summaries.get(i)
    }

    /// Appends the rest of the provision's wire representation, the members after its
    /// summary and the closing brace, to `out`.
    pub fn write_details(&self, entry: u32, out: &mut Vec<u8>) -> std::io::Result<()> {
        let (segment, i) = self.segment_of(entry);
        segment.details.write(i, out)
    }

    /// How many bytes [`Self::write_details`] appends.
    pub fn details_len(&self, entry: u32) -> usize {
        let (segment, i) = self.segment_of(entry);
        segment.details.text_len(i)
    }

    fn segment_of(&self, entry: u32) -> (&Segment, usize) {
        match entry & RECENT {
            0 => (&self.base, entry as usize),
            _ => (&self.recent, (entry & !RECENT) as usize),
        }
    }

    /// This index with the current versions of `changed` provisions and without the
    /// provisions `deleted`, at change-log position `seq`. The base is shared, only the
    /// segment of recent writes is built again.
    pub fn with_changes(
        &self,
        reference: &Reference,
        seq: i64,
        changed: Vec<ProvisionDoc>,
        deleted: &[String],
    ) -> ProvisionIndex {
        let touched: rustc_hash::FxHashSet<&str> = changed
            .iter()
            .map(|d| d.id.as_str())
            .chain(deleted.iter().map(String::as_str))
            .collect();
        let mut superseded = self.superseded.clone();
        superseded.resize(self.base.entries.len().div_ceil(64), 0);
        for id in &touched {
            let entry = uuid::Uuid::parse_str(id)
                .ok()
                .and_then(|id| self.base.by_id.get(&id));
            if let Some(&i) = entry {
                superseded[i as usize / 64] |= 1 << (i % 64);
            }
        }
        let mut recent_docs: Vec<ProvisionDoc> = self
            .recent_docs
            .iter()
            .filter(|d| !touched.contains(d.id.as_str()))
            .cloned()
            .collect();
        recent_docs.extend(changed);
        let mut builder = IndexBuilder::new(reference);
        for doc in &recent_docs {
            builder.add(doc.clone());
        }
        ProvisionIndex {
            seq,
            base: self.base.clone(),
            recent: builder.segment(),
            recent_docs,
            superseded,
            grids: Default::default(),
        }
    }

    /// Every active, open provision in one of `categories` (codes, descendants included).
    pub fn open_offers(&self, categories: &[String]) -> Vec<Offer> {
        let mut offers = self.base.open_offers(categories, &self.superseded);
        offers.extend(self.recent.open_offers(categories, &[]));
        offers
    }

    /// Every matching provision: located ones by distance (then name), then those without a
    /// location by name. Without an origin, all by name.
    pub fn search(&self, q: &SearchQuery) -> Vec<Hit> {
        self.search_window(q, 0..usize::MAX).hits
    }

    /// The hits at positions `window` of [`Self::search`]'s order, and how many there are in
    /// all; only the window is put in order.
    pub fn search_window(&self, q: &SearchQuery, window: Range<usize>) -> Found {
        if self.recent.entries.is_empty() && self.superseded.iter().all(|&w| w == 0) {
            return self.base.search_window(q, window, &[]);
        }
        let old = self.base.search_window(q, 0..window.end, &self.superseded);
        let mut new = self.recent.search_window(q, 0..window.end, &[]);
        for hit in &mut new.hits {
            hit.entry |= RECENT;
        }
        let name = |h: &Hit| {
            let (segment, i) = self.segment_of(h.entry);
            (segment.names.get(i), segment.entries[i].id)
        };
        let mut hits = Vec::with_capacity(old.hits.len() + new.hits.len());
        let (mut a, mut b) = (
            old.hits.into_iter().peekable(),
            new.hits.into_iter().peekable(),
        );
        loop {
            let next = match (a.peek(), b.peek()) {
                (Some(x), Some(y)) => match by_distance(x, y).then_with(|| name(x).cmp(&name(y))) {
                    Ordering::Greater => b.next(),
                    _ => a.next(),
                },
                _ => a.next().or_else(|| b.next()),
            };
            match next {
                Some(hit) => hits.push(hit),
                None => break,
            }
        }
        Found::window(hits, old.total + new.total, window)
    }
}

impl Segment {
    fn open_offers(&self, categories: &[String], skip: &[u64]) -> Vec<Offer> {
        let mask = self.bits.mask(categories);
        let mut code_of = vec![""; self.codes.len()];
        for (code, &id) in &self.codes {
            code_of[id as usize] = code;
        }
        let codes = |ids: &[CodeId]| ids.iter().map(|&c| code_of[c as usize].into()).collect();
        let mut offers = Vec::new();
        for (i, e) in self.entries.iter().enumerate() {
            let s = &e.summary;
            let skipped = skip.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0);
            if skipped || !s.active || !s.open_access || s.categories & mask == 0 {
                continue;
            }
            let (start, end) = (self.location_start[i], self.location_start[i + 1]);
            offers.push(Offer {
                locations: self.locations[start as usize..end as usize]
                    .iter()
                    .map(|l| l.point())
                    .collect(),
                national: e.served.national,
                regions: codes(&e.served.regions),
                municipalities: codes(&e.served.municipalities),
                areas: codes(&e.served.areas),
            });
        }
        offers
    }

    /// The reach of a provision for this query, in metres: the largest reach of its categories
    /// the query asks for, else the default.
    fn reach_of(&self, s: &Summary, reach: Reach, category_mask: Option<u128>) -> f64 {
        match reach {
            Reach::Radius(r) => r,
            Reach::PerCategory { default_m, .. } => {
                let mut bits = s.categories & category_mask.unwrap_or(u128::MAX);
                let mut widest: Option<f64> = None;
                while bits != 0 {
                    let bit = bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    if let Some(r) = self.reach_by_bit.get(bit).copied().flatten() {
                        widest = Some(widest.map_or(r, |w| w.max(r)));
                    }
                }
                widest.unwrap_or(default_m)
            }
        }
    }

    /// [`ProvisionIndex::search_window`] over this segment, leaving out the entries in the
    /// bit set `skip`.
    fn search_window(&self, q: &SearchQuery, window: Range<usize>, skip: &[u64]) -> Found {
        let live = |i: u32| {
            skip.get(i as usize / 64)
                .is_none_or(|w| w & (1 << (i % 64)) == 0)
        };
        let filter = Filter::new(self, q);
        let mut hits = Vec::new();
        let by_name = |a: &Hit, b: &Hit| {
            self.entries[a.entry as usize]
                .rank
                .cmp(&self.entries[b.entry as usize].rank)
        };
        let Some(origin) = q.origin else {
            match &filter.text {
                Some(words) => {
                    hits.extend(self.dictionary.entries(words).into_iter().filter(|&i| {
                        live(i) && filter.passes_without_text(&self.entries[i as usize])
                    }))
                }
                None => hits.extend(
                    (0..self.entries.len() as u32).filter(|&i| live(i) && filter.passes(self, i)),
                ),
            }
            let mut hits: Vec<Hit> = hits
                .into_iter()
                .map(|entry| Hit {
                    entry,
                    distance_m: None,
                })
                .collect();
            let total = hits.len();
            order_window(&mut hits, &window, by_name);
            return Found::window(hits, total, window);
        };
        let reach = q.reach.unwrap_or(Reach::Radius(10_000.0));
        let max_m = match reach {
            Reach::Radius(r) => r,
            Reach::PerCategory { max_m, .. } => max_m,
        };
        let search_m = max_m * PROJECTION_MARGIN;
        let mut located = Vec::new();
        // Hits of provisions with several locations, kept apart to be taken once each.
        let mut several = Vec::new();
        let from = project(origin.lat(), origin.lon());
        let origin = origin.on_sphere();
        // Beyond the widest reach on the sphere: no distance computed.
        let beyond = Chord::bound(max_m);
        each_within(&self.points, from, search_m * search_m, |p| {
            let Located {
                entry: i,
                location,
                words,
                summary,
            } = p.data;
            // The entry itself is read only for a filter its summary cannot decide.
            if !filter.passes_summary(&summary)
                || !live(i)
                || (filter.needs_entry(&summary)
                    && !filter.passes_entry(&self.entries[i as usize], &summary))
                || !filter.text_matches(self.words.slice(words))
            {
                return;
            }
            let reach_m = self.reach_of(&summary, reach, filter.categories);
            if reach_m < max_m {
                // Beyond a shorter reach already on the plane: no distance on the sphere.
                let [x, y] = *p.geom();
                let planar = (x - from[0]).powi(2) + (y - from[1]).powi(2);
                if planar > (reach_m * PROJECTION_MARGIN).powi(2) {
                    return;
                }
            }
            let chord = origin.chord(self.locations[location as usize]);
            if chord > beyond {
                return;
            }
            let d = chord.metres();
            if d <= reach_m {
                let hit = Hit {
                    entry: i,
                    distance_m: Some(d),
                };
                if summary.multi_located {
                    several.push(hit);
                } else {
                    located.push(hit);
                }
            }
        });
        // Each provision once, at its nearest location.
        several.sort_unstable_by(|a, b| a.entry.cmp(&b.entry).then(by_distance(a, b)));
        several.dedup_by_key(|h| h.entry);
        located.append(&mut several);
        let nearest_first = |a: &Hit, b: &Hit| by_distance(a, b).then_with(|| by_name(a, b));
        let count = located.len();
        let in_located = window.start.min(count)..window.end.min(count);
        order_window(&mut located, &in_located, nearest_first);
        let unlocated: Vec<u32> = self
            .unlocated
            .iter()
            .copied()
            .filter(|&i| live(i) && filter.passes(self, i))
            .collect();
        let total = count + unlocated.len();
        let in_unlocated = window.start.max(count) - count..window.end.max(count) - count;
        let mut hits = located[in_located].to_vec();
        hits.extend(
            unlocated
                .get(in_unlocated.start.min(unlocated.len())..in_unlocated.end.min(unlocated.len()))
                .into_iter()
                .flatten()
                .map(|&entry| Hit {
                    entry,
                    distance_m: None,
                }),
        );
        Found { total, hits }
    }
}

/// Every point of `tree` within `sqrt(distance_2)` of `from` on the plane, to `visit`: the
/// walk of `RTree::locate_within_distance` without its iterator's stack, each node's
/// children one run of memory.
fn each_within(
    tree: &RTree<PointEntry, WideNodes>,
    from: [f64; 2],
    distance_2: f64,
    mut visit: impl FnMut(&PointEntry),
) {
    fn walk(
        node: &ParentNode<PointEntry>,
        from: [f64; 2],
        distance_2: f64,
        visit: &mut impl FnMut(&PointEntry),
    ) {
        for child in node.children() {
            match child {
                RTreeNode::Leaf(p) => {
                    let [x, y] = *p.geom();
                    if (x - from[0]).powi(2) + (y - from[1]).powi(2) <= distance_2 {
                        visit(p);
                    }
                }
                RTreeNode::Parent(n) => {
                    if n.envelope().distance_2(&from) <= distance_2 {
                        walk(n, from, distance_2, visit);
                    }
                }
            }
        }
    }
    walk(tree.root(), from, distance_2, &mut visit);
}

/// A window of hits in order, and the number of hits in all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
}

impl Found {
    fn window(hits: Vec<Hit>, total: usize, window: Range<usize>) -> Self {
        let range = window.start.min(hits.len())..window.end.min(hits.len());
        Found {
            total,
            hits: hits[range].to_vec(),
        }
    }
}

fn by_distance(a: &Hit, b: &Hit) -> Ordering {
    let d = |h: &Hit| h.distance_m.unwrap_or(f64::INFINITY);
    d(a).total_cmp(&d(b))
}

/// Puts the elements at positions `window` in their sorted place; the rest stay unordered.
fn order_window(v: &mut [Hit], window: &Range<usize>, cmp: impl Fn(&Hit, &Hit) -> Ordering) {
    let end = window.end.min(v.len());
    let start = window.start.min(end);
    if start == end {
        return;
    }
    if end < v.len() {
        v.select_nth_unstable_by(end, &cmp);
    }
    let head = &mut v[..end];
    if start > 0 {
        head.select_nth_unstable_by(start, &cmp);
    }
    head[start..].sort_unstable_by(&cmp);
}

/// A query prepared against one index: codes as numbers, categories as a mask, words as
/// dictionary matches.
struct Filter<'q> {
    q: &'q SearchQuery,
    categories: Option<u128>,
    text: Option<Vec<WordMatch>>,
    resident: Option<ResidentCodes>,
    region: Option<Option<CodeId>>,
    organisation: Option<Option<CodeId>>,
    language: Option<Option<u16>>,
    /// Whether a filter other than the resident's needs more than an entry's summary.
    entry_filters: bool,
}

/// The resident's codes; `None` where the index knows no provision serving it.
struct ResidentCodes {
    municipality: Option<CodeId>,
    region: Option<CodeId>,
    /// The area and, for a buurt, its wijk.
    areas: [Option<CodeId>; 2],
}

impl<'q> Filter<'q> {
    fn new(index: &Segment, q: &'q SearchQuery) -> Self {
        let code = |c: &str| index.codes.get(c).copied();
        Filter {
            q,
            categories: q.categories.as_ref().map(|c| index.bits.mask(c)),
            // A query without words filters nothing, as before.
            text: q.text.as_deref().and_then(|t| index.dictionary.query(t)),
            resident: q.resident.as_ref().map(|r| {
                let wijk = r
                    .area
                    .as_deref()
                    .filter(|a| a.starts_with("BU"))
                    .and_then(|a| a.get(2..8))
                    .and_then(|digits| code(&format!("WK{digits}")));
                ResidentCodes {
                    municipality: code(&r.municipality),
                    region: code(&r.region),
                    areas: [r.area.as_deref().and_then(code), wijk],
                }
            }),
            region: q.region.as_deref().map(code),
            organisation: q.organisation.as_deref().map(code),
            language: q.language.as_deref().map(language_key),
            entry_filters: q.region.is_some()
                || q.organisation.is_some()
                || q.language.is_some()
                || q.open_at.is_some(),
        }
    }

    /// Every filter, for entry `i` of `segment`.
    fn passes(&self, segment: &Segment, i: u32) -> bool {
        let e = &segment.entries[i as usize];
        self.passes_without_text(e) && self.text_matches(segment.words.get(i as usize))
    }

    fn passes_without_text(&self, e: &Entry) -> bool {
        self.passes_summary(&e.summary) && self.passes_entry(e, &e.summary)
    }

    /// The filters a [`Summary`] decides, the resident's too unless the provision serves a
    /// list of codes.
    fn passes_summary(&self, s: &Summary) -> bool {
        let q = self.q;
        self.categories.is_none_or(|m| s.categories & m != 0)
            && q.active.is_none_or(|a| s.active == a)
            && q.age.is_none_or(|age| s.min_age <= age && age <= s.max_age)
            && q.access.as_deref().is_none_or(|a| match a {
                "open" => s.open_access,
                "indicated" => !s.open_access,
                _ => false,
            })
            && q.free_of_charge.is_none_or(|f| s.free_of_charge == f)
            && self
                .resident
                .as_ref()
                .is_none_or(|r| s.served.covers(r).unwrap_or(true))
    }

    /// Whether [`Self::passes_entry`] has anything to decide for an entry with summary `s`.
    fn needs_entry(&self, s: &Summary) -> bool {
        self.entry_filters || (self.resident.is_some() && s.served == ServedBy::Listed)
    }

    /// The filters that need the entry, after [`Self::passes_summary`] of its summary `s`.
    fn passes_entry(&self, e: &Entry, s: &Summary) -> bool {
        let q = self.q;
        self.organisation.is_none_or(|o| o == Some(e.organisation))
            && self
                .language
                .is_none_or(|l| l.is_some_and(|l| e.languages.contains(&l)))
            && q.open_at
                .is_none_or(|(day, minute)| e.opening_hours.iter().any(|p| p.contains(day, minute)))
            && self
                .resident
                .as_ref()
                .is_none_or(|r| s.served != ServedBy::Listed || covers(&e.served, r))
            && self.region.is_none_or(|r| {
                e.served.national || r.is_some_and(|r| e.served.in_regions.contains(&r))
            })
    }

    /// The text filter, on an entry's words.
    fn text_matches(&self, words: &[WordId]) -> bool {
        self.text
            .as_ref()
            .is_none_or(|query| query.iter().all(|w| w.matches(words)))
    }
}

/// Whether a provision serves the resident: nationally, in the resident's region or
/// municipality, or in the resident's wijk or buurt.
fn covers(served: &Served, r: &ResidentCodes) -> bool {
    let listed = |list: &[CodeId], code: Option<CodeId>| code.is_some_and(|c| list.contains(&c));
    served.national
        || listed(&served.regions, r.region)
        || listed(&served.municipalities, r.municipality)
        || r.areas.iter().any(|&a| listed(&served.areas, a))
}
