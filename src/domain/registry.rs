//! Validated drafts of the registry's writable resources. Values of these types passed every
//! check (formats, ranges, existence of codes); the database layer stores them as they are.

use chrono::NaiveDate;
use uuid::Uuid;

use super::age::AgeRange;
use super::codes::{AgbCode, AreaCode, CategoryCode, KvkNumber, MunicipalityCode, Postcode};
use super::hours::Period;
use super::location::NlPoint;
use super::scope::{ContractScope, ServiceArea};

/// Whether a provision is freely accessible or needs a municipal decision (indication).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Open,
    Indicated,
}

impl Access {
    pub fn as_str(self) -> &'static str {
        match self {
            Access::Open => "open",
            Access::Indicated => "indicated",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "open" => Ok(Access::Open),
            "indicated" => Ok(Access::Indicated),
            _ => Err(format!("'{s}' is not an access type (open or indicated)")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Inactive,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Status::Active),
            "inactive" => Ok(Status::Inactive),
            _ => Err(format!("'{s}' is not a status (active or inactive)")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct OrganisationDraft {
    pub name: String,
    pub kvk_number: Option<KvkNumber>,
    pub agb_code: Option<AgbCode>,
    pub description: Option<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct LocationDraft {
    pub name: Option<String>,
    pub street: String,
    pub house_number: String,
    pub postcode: Postcode,
    pub city: String,
    pub point: NlPoint,
    /// Where the point lies, from the CBS polygons.
    pub municipality: MunicipalityCode,
    pub area: Option<AreaCode>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ProvisionDraft {
    pub organisation_id: Uuid,
    pub name: String,
    pub description: Option<String>,
    pub categories: Vec<CategoryCode>,
    pub access: Access,
    pub status: Status,
    pub ages: AgeRange,
    pub free_of_charge: bool,
    pub cost_description: Option<String>,
    pub languages: Vec<String>,
    pub website: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub opening_hours: Vec<Period>,
    pub locations: Vec<LocationDraft>,
    pub service_areas: Vec<ServiceArea>,
    pub source: String,
}

impl ProvisionDraft {
    /// The municipalities this provision is tied to by name: where it is located and the
    /// municipalities (or their areas) its service area lists explicitly. Editors of those
    /// municipalities may edit it; national and regional reach belongs to wider roles.
    pub fn municipalities(
        &self,
        area_municipality: impl Fn(&AreaCode) -> Option<String>,
    ) -> Vec<String> {
        let mut out: Vec<String> = self
            .locations
            .iter()
            .map(|l| l.municipality.as_str().to_owned())
            .chain(self.service_areas.iter().filter_map(|s| match s {
                ServiceArea::Municipality(m) => Some(m.as_str().to_owned()),
                ServiceArea::Area(a) => area_municipality(a),
                _ => None,
            }))
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct ContractDraft {
    pub organisation_id: Uuid,
    pub scope: ContractScope,
    pub categories: Vec<CategoryCode>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
    pub reference: Option<String>,
    pub source: String,
}

/// Where a contract stands on a given day.
pub fn contract_status(
    valid_from: NaiveDate,
    valid_until: Option<NaiveDate>,
    on: NaiveDate,
) -> &'static str {
    if on < valid_from {
        "future"
    } else if valid_until.is_some_and(|until| on > until) {
        "expired"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_validity_includes_its_first_and_last_day() {
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date");
        let (from, until) = (d("2026-01-01"), Some(d("2026-12-31")));
        assert_eq!(contract_status(from, until, d("2025-12-31")), "future");
        assert_eq!(contract_status(from, until, d("2026-01-01")), "active");
        assert_eq!(contract_status(from, until, d("2026-12-31")), "active");
        assert_eq!(contract_status(from, until, d("2027-01-01")), "expired");
        assert_eq!(contract_status(from, None, d("2099-01-01")), "active");
    }
}
