//! Referrals to specialist care: anonymous records of what an access team decided, and the
//! quarterly report a municipality gets of them, with small counts hidden so that no family can
//! be recognised.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Why none of the open alternatives fitted, so the family was referred to specialist care.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum NoFitReason {
    /// No open provision for this need within reach of the family.
    NoneWithinReach,
    /// An open provision was tried and did not help enough.
    TriedWithoutResult,
    /// The nature or severity of the problem needs specialist care straight away.
    SpecialistCareNeeded,
    /// The open provision has no place in time (waiting list, full group).
    NoPlaceInTime,
    /// The open provision does not fit the child's age, language or situation.
    DoesNotFit,
    /// The family declined the open provision.
    FamilyDeclined,
    /// The child's safety asks for immediate specialist care.
    Safety,
    /// Another reason.
    Other,
}

impl NoFitReason {
    pub const ALL: [NoFitReason; 8] = [
        NoFitReason::NoneWithinReach,
        NoFitReason::TriedWithoutResult,
        NoFitReason::SpecialistCareNeeded,
        NoFitReason::NoPlaceInTime,
        NoFitReason::DoesNotFit,
        NoFitReason::FamilyDeclined,
        NoFitReason::Safety,
        NoFitReason::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NoFitReason::NoneWithinReach => "none-within-reach",
            NoFitReason::TriedWithoutResult => "tried-without-result",
            NoFitReason::SpecialistCareNeeded => "specialist-care-needed",
            NoFitReason::NoPlaceInTime => "no-place-in-time",
            NoFitReason::DoesNotFit => "does-not-fit",
            NoFitReason::FamilyDeclined => "family-declined",
            NoFitReason::Safety => "safety",
            NoFitReason::Other => "other",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        NoFitReason::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// Counts below this are shown as `<5`.
pub const SMALL_CELL: u64 = 5;

/// A count in a report: exact, or `<5` for 1 to 4 (zero is shown: it names no family).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Count {
    Exact(u64),
    Small,
}

impl Count {
    pub fn of(n: u64) -> Self {
        if (1..SMALL_CELL).contains(&n) {
            Count::Small
        } else {
            Count::Exact(n)
        }
    }
}

impl std::fmt::Display for Count {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Count::Exact(n) => write!(f, "{n}"),
            Count::Small => f.write_str("<5"),
        }
    }
}

impl Serialize for Count {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Count::Exact(n) => s.serialize_u64(*n),
            Count::Small => s.serialize_str("<5"),
        }
    }
}

impl utoipa::PartialSchema for Count {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, OneOfBuilder, Type};
        OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(0)),
            )
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(["<5"])),
            )
            .description(Some(
                "A count; 1 to 4 are shown as \"<5\" so that no family can be recognised",
            ))
            .into()
    }
}

impl ToSchema for Count {}

/// The first and last day of a quarter.
pub fn quarter(year: i32, quarter: u32) -> Result<(NaiveDate, NaiveDate), String> {
    if !(1..=4).contains(&quarter) {
        return Err(format!(
            "quarter {quarter} does not exist; give 1, 2, 3 or 4"
        ));
    }
    if !(2015..=9999).contains(&year) {
        return Err(format!(
            "year {year} is outside 2015 (municipalities took on youth care) to 9999"
        ));
    }
    let first_month = (quarter - 1) * 3 + 1;
    let from = NaiveDate::from_ymd_opt(year, first_month, 1).ok_or("not a date")?;
    let next = match quarter {
        4 => NaiveDate::from_ymd_opt(year + 1, 1, 1),
        _ => NaiveDate::from_ymd_opt(year, first_month + 3, 1),
    }
    .ok_or("not a date")?;
    Ok((from, next.pred_opt().unwrap_or(next)))
}

/// What a report counts of one referral.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralFacts {
    pub municipality: String,
    pub area: Option<String>,
    pub ijw_category: String,
    pub organisation_id: String,
    pub referrer_type: String,
    pub alternatives_considered: bool,
}

/// Exact counts of a set of referrals, per dimension, before small cells are hidden.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tallies {
    pub total: u64,
    pub alternatives_considered: u64,
    pub by_municipality: BTreeMap<String, u64>,
    pub by_ijw_category: BTreeMap<String, u64>,
    pub by_provider: BTreeMap<String, u64>,
    pub by_referrer_type: BTreeMap<String, u64>,
    /// `None` for referrals recorded without a wijk.
    pub by_area: BTreeMap<Option<String>, u64>,
}

impl Tallies {
    pub fn of<'a>(referrals: impl IntoIterator<Item = &'a ReferralFacts>) -> Self {
        let mut t = Tallies::default();
        for r in referrals {
            t.total += 1;
            t.alternatives_considered += u64::from(r.alternatives_considered);
            *t.by_municipality.entry(r.municipality.clone()).or_default() += 1;
            *t.by_ijw_category.entry(r.ijw_category.clone()).or_default() += 1;
            *t.by_provider.entry(r.organisation_id.clone()).or_default() += 1;
            *t.by_referrer_type
                .entry(r.referrer_type.clone())
                .or_default() += 1;
            *t.by_area.entry(r.area.clone()).or_default() += 1;
        }
        t
    }

    /// The share of referrals where open alternatives were considered, in whole percent; `None`
    /// when the part that did or the part that did not is a small cell, since the share and the
    /// total would give it away.
    pub fn considered_percent(&self) -> Option<u64> {
        let not = self.total - self.alternatives_considered;
        let small = |n: u64| Count::of(n) == Count::Small;
        if self.total == 0 || small(self.alternatives_considered) || small(not) {
            return None;
        }
        Some((self.alternatives_considered * 100 + self.total / 2) / self.total)
    }
}

/// A dimension's counts, largest first, then by key.
pub fn ranked<K: Clone + Ord>(counts: &BTreeMap<K, u64>) -> Vec<(K, u64)> {
    let mut rows: Vec<(K, u64)> = counts.iter().map(|(k, n)| (k.clone(), *n)).collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    #[test]
    fn quarters_run_from_their_first_to_their_last_day() {
        assert_eq!(quarter(2026, 1), Ok((day("2026-01-01"), day("2026-03-31"))));
        assert_eq!(quarter(2024, 1).map(|q| q.1), Ok(day("2024-03-31")));
        assert_eq!(quarter(2026, 2), Ok((day("2026-04-01"), day("2026-06-30"))));
        assert_eq!(quarter(2026, 4), Ok((day("2026-10-01"), day("2026-12-31"))));
        assert!(quarter(2026, 0).is_err());
        assert!(quarter(2026, 5).is_err());
        assert!(quarter(2014, 1).is_err());
    }

    #[test]
    fn counts_of_one_to_four_are_hidden_and_zero_is_not() {
        let shown: Vec<String> = [0, 1, 4, 5, 17].map(|n| Count::of(n).to_string()).into();
        assert_eq!(shown, ["0", "<5", "<5", "5", "17"]);
        assert_eq!(
            serde_json::to_value([Count::of(3), Count::of(9)]).expect("json"),
            serde_json::json!(["<5", 9])
        );
    }

    #[test]
    fn the_considered_share_is_left_out_when_either_part_is_small() {
        let facts = |considered: usize, not: usize| {
            let one = |c| ReferralFacts {
                municipality: "GM0748".into(),
                area: None,
                ijw_category: "ijw-45".into(),
                organisation_id: "o".into(),
                referrer_type: "01".into(),
                alternatives_considered: c,
            };
            let mut v = vec![one(true); considered];
            v.extend(vec![one(false); not]);
            Tallies::of(&v)
        };
        assert_eq!(facts(6, 6).considered_percent(), Some(50));
        assert_eq!(facts(10, 0).considered_percent(), Some(100));
        assert_eq!(facts(0, 7).considered_percent(), Some(0));
        assert_eq!(
            facts(9, 3).considered_percent(),
            None,
            "3 did not: a small cell"
        );
        assert_eq!(facts(2, 9).considered_percent(), None);
        assert_eq!(facts(0, 0).considered_percent(), None);
        assert_eq!(facts(5, 7).considered_percent(), Some(42));
    }

    #[test]
    fn dimensions_rank_largest_first_then_by_key() {
        let t = BTreeMap::from([("b", 2u64), ("a", 2), ("c", 7)]);
        assert_eq!(ranked(&t), vec![("c", 7), ("a", 2), ("b", 2)]);
    }
}
