//! The coverage map of one category in one region, as SVG: wijken coloured by the distance to
//! the nearest provision that serves them, municipal borders, the provisions' locations, a
//! legend, a title and the attribution of the CBS/Kadaster shapes.

use std::fmt::Write;

use geo::{BoundingRect, MultiPolygon};

use crate::domain::location::NlPoint;
use crate::index::Reference;
use crate::index::coverage::CategoryGrid;

const MAP_WIDTH: f64 = 860.0;
const LEGEND_WIDTH: f64 = 300.0;
const TOP: f64 = 78.0;
const BOTTOM: f64 = 44.0;
const MARGIN: f64 = 16.0;

/// What the map shows.
pub struct MapInput<'a> {
    pub reference: &'a Reference,
    pub grid: &'a CategoryGrid,
    pub region: &'a str,
    pub category: &'a str,
    pub reach_m: u32,
    /// A line under the title (the basic set's version, illustrative or not).
    pub subtitle: String,
    pub attribution: &'a str,
}

/// The colour classes, from near to far; the last one also takes wijken with no serving
/// provision within the distance looked at (25 km, or four times the reach when more).
fn classes(reach_m: f64) -> [(f64, &'static str, String); 5] {
    let km = |m: f64| {
        if m >= 1000.0 {
            format!("{:.1} km", m / 1000.0).replace(".0 km", " km")
        } else {
            format!("{m:.0} m")
        }
    };
    [
        (
            reach_m / 2.0,
            "#1a9850",
            format!("≤ {} (half the reach)", km(reach_m / 2.0)),
        ),
        (
            reach_m,
            "#91cf60",
            format!("≤ {} (within reach)", km(reach_m)),
        ),
        (reach_m * 2.0, "#fee08b", format!("≤ {}", km(reach_m * 2.0))),
        (reach_m * 4.0, "#fc8d59", format!("≤ {}", km(reach_m * 4.0))),
        (f64::INFINITY, "#d73027", "further, or none".to_owned()),
    ]
}

/// Reached only by a provision without a location (online, telephone).
const UNLOCATED: &str = "#74add1";
const WATER: &str = "#dbe9f6";

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Longitude/latitude to the map's pixels: an equirectangular projection at the region's mid
/// latitude, fitted into the map area.
struct Frame {
    min_lon: f64,
    max_lat: f64,
    x_scale: f64,
    y_scale: f64,
}

impl Frame {
    fn new(bbox: [f64; 4], height: &mut f64) -> Self {
        let [min_lon, min_lat, max_lon, max_lat] = bbox;
        let shrink = ((min_lat + max_lat) / 2.0).to_radians().cos();
        let width_deg = ((max_lon - min_lon) * shrink).max(1e-6);
        let height_deg = (max_lat - min_lat).max(1e-6);
        let scale = (MAP_WIDTH - 2.0 * MARGIN) / width_deg;
        *height = (height_deg * scale).clamp(300.0, 1100.0);
        let scale = scale.min((*height) / height_deg);
        Frame {
            min_lon,
            max_lat,
            x_scale: scale * shrink,
            y_scale: scale,
        }
    }

    fn x(&self, lon: f64) -> f64 {
        MARGIN + (lon - self.min_lon) * self.x_scale
    }

    fn y(&self, lat: f64) -> f64 {
        TOP + (self.max_lat - lat) * self.y_scale
    }

    fn path(&self, shape: &MultiPolygon<f64>) -> String {
        let mut d = String::new();
        for polygon in shape {
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                for (i, c) in ring.coords().enumerate() {
                    let _ = write!(
                        d,
                        "{}{:.1},{:.1}",
                        if i == 0 { "M" } else { "L" },
                        self.x(c.x),
                        self.y(c.y)
                    );
                }
                d.push('Z');
            }
        }
        d
    }
}

/// The map as an SVG document; `None` when the region has no shapes.
pub fn render(input: &MapInput<'_>) -> Option<String> {
    let reference = input.reference;
    let region = reference.regions.get(input.region)?;
    let shapes: Vec<(&str, &MultiPolygon<f64>)> = region
        .members
        .iter()
        .filter_map(|m| Some((m.as_str(), reference.municipality_shape(m)?)))
        .collect();
    if shapes.is_empty() {
        return None;
    }
    let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
    for (_, shape) in &shapes {
        let r = shape.bounding_rect()?;
        bbox = [
            bbox[0].min(r.min().x),
            bbox[1].min(r.min().y),
            bbox[2].max(r.max().x),
            bbox[3].max(r.max().y),
        ];
    }
    let mut map_height = 0.0;
    let frame = Frame::new(bbox, &mut map_height);
    let width = MAP_WIDTH + LEGEND_WIDTH;
    let height = TOP + map_height + BOTTOM;
    let category = reference
        .categories
        .get(input.category)
        .map_or(input.category, |c| c.name_nl.as_str());
    let reach = f64::from(input.reach_m);
    let classes = classes(reach);

    let mut svg = String::with_capacity(256 * 1024);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="Helvetica, Arial, sans-serif" role="img">"#
    );
    let title = format!("{category} in {}", region.name);
    let _ = write!(
        svg,
        r##"<title>{t}</title><rect width="100%" height="100%" fill="#ffffff"/><text x="{MARGIN}" y="30" font-size="22" font-weight="bold" fill="#222">{t}</text><text x="{MARGIN}" y="54" font-size="14" fill="#444">Distance from each wijk to the nearest provision that serves it · {s}</text>"##,
        t = escape(&title),
        s = escape(&input.subtitle),
    );

    // Wijken, coloured.
    svg.push_str(r##"<g stroke="#ffffff" stroke-width="0.4" fill-rule="evenodd">"##);
    for m in &region.members {
        for code in reference.areas_of(m) {
            let Some(wijk) = reference.areas.get(code).filter(|a| a.level == "wijk") else {
                continue;
            };
            let Some(shape) = reference.wijk_shape(code) else {
                continue;
            };
            let fill = match (wijk.is_water, input.grid.wijken.get(code)) {
                (true, _) | (false, None) => WATER,
                (false, Some(r)) => {
                    // In whole metres, as reachability is decided.
                    let d = r.nearest_m.map_or(f64::INFINITY, f64::round);
                    if r.reachable && d > reach {
                        UNLOCATED
                    } else {
                        classes.iter().find(|c| d <= c.0).map_or("#d73027", |c| c.1)
                    }
                }
            };
            let _ = write!(
                svg,
                r#"<path d="{}" fill="{fill}"><title>{} ({})</title></path>"#,
                frame.path(shape),
                escape(&wijk.name),
                escape(code)
            );
        }
    }
    svg.push_str("</g>");

    // Municipal borders and names.
    svg.push_str(r##"<g fill="none" stroke="#222222" stroke-width="1.6" fill-rule="evenodd">"##);
    for (_, shape) in &shapes {
        let _ = write!(svg, r#"<path d="{}"/>"#, frame.path(shape));
    }
    svg.push_str("</g>");
    svg.push_str(r##"<g font-size="12" font-weight="bold" fill="#111" text-anchor="middle" stroke="#ffffff" stroke-width="3" paint-order="stroke">"##);
    for (code, _) in &shapes {
        if let Some(m) = reference.municipalities.get(*code) {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
                frame.x(m.label.1),
                frame.y(m.label.0),
                escape(&m.name)
            );
        }
    }
    svg.push_str("</g>");

    // Provision locations inside the frame.
    svg.push_str(r##"<g fill="#1f3a93" stroke="#ffffff" stroke-width="0.8">"##);
    let inside = |p: &NlPoint| {
        (bbox[0]..=bbox[2]).contains(&p.lon()) && (bbox[1]..=bbox[3]).contains(&p.lat())
    };
    for p in input.grid.points.iter().filter(|p| inside(p)) {
        let _ = write!(
            svg,
            r#"<circle cx="{:.1}" cy="{:.1}" r="2.6"/>"#,
            frame.x(p.lon()),
            frame.y(p.lat())
        );
    }
    svg.push_str("</g>");

    // Legend.
    let lx = MAP_WIDTH + 10.0;
    let mut ly = TOP + 10.0;
    let _ = write!(
        svg,
        r##"<text x="{lx}" y="{ly}" font-size="14" font-weight="bold" fill="#222">Nearest serving provision</text>"##
    );
    ly += 12.0;
    let swatch = |svg: &mut String, y: f64, fill: &str, label: &str| {
        let _ = write!(
            svg,
            r##"<rect x="{lx}" y="{y}" width="22" height="16" fill="{fill}" stroke="#888" stroke-width="0.5"/><text x="{tx}" y="{ty}" font-size="13" fill="#222">{label}</text>"##,
            tx = lx + 30.0,
            ty = y + 12.5,
            label = escape(label)
        );
    };
    for (_, fill, label) in &classes {
        swatch(&mut svg, ly, fill, label);
        ly += 22.0;
    }
    swatch(&mut svg, ly, UNLOCATED, "reached only online / by phone");
    ly += 22.0;
    swatch(&mut svg, ly, WATER, "water");
    ly += 30.0;
    let _ = write!(
        svg,
        r##"<circle cx="{cx}" cy="{cy}" r="4" fill="#1f3a93" stroke="#ffffff"/><text x="{tx}" y="{ty}" font-size="13" fill="#222">location of a provision</text><line x1="{lx}" y1="{ly2}" x2="{lx2}" y2="{ly2}" stroke="#222" stroke-width="1.6"/><text x="{tx}" y="{ty2}" font-size="13" fill="#222">municipal border</text>"##,
        cx = lx + 11.0,
        cy = ly + 4.0,
        tx = lx + 30.0,
        ty = ly + 8.5,
        ly2 = ly + 26.0,
        lx2 = lx + 22.0,
        ty2 = ly + 30.5,
    );
    ly += 56.0;
    let _ = write!(
        svg,
        r##"<text x="{lx}" y="{ly}" font-size="12" fill="#444">Reach: {reach:.0} m from the wijk's label point</text>"##
    );

    // Attribution.
    let _ = write!(
        svg,
        r##"<text x="{MARGIN}" y="{y:.0}" font-size="11" fill="#555">{a}</text></svg>"##,
        y = height - 16.0,
        a = escape(input.attribution)
    );
    Some(svg)
}
