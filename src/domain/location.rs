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

    /// Great-circle distance in metres (haversine; well under 0.5 % error at Dutch distances).
    pub fn distance_m(self, other: NlPoint) -> f64 {
        self.on_sphere().distance_m(other.on_sphere())
    }

    pub fn on_sphere(self) -> OnSphere {
        OnSphere {
            point: self,
            cos_lat: self.lat.to_radians().cos(),
        }
    }
}

/// A point with the cosine of its latitude, for many distances from or to it (a search's
/// origin, the index's locations) without that cosine each time. Its distances are those of
/// [`NlPoint::distance_m`] to the last bit: the same operations in the same order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OnSphere {
    point: NlPoint,
    cos_lat: f64,
}

impl OnSphere {
    pub fn point(self) -> NlPoint {
        self.point
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(self, other: OnSphere) -> f64 {
        const EARTH_RADIUS_M: f64 = 6_371_008.8;
        let (p1, p2) = (self.point.lat.to_radians(), other.point.lat.to_radians());
        let dp = p2 - p1;
        let dl = (other.point.lon - self.point.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + self.cos_lat * other.cos_lat * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().asin()
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
    fn distances_on_the_sphere_are_the_haversine_to_the_bit() {
        let haversine = |a: NlPoint, b: NlPoint| {
            let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
            let dl = (b.lon - a.lon).to_radians();
            let h =
                ((p2 - p1) / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
            2.0 * 6_371_008.8 * h.sqrt().asin()
        };
        let points: Vec<NlPoint> = (0..40)
            .map(|i| {
                let f = f64::from(i);
                NlPoint::new(50.75 + f * 0.0713, 3.35 + f * 0.0977).expect("in NL")
            })
            .collect();
        for &a in &points {
            for &b in &points {
                let d = a.on_sphere().distance_m(b.on_sphere());
                assert_eq!(d.to_bits(), haversine(a, b).to_bits(), "{a:?} {b:?}");
                assert_eq!(d.to_bits(), a.distance_m(b).to_bits());
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
