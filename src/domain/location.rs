//! Points in the Netherlands (WGS84) and distances between them.

/// A WGS84 point inside the bounding box of the European Netherlands.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NlPoint {
    lat: f64,
    lon: f64,
}

/// Bounding box of the European Netherlands with its territorial waters, generously rounded.
const LAT_RANGE: (f64, f64) = (50.70, 53.60);
const LON_RANGE: (f64, f64) = (3.30, 7.25);

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("({lat}, {lon}) is not in the Netherlands (latitude {lat_min}..{lat_max}, longitude {lon_min}..{lon_max})", lat_min = LAT_RANGE.0, lat_max = LAT_RANGE.1, lon_min = LON_RANGE.0, lon_max = LON_RANGE.1)]
pub struct OutsideNetherlands {
    pub lat: f64,
    pub lon: f64,
}

impl NlPoint {
    pub fn new(lat: f64, lon: f64) -> Result<Self, OutsideNetherlands> {
        let inside = (LAT_RANGE.0..=LAT_RANGE.1).contains(&lat)
            && (LON_RANGE.0..=LON_RANGE.1).contains(&lon);
        if inside {
            Ok(Self { lat, lon })
        } else {
            Err(OutsideNetherlands { lat, lon })
        }
    }

    pub fn lat(self) -> f64 {
        self.lat
    }

    pub fn lon(self) -> f64 {
        self.lon
    }

    /// Great-circle distance in metres on a sphere of the Earth's mean radius (well under
    /// 0.5 % from the ellipsoid at Dutch distances).
    pub fn distance_m(self, other: NlPoint) -> f64 {
        self.on_sphere().distance_m(other.on_sphere())
    }

    pub fn on_sphere(self) -> OnSphere {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        OnSphere {
            point: self,
            unit: [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()],
        }
    }
}

const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point with its unit vector from the Earth's centre, for many distances from or to it (a
/// search's origin, the index's locations): the straight line (chord) between two such
/// vectors gives the great-circle distance without a sine or cosine, and a comparison with a
/// reach needs no arcsine either ([`Chord`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnSphere {
    point: NlPoint,
    unit: [f64; 3],
}

impl OnSphere {
    pub fn point(self) -> NlPoint {
        self.point
    }

    /// The squared chord to `other`, on the unit sphere.
    pub fn chord(self, other: OnSphere) -> Chord {
        let [x, y, z] = self.unit;
        let [u, v, w] = other.unit;
        Chord((x - u).powi(2) + (y - v).powi(2) + (z - w).powi(2))
    }

    /// Great-circle distance in metres: the arc of the chord.
    pub fn distance_m(self, other: OnSphere) -> f64 {
        self.chord(other).metres()
    }
}

/// A squared chord on the unit sphere: grows with the distance, so it orders and bounds
/// distances before any of them is computed.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct Chord(f64);

impl Chord {
    /// The chord of `metres`, widened by far more than rounding can move a chord (about a
    /// micrometre here): no point within `metres` lies beyond it.
    pub fn bound(metres: f64) -> Chord {
        let half_angle = (metres / (2.0 * EARTH_RADIUS_M)).min(std::f64::consts::FRAC_PI_2);
        Chord((2.0 * half_angle.sin()).powi(2) * (1.0 + 1e-9))
    }

    /// The great-circle distance in metres.
    pub fn metres(self) -> f64 {
        2.0 * EARTH_RADIUS_M * (self.0.sqrt() / 2.0).min(1.0).asin()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_outside_the_netherlands_are_refused() {
        assert!(NlPoint::new(51.4949, 4.2888).is_ok());
        assert!(NlPoint::new(48.85, 2.35).is_err());
        assert!(NlPoint::new(f64::NAN, 4.0).is_err());
    }

    #[test]
    fn distances_agree_with_the_haversine_and_bounds_hold_them() {
        let haversine = |a: NlPoint, b: NlPoint| {
            let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
            let dl = (b.lon - a.lon).to_radians();
            let h =
                ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * EARTH_RADIUS_M * h.sqrt().asin()
        };
        let points: Vec<NlPoint> = (0..40)
            .map(|i| {
                let f = f64::from(i);
                NlPoint::new(50.75 + f * 0.0713, 3.35 + f * 0.0977).expect("in NL")
            })
            .chain([
                NlPoint::new(52.0, 5.0).expect("in NL"),
                NlPoint::new(52.000001, 5.0).expect("in NL"),
            ])
            .collect();
        for &a in &points {
            for &b in &points {
                let (d, chord) = (a.distance_m(b), a.on_sphere().chord(b.on_sphere()));
                // Within a micrometre of the haversine, from 0 m to 350 km.
                assert!((d - haversine(a, b)).abs() < 1e-6, "{a:?} {b:?}: {d}");
                assert_eq!(d.to_bits(), chord.metres().to_bits());
                assert_eq!(
                    d.to_bits(),
                    a.on_sphere().distance_m(b.on_sphere()).to_bits()
                );
                assert!(chord <= Chord::bound(d), "{a:?} {b:?}");
                if d > 0.0 {
                    assert!(chord > Chord::bound(d * 0.999_999), "{a:?} {b:?}: {d}");
                }
            }
        }
    }

    #[test]
    fn distance_between_bergen_op_zoom_and_roosendaal_is_about_13_km() {
        let boz = NlPoint::new(51.4949, 4.2888).expect("in NL");
        let rsd = NlPoint::new(51.5308, 4.4653).expect("in NL");
        let d = boz.distance_m(rsd);
        assert!((12_000.0..14_000.0).contains(&d), "{d}");
    }
}
