//! Coverage maths: how a region's basic set is judged per municipality (docs/coverage.md).

use chrono::NaiveDate;

/// The categories a region agreed every member municipality should offer (basisset).
#[derive(Debug, Clone, PartialEq)]
pub struct BasicSet {
    pub region: String,
    pub version: i32,
    /// The date this version was adopted.
    pub adopted_on: NaiveDate,
    /// An example shipped with the software, not an agreement of the region.
    pub illustrative: bool,
    pub note: Option<String>,
    pub created_at: String,
    pub categories: Vec<SetCategory>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SetCategory {
    pub category: String,
    /// A wijk counts as reached when a serving provision is at most this far from its label
    /// point.
    pub reach_m: u32,
    /// Since when the region agreed on this category.
    pub adopted_on: NaiveDate,
}

/// The shares of inhabitants within reach at which a cell counts as covered or partial.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Thresholds {
    pub covered_at: f64,
    pub partial_at: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            covered_at: 0.9,
            partial_at: 0.5,
        }
    }
}

impl Thresholds {
    /// Both shares between 0 and 1, `partial_at` not above `covered_at`.
    pub fn new(covered_at: f64, partial_at: f64) -> Result<Self, String> {
        let share = 0.0..=1.0;
        if !share.contains(&covered_at) || !share.contains(&partial_at) {
            return Err("thresholds are shares between 0 and 1".into());
        }
        if partial_at > covered_at {
            return Err(format!(
                "partialAt ({partial_at}) may not be above coveredAt ({covered_at})"
            ));
        }
        Ok(Thresholds {
            covered_at,
            partial_at,
        })
    }

    /// A cell's status by the share of inhabitants within reach; a municipality without any
    /// serving provision is `missing` whatever the share.
    pub fn status(&self, provisions: u32, share: f64) -> Status {
        if provisions == 0 {
            Status::Missing
        } else if share >= self.covered_at {
            Status::Covered
        } else if share >= self.partial_at {
            Status::Partial
        } else {
            Status::Missing
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Covered,
    Partial,
    Missing,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Covered => "covered",
            Status::Partial => "partial",
            Status::Missing => "missing",
        }
    }
}

/// Inhabitants of a municipality, and how many of them live in wijken within reach.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Reached {
    pub inhabitants: i64,
    pub within_reach: i64,
}

impl Reached {
    /// Adds one wijk; wijken without a published figure weigh nothing.
    pub fn add(&mut self, inhabitants: i64, reachable: bool) {
        let n = inhabitants.max(0);
        self.inhabitants += n;
        if reachable {
            self.within_reach += n;
        }
    }

    /// The share within reach; 0 when nobody lives there.
    pub fn share(&self) -> f64 {
        if self.inhabitants == 0 {
            0.0
        } else {
            self.within_reach as f64 / self.inhabitants as f64
        }
    }
}

/// The median; `None` for no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    Some(if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    })
}

/// A municipality's score: the mean share of inhabitants within reach over the set's
/// categories, from 0 to 100.
pub fn score(shares: &[f64]) -> f64 {
    if shares.is_empty() {
        return 0.0;
    }
    100.0 * shares.iter().sum::<f64>() / shares.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_follow_the_thresholds_and_no_provision_is_missing() {
        let t = Thresholds::default();
        assert_eq!(t.status(3, 0.9), Status::Covered);
        assert_eq!(t.status(3, 0.89), Status::Partial);
        assert_eq!(t.status(3, 0.5), Status::Partial);
        assert_eq!(t.status(3, 0.49), Status::Missing);
        assert_eq!(t.status(0, 1.0), Status::Missing);
        assert!(Thresholds::new(0.5, 0.6).is_err());
        assert!(Thresholds::new(1.1, 0.6).is_err());
        assert!(Thresholds::new(0.8, 0.0).is_ok());
    }

    #[test]
    fn medians_scores_and_shares() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [0.3, 0.1, 0.2]), Some(0.2));
        assert_eq!(median(&mut [0.4, 0.1, 0.2, 0.3]), Some(0.25));
        assert_eq!(score(&[1.0, 0.5]), 75.0);
        let mut r = Reached::default();
        r.add(100, true);
        r.add(300, false);
        r.add(-99_999, true);
        assert_eq!(r.share(), 0.25);
        assert_eq!(Reached::default().share(), 0.0);
    }
}
