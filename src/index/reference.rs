//! Regions, municipalities, areas, postcodes and the category tree, with point-in-polygon
//! lookup over the wijk and municipality polygons.

use std::collections::{BTreeMap, HashMap};

use geo::{BoundingRect, Contains, MultiPolygon, Point};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::db::rows::{AreaRow, CategoryRow, MunicipalityRow, PostcodeRow, RegionRow};

#[derive(Debug, Clone)]
pub struct Region {
    pub code: String,
    pub name: String,
    pub short_name: String,
    pub slug: String,
    /// Member municipality codes, by name.
    pub members: Vec<String>,
}

#[derive(Debug, Clone)]
pub struct Municipality {
    pub code: String,
    pub name: String,
    pub province: String,
    pub region_code: String,
    pub population: i64,
    pub population_0_14: i64,
    pub label: (f64, f64),
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone)]
pub struct Area {
    pub code: String,
    pub level: String,
    pub name: String,
    pub municipality_code: String,
    pub parent_code: Option<String>,
    pub is_water: bool,
    pub population: i64,
    pub population_0_14: i64,
    pub label: (f64, f64),
    pub bbox: [f64; 4],
}

#[derive(Debug, Clone)]
pub struct Postcode {
    pub pc4: String,
    pub lat: f64,
    pub lon: f64,
    pub place_name: String,
    pub municipality_code: Option<String>,
    pub area_code: Option<String>,
    pub reliable: bool,
    pub unreliable_reason: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Category {
    pub code: String,
    pub parent_code: Option<String>,
    pub access: String,
    pub name_nl: String,
    pub name_en: String,
    pub default_reach_m: Option<i32>,
    pub ijw_code: Option<String>,
    pub children: Vec<String>,
    /// This category and all below it, in taxonomy order.
    pub with_descendants: Vec<String>,
}

type BoxEntry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// Polygons with an R-tree over their bounding boxes.
#[derive(Default)]
struct PolygonIndex {
    codes: Vec<String>,
    shapes: Vec<MultiPolygon<f64>>,
    tree: RTree<BoxEntry>,
}

impl PolygonIndex {
    fn build(items: Vec<(String, MultiPolygon<f64>)>) -> Self {
        let mut index = PolygonIndex::default();
        let mut entries = Vec::with_capacity(items.len());
        for (i, (code, shape)) in items.into_iter().enumerate() {
            if let Some(rect) = shape.bounding_rect() {
                let r = Rectangle::from_corners(
                    [rect.min().x, rect.min().y],
                    [rect.max().x, rect.max().y],
                );
                entries.push(GeomWithData::new(r, i));
            }
            index.codes.push(code);
            index.shapes.push(shape);
        }
        index.tree = RTree::bulk_load(entries);
        index
    }

    fn containing(&self, lon: f64, lat: f64) -> Option<&str> {
        let point = Point::new(lon, lat);
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lon, lat]))
            .map(|e| e.data)
            .find(|&i| self.shapes[i].contains(&point))
            .map(|i| self.codes[i].as_str())
    }

    fn shape(&self, code: &str) -> Option<&MultiPolygon<f64>> {
        let i = self.codes.iter().position(|c| c == code)?;
        self.shapes.get(i)
    }
}

impl std::fmt::Debug for PolygonIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PolygonIndex({} shapes)", self.shapes.len())
    }
}

/// All reference data, read-only once built.
#[derive(Debug, Default)]
pub struct Reference {
    pub regions: BTreeMap<String, Region>,
    pub municipalities: BTreeMap<String, Municipality>,
    pub areas: BTreeMap<String, Area>,
    pub postcodes: HashMap<String, Postcode>,
    pub categories: BTreeMap<String, Category>,
    /// Category codes in taxonomy order.
    pub category_order: Vec<String>,
    /// Open categories worth trying first, per iJw product category.
    open_alternatives: HashMap<String, Vec<String>>,
    /// iJw referrer types (COD327), code → name.
    pub referrer_types: BTreeMap<String, String>,
    /// What to search for each category as a need, worked out with the mapping.
    need_plans: HashMap<String, NeedPlan>,
    areas_by_municipality: HashMap<String, Vec<String>>,
    wijk_polygons: PolygonIndex,
    municipality_polygons: PolygonIndex,
}

/// What to search for a need (a category): the open categories to try first, and the iJw
/// categories to find contracted providers for.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NeedPlan {
    /// Sorted: the need's own open categories and, for each of its iJw categories, the open
    /// alternatives of the mapping, each with the categories below it.
    pub open: Vec<String>,
    /// The need's categories (it and those below it) with an iJw product code.
    pub ijw: Vec<String>,
    /// The widest default reach among `open`, in metres; none when none has one.
    pub widest_reach_m: Option<f64>,
}

/// The plan of an unknown category: nothing to search.
const NO_PLAN: &NeedPlan = &NeedPlan {
    open: Vec::new(),
    ijw: Vec::new(),
    widest_reach_m: None,
};

/// What a point or postcode lies in.
#[derive(Debug, Clone)]
pub struct Placement<'a> {
    pub municipality: &'a Municipality,
    pub region: &'a Region,
    pub wijk: Option<&'a Area>,
}

#[derive(Debug, thiserror::Error)]
#[error("reference geometry of {code} is not a polygon: {message}")]
pub struct GeometryError {
    code: String,
    message: String,
}

fn parse_shape(code: &str, geojson_text: &str) -> Result<MultiPolygon<f64>, GeometryError> {
    let err = |message: String| GeometryError {
        code: code.to_owned(),
        message,
    };
    let geometry: geojson::Geometry = geojson_text
        .parse()
        .map_err(|e: geojson::Error| err(e.to_string()))?;
    let shape: geo::Geometry<f64> = geometry
        .try_into()
        .map_err(|e: geojson::Error| err(e.to_string()))?;
    match shape {
        geo::Geometry::Polygon(p) => Ok(MultiPolygon(vec![p])),
        geo::Geometry::MultiPolygon(mp) => Ok(mp),
        other => Err(err(format!("unexpected {other:?}"))),
    }
}

impl Reference {
    pub fn build(
        regions: Vec<RegionRow>,
        municipalities: Vec<MunicipalityRow>,
        areas: Vec<AreaRow>,
        postcodes: Vec<PostcodeRow>,
        categories: Vec<CategoryRow>,
    ) -> Result<Self, GeometryError> {
        let mut reference = Reference::default();
        for r in regions {
            reference.regions.insert(
                r.code.clone(),
                Region {
                    code: r.code,
                    name: r.name,
                    short_name: r.short_name,
                    slug: r.slug,
                    members: Vec::new(),
                },
            );
        }
        let mut municipality_shapes = Vec::with_capacity(municipalities.len());
        let mut sorted = municipalities;
        sorted.sort_by(|a, b| a.name.cmp(&b.name));
        for m in sorted {
            municipality_shapes.push((m.code.clone(), parse_shape(&m.code, &m.geometry)?));
            if let Some(region) = reference.regions.get_mut(&m.region_code) {
                region.members.push(m.code.clone());
            }
            reference.municipalities.insert(
                m.code.clone(),
                Municipality {
                    code: m.code,
                    name: m.name,
                    province: m.province,
                    region_code: m.region_code,
                    population: m.population,
                    population_0_14: m.population_0_14,
                    label: (m.label_lat, m.label_lon),
                    bbox: [m.min_lon, m.min_lat, m.max_lon, m.max_lat],
                },
            );
        }
        let mut wijk_shapes = Vec::new();
        for a in areas {
            if a.level == "wijk" && !a.is_water {
                wijk_shapes.push((a.code.clone(), parse_shape(&a.code, &a.geometry)?));
            }
            reference
                .areas_by_municipality
                .entry(a.municipality_code.clone())
                .or_default()
                .push(a.code.clone());
            reference.areas.insert(
                a.code.clone(),
                Area {
                    code: a.code,
                    level: a.level,
                    name: a.name,
                    municipality_code: a.municipality_code,
                    parent_code: a.parent_code,
                    is_water: a.is_water,
                    population: a.population,
                    population_0_14: a.population_0_14,
                    label: (a.label_lat, a.label_lon),
                    bbox: [a.min_lon, a.min_lat, a.max_lon, a.max_lat],
                },
            );
        }
        for codes in reference.areas_by_municipality.values_mut() {
            codes.sort();
        }
        for p in postcodes {
            reference.postcodes.insert(
                p.pc4.clone(),
                Postcode {
                    pc4: p.pc4,
                    lat: p.lat,
                    lon: p.lon,
                    place_name: p.place_name,
                    municipality_code: p.municipality_code,
                    area_code: p.area_code,
                    reliable: p.reliable,
                    unreliable_reason: p.unreliable_reason,
                },
            );
        }
        let mut sorted = categories;
        sorted.sort_by_key(|c| c.position);
        for c in sorted {
            reference.category_order.push(c.code.clone());
            if let Some(parent) = c
                .parent_code
                .as_ref()
                .and_then(|p| reference.categories.get_mut(p))
            {
                parent.children.push(c.code.clone());
            }
            reference.categories.insert(
                c.code.clone(),
                Category {
                    code: c.code,
                    parent_code: c.parent_code,
                    access: c.access,
                    name_nl: c.name_nl,
                    name_en: c.name_en,
                    default_reach_m: c.default_reach_m,
                    ijw_code: c.ijw_code,
                    children: Vec::new(),
                    with_descendants: Vec::new(),
                },
            );
        }
        let subtrees: Vec<(String, Vec<String>)> = reference
            .category_order
            .iter()
            .map(|code| (code.clone(), reference.walk_descendants(code)))
            .collect();
        for (code, subtree) in subtrees {
            if let Some(c) = reference.categories.get_mut(&code) {
                c.with_descendants = subtree;
            }
        }
        reference.set_open_alternatives(HashMap::new());
        reference.wijk_polygons = PolygonIndex::build(wijk_shapes);
        reference.municipality_polygons = PolygonIndex::build(municipality_shapes);
        Ok(reference)
    }

    /// The municipality a client named: a well-formed CBS code that exists; else why not.
    pub fn known_municipality(&self, code: &str) -> Result<&Municipality, String> {
        let code =
            crate::domain::codes::MunicipalityCode::parse(code).map_err(|e| e.to_string())?;
        self.municipalities
            .get(code.as_str())
            .ok_or_else(|| format!("there is no municipality {code}"))
    }

    /// The region a client named: a well-formed CBS code that exists; else why not.
    pub fn known_region(&self, code: &str) -> Result<&Region, String> {
        let code = crate::domain::codes::RegionCode::parse(code).map_err(|e| e.to_string())?;
        self.regions
            .get(code.as_str())
            .ok_or_else(|| format!("there is no region {code}"))
    }

    pub fn region_of(&self, municipality: &str) -> Option<&Region> {
        self.municipalities
            .get(municipality)
            .and_then(|m| self.regions.get(&m.region_code))
    }

    /// A wijk's polygon (WGS84, x = longitude).
    pub fn wijk_shape(&self, code: &str) -> Option<&MultiPolygon<f64>> {
        self.wijk_polygons.shape(code)
    }

    /// A municipality's polygon (WGS84, x = longitude).
    pub fn municipality_shape(&self, code: &str) -> Option<&MultiPolygon<f64>> {
        self.municipality_polygons.shape(code)
    }

    /// Area codes (wijken, buurten) of a municipality, sorted.
    pub fn areas_of(&self, municipality: &str) -> &[String] {
        self.areas_by_municipality
            .get(municipality)
            .map_or(&[], Vec::as_slice)
    }

    /// The category and all categories below it, in taxonomy order; none for an unknown code.
    pub fn category_with_descendants(&self, code: &str) -> &[String] {
        self.categories
            .get(code)
            .map_or(&[], |c| c.with_descendants.as_slice())
    }

    /// Sets the mapping from iJw categories to the open ones worth trying first, and works
    /// out every category's plan as a need with it.
    pub fn set_open_alternatives(&mut self, mapping: HashMap<String, Vec<String>>) {
        self.open_alternatives = mapping;
        self.need_plans = self
            .categories
            .keys()
            .map(|code| (code.clone(), self.plan(code)))
            .collect();
    }

    /// The open categories worth trying first for an iJw category, as mapped.
    pub fn open_alternatives(&self, ijw: &str) -> &[String] {
        self.open_alternatives.get(ijw).map_or(&[], Vec::as_slice)
    }

    /// What to search for `need`; nothing for an unknown category.
    pub fn need_plan(&self, need: &str) -> &NeedPlan {
        self.need_plans.get(need).unwrap_or(NO_PLAN)
    }

    fn plan(&self, need: &str) -> NeedPlan {
        let mine = self.category_with_descendants(need);
        let with = |has: fn(&Category) -> bool| -> Vec<String> {
            mine.iter()
                .filter(|c| self.categories.get(*c).is_some_and(has))
                .cloned()
                .collect()
        };
        let ijw = with(|c| c.ijw_code.is_some());
        let mut open = with(|c| c.access == "open");
        for code in &ijw {
            for alternative in self.open_alternatives(code) {
                open.extend_from_slice(self.category_with_descendants(alternative));
            }
        }
        open.sort();
        open.dedup();
        let widest_reach_m = open
            .iter()
            .filter_map(|c| self.categories.get(c)?.default_reach_m)
            .map(f64::from)
            .reduce(f64::max);
        NeedPlan {
            open,
            ijw,
            widest_reach_m,
        }
    }

    fn walk_descendants(&self, code: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![code.to_owned()];
        while let Some(c) = stack.pop() {
            if let Some(category) = self.categories.get(&c) {
                stack.extend(category.children.iter().rev().cloned());
                out.push(c);
            }
        }
        out
    }

    /// Municipality, region and (when inside one) wijk of a WGS84 point.
    pub fn place_point(&self, lat: f64, lon: f64) -> Option<Placement<'_>> {
        let wijk = self
            .wijk_polygons
            .containing(lon, lat)
            .and_then(|code| self.areas.get(code));
        let municipality_code = match wijk {
            Some(w) => w.municipality_code.as_str(),
            None => self.municipality_polygons.containing(lon, lat)?,
        };
        self.placement(municipality_code, wijk)
    }

    /// Municipality, region and wijk of a PC4 postcode's centroid, for reliable postcodes.
    pub fn place_postcode(&self, postcode: &Postcode) -> Option<Placement<'_>> {
        let municipality = postcode.municipality_code.as_deref()?;
        let wijk = postcode
            .area_code
            .as_deref()
            .and_then(|c| self.areas.get(c));
        self.placement(municipality, wijk)
    }

    fn placement<'a>(
        &'a self,
        municipality: &str,
        wijk: Option<&'a Area>,
    ) -> Option<Placement<'a>> {
        let municipality = self.municipalities.get(municipality)?;
        let region = self.regions.get(&municipality.region_code)?;
        Some(Placement {
            municipality,
            region,
            wijk,
        })
    }
}
