//! Contracts in memory: which specialist providers hold a contract, valid on a given day, that
//! covers a resident's municipality (by the municipality, its region, or nationally) for one of
//! the iJw categories of a need.

use chrono::NaiveDate;

/// A contract with what an access team needs to know of its provider.
#[derive(Debug, Clone)]
pub struct ContractDoc {
    pub id: String,
    pub organisation_id: String,
    pub organisation_name: String,
    pub agb_code: Option<String>,
    pub kvk_number: Option<String>,
    /// `municipality`, `region` or `national`.
    pub scope: String,
    pub scope_code: Option<String>,
    /// iJw categories, sorted.
    pub categories: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Default)]
pub struct ContractIndex {
    /// The change-log sequence number the index reflects.
    pub seq: i64,
    /// By provider name, then contract id.
    contracts: Vec<ContractDoc>,
    /// Positions in `contracts` of the contracts of each scope code (`""` for national ones),
    /// ascending: a resident's contracts are found without comparing every contract.
    by_scope: rustc_hash::FxHashMap<String, Vec<usize>>,
}

impl ContractIndex {
    pub fn new(seq: i64, mut contracts: Vec<ContractDoc>) -> Self {
        contracts.sort_by(|a, b| (&a.organisation_name, &a.id).cmp(&(&b.organisation_name, &b.id)));
        let mut by_scope = rustc_hash::FxHashMap::<String, Vec<usize>>::default();
        for (i, c) in contracts.iter().enumerate() {
            let code = match c.scope.as_str() {
                "national" => "",
                _ => c.scope_code.as_deref().unwrap_or_default(),
            };
            by_scope.entry(code.to_owned()).or_default().push(i);
        }
        Self {
            seq,
            contracts,
            by_scope,
        }
    }

    /// The contracts valid on `day` that cover a resident of `municipality` (in `region`) for
    /// at least one of `categories`, by provider name.
    pub fn covering<'a>(
        &'a self,
        municipality: &'a str,
        region: &'a str,
        categories: &'a [String],
        day: NaiveDate,
    ) -> impl Iterator<Item = &'a ContractDoc> + 'a {
        let mut candidates: Vec<usize> = ["", region, municipality]
            .iter()
            .filter_map(|code| self.by_scope.get(*code))
            .flatten()
            .copied()
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        candidates
            .into_iter()
            .map(|i| &self.contracts[i])
            .filter(move |c| {
                let applies = match c.scope.as_str() {
                    "national" => true,
                    "region" => c.scope_code.as_deref() == Some(region),
                    "municipality" => c.scope_code.as_deref() == Some(municipality),
                    _ => false,
                };
                applies
                    && c.valid_from <= day
                    && c.valid_until.is_none_or(|until| day <= until)
                    && c.categories.iter().any(|x| categories.contains(x))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contract(
        id: &str,
        scope: &str,
        code: Option<&str>,
        from: &str,
        until: Option<&str>,
    ) -> ContractDoc {
        let day = |d: &str| NaiveDate::parse_from_str(d, "%Y-%m-%d").expect("date");
        ContractDoc {
            id: id.into(),
            organisation_id: format!("org-{id}"),
            organisation_name: format!("Provider {id}"),
            agb_code: None,
            kvk_number: None,
            scope: scope.into(),
            scope_code: code.map(Into::into),
            categories: vec!["ijw-45".into()],
            valid_from: day(from),
            valid_until: until.map(day),
        }
    }

    #[test]
    fn scope_period_and_category_decide() {
        let index = ContractIndex::new(
            1,
            vec![
                contract(
                    "a",
                    "municipality",
                    Some("GM0748"),
                    "2026-01-01",
                    Some("2026-12-31"),
                ),
                contract("b", "region", Some("JZ36"), "2026-01-01", None),
                contract("c", "national", None, "2027-01-01", None),
                contract("d", "municipality", Some("GM0879"), "2026-01-01", None),
            ],
        );
        let ids = |day: &str, categories: &[String]| -> Vec<String> {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").expect("date");
            index
                .covering("GM0748", "JZ36", categories, day)
                .map(|c| c.id.clone())
                .collect()
        };
        let ijw45 = vec!["ijw-45".to_owned()];
        assert_eq!(ids("2026-12-31", &ijw45), ["a", "b"], "last day included");
        assert_eq!(ids("2027-01-01", &ijw45), ["b", "c"], "first day included");
        assert!(ids("2026-06-01", &["ijw-55".to_owned()]).is_empty());
    }
}
