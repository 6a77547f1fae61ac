//! Who may write what: the roles of DESIGN §3 and their scope rules.

use std::collections::BTreeSet;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    RegionAdmin,
    MunicipalityEditor,
    ProviderEditor,
    Professional,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::RegionAdmin,
        Role::MunicipalityEditor,
        Role::ProviderEditor,
        Role::Professional,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::RegionAdmin => "region-admin",
            Role::MunicipalityEditor => "municipality-editor",
            Role::ProviderEditor => "provider-editor",
            Role::Professional => "professional",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| format!("'{s}' is not a role"))
    }
}

/// The authenticated caller, from a verified token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    pub subject: String,
    pub role: Role,
    pub municipalities: BTreeSet<String>,
    pub regions: BTreeSet<String>,
    pub organisation: Option<String>,
}

/// What ties an organisation to municipalities: where its live provisions are located or which
/// they name, its municipal contracts; and whether it has any live provision or contract at all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OrganisationTies {
    pub municipalities: Vec<String>,
    pub has_work: bool,
}

/// A token's codes for a message: `GM0748, GM1674`.
fn listed(codes: &BTreeSet<String>) -> String {
    codes.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// Why a write was refused; becomes the detail of a 403.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub String);

impl Principal {
    fn editor_scope(&self, what: &str) -> Result<&BTreeSet<String>, Denied> {
        match self.role {
            Role::MunicipalityEditor => Ok(&self.municipalities),
            other => Err(Denied(format!(
                "the role {} may not write {what}",
                other.as_str()
            ))),
        }
    }

    /// A provision is tied to `municipalities` (located in or serving by name); an editor may
    /// write it when at least one of them is in scope. An update needs that both before and
    /// after, so no editor can take over or push away another municipality's provision.
    pub fn may_write_provision(&self, municipalities: &[String]) -> Result<(), Denied> {
        if self.role == Role::Admin {
            return Ok(());
        }
        let scope = self.editor_scope("provisions")?;
        if municipalities.iter().any(|m| scope.contains(m)) {
            Ok(())
        } else if municipalities.is_empty() {
            Err(Denied(
                "only an admin may write a provision that is not located in or named for a municipality (national or regional reach)".into(),
            ))
        } else {
            Err(Denied(format!(
                "this provision is located in or serves {}, outside your municipalities ({})",
                municipalities.join(", "),
                listed(scope)
            )))
        }
    }

    /// Organisations: any editor may register one. Changing one needs a tie to the editor's
    /// municipalities (a provision or contract there); one that has nothing yet may be changed
    /// by any editor, and one that works only regionally or nationally only by an admin.
    pub fn may_write_organisation(&self, ties: &OrganisationTies) -> Result<(), Denied> {
        if self.role == Role::Admin {
            return Ok(());
        }
        let scope = self.editor_scope("organisations")?;
        if ties.municipalities.iter().any(|m| scope.contains(m)) || !ties.has_work {
            Ok(())
        } else if ties.municipalities.is_empty() {
            Err(Denied(
                "this organisation works only regionally or nationally; only an admin may change it".into(),
            ))
        } else {
            Err(Denied(format!(
                "this organisation works in {}, outside your municipalities",
                ties.municipalities.join(", ")
            )))
        }
    }

    /// Whether an editor may register a new organisation.
    pub fn may_register_organisation(&self) -> Result<(), Denied> {
        if self.role == Role::Admin {
            return Ok(());
        }
        self.editor_scope("organisations").map(|_| ())
    }

    /// Contracts: an editor writes only contracts of its own municipalities; regional and
    /// national contracts need an admin.
    pub fn may_write_contract(&self, municipality: Option<&str>) -> Result<(), Denied> {
        if self.role == Role::Admin {
            return Ok(());
        }
        let scope = self.editor_scope("contracts")?;
        match municipality {
            Some(m) if scope.contains(m) => Ok(()),
            Some(m) => Err(Denied(format!(
                "contracts of {m} are outside your municipalities"
            ))),
            None => Err(Denied(
                "only an admin may write a regional or national contract".into(),
            )),
        }
    }
}

impl Principal {
    /// An admin, or a region admin for `region` in its token; `what` names the act refused.
    fn admin_of_region(&self, region: &str, what: &str) -> Result<(), Denied> {
        match self.role {
            Role::Admin => Ok(()),
            Role::RegionAdmin if self.regions.contains(region) => Ok(()),
            Role::RegionAdmin => Err(Denied(format!(
                "{region} is outside your regions ({})",
                listed(&self.regions)
            ))),
            other => Err(Denied(format!(
                "the role {} may not {what}; a region admin of the region may",
                other.as_str()
            ))),
        }
    }

    /// Basic sets: an admin, or a region admin for the regions in its token.
    pub fn may_write_basic_set(&self, region: &str) -> Result<(), Denied> {
        self.admin_of_region(region, "write a basic set")
    }
}

impl Principal {
    /// Referrals: a professional records them for residents of its municipalities (an admin
    /// may too).
    pub fn may_record_referral(&self, municipality: &str) -> Result<(), Denied> {
        match self.role {
            Role::Admin => Ok(()),
            Role::Professional if self.municipalities.contains(municipality) => Ok(()),
            Role::Professional => Err(Denied(format!(
                "residents of {municipality} are outside your municipalities ({})",
                listed(&self.municipalities)
            ))),
            other => Err(Denied(format!(
                "the role {} may not record referrals; a professional of the municipality may",
                other.as_str()
            ))),
        }
    }

    /// A municipality's (in `region`) reports — referrals, stale provisions: an admin, an
    /// editor of the municipality, or a region admin of its region.
    pub fn may_read_municipal_reports(
        &self,
        municipality: &str,
        region: &str,
    ) -> Result<(), Denied> {
        match self.role {
            Role::Admin => Ok(()),
            Role::MunicipalityEditor if self.municipalities.contains(municipality) => Ok(()),
            Role::RegionAdmin if self.regions.contains(region) => Ok(()),
            Role::MunicipalityEditor | Role::RegionAdmin => Err(Denied(format!(
                "the reports of {municipality} are outside your scope"
            ))),
            other => Err(Denied(format!(
                "the role {} may not read a municipality's reports; editors and admins of the municipality or its region may",
                other.as_str()
            ))),
        }
    }

    /// The referral report of a region: an admin or a region admin of it.
    pub fn may_read_regional_referrals(&self, region: &str) -> Result<(), Denied> {
        self.admin_of_region(region, "read a region's referral report")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn editor(of: &[&str]) -> Principal {
        Principal {
            subject: "t".into(),
            role: Role::MunicipalityEditor,
            municipalities: of.iter().map(|s| s.to_string()).collect(),
            regions: BTreeSet::new(),
            organisation: None,
        }
    }

    #[test]
    fn municipality_editors_write_only_within_their_municipalities() {
        let e = editor(&["GM0748"]);
        assert!(
            e.may_write_provision(&["GM0748".into(), "GM1674".into()])
                .is_ok()
        );
        assert!(e.may_write_provision(&["GM1674".into()]).is_err());
        assert!(e.may_write_provision(&[]).is_err());
        assert!(e.may_write_contract(Some("GM0748")).is_ok());
        assert!(e.may_write_contract(Some("GM1674")).is_err());
        assert!(e.may_write_contract(None).is_err());
        let ties = |ms: &[&str], has_work| OrganisationTies {
            municipalities: ms.iter().map(|m| m.to_string()).collect(),
            has_work,
        };
        assert!(e.may_write_organisation(&ties(&[], false)).is_ok());
        assert!(e.may_write_organisation(&ties(&["GM0748"], true)).is_ok());
        assert!(e.may_write_organisation(&ties(&["GM1674"], true)).is_err());
        assert!(
            e.may_write_organisation(&ties(&[], true)).is_err(),
            "regional or national work is for admins"
        );
    }

    #[test]
    fn professionals_record_referrals_only_for_their_residents_and_do_not_read_reports() {
        let mut p = editor(&["GM0748"]);
        p.role = Role::Professional;
        assert!(p.may_record_referral("GM0748").is_ok());
        assert!(p.may_record_referral("GM1674").is_err());
        assert!(p.may_read_municipal_reports("GM0748", "JZ36").is_err());
        let e = editor(&["GM0748"]);
        assert!(e.may_record_referral("GM0748").is_err());
        assert!(e.may_read_municipal_reports("GM0748", "JZ36").is_ok());
        assert!(e.may_read_municipal_reports("GM1674", "JZ36").is_err());
        assert!(e.may_read_regional_referrals("JZ36").is_err());
        let mut r = editor(&[]);
        r.role = Role::RegionAdmin;
        r.regions.insert("JZ36".into());
        assert!(r.may_read_municipal_reports("GM1674", "JZ36").is_ok());
        assert!(r.may_read_municipal_reports("GM0200", "JZ07").is_err());
        assert!(r.may_read_regional_referrals("JZ36").is_ok());
        assert!(r.may_read_regional_referrals("JZ07").is_err());
    }

    #[test]
    fn other_roles_may_not_write_the_registry_yet() {
        let mut p = editor(&["GM0748"]);
        p.role = Role::Professional;
        assert!(p.may_write_provision(&["GM0748".into()]).is_err());
        p.role = Role::Admin;
        assert!(p.may_write_provision(&[]).is_ok());
    }
}
