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

/// Who contracted: the VNG nationally, a region, or a municipality (with its region).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContractParty<'a> {
    National,
    Region(&'a str),
    Municipality { code: &'a str, region: &'a str },
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

    /// A provider editor acts for the organisation in its token, and for nothing else.
    fn own_organisation(&self, organisation: &str, what: &str) -> Result<(), Denied> {
        match self.organisation.as_deref() {
            Some(own) if own == organisation => Ok(()),
            Some(_) => Err(Denied(format!(
                "{what} belongs to another organisation than yours"
            ))),
            None => Err(Denied(
                "this provider editor's token names no organisation".into(),
            )),
        }
    }

    /// A provision of `organisation` is tied to `municipalities` (located in or serving by
    /// name). An editor may write it when at least one of them is in scope; a provider editor
    /// when it is its organisation's. An update needs that both before and after, so no one
    /// can take over or push away another municipality's or organisation's provision.
    pub fn may_write_provision(
        &self,
        organisation: &str,
        municipalities: &[String],
    ) -> Result<(), Denied> {
        match self.role {
            Role::Admin => return Ok(()),
            Role::ProviderEditor => return self.own_organisation(organisation, "this provision"),
            _ => {}
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
    /// by any editor, and one that works only regionally or nationally only by an admin. A
    /// provider editor may change its own organisation.
    pub fn may_write_organisation(&self, id: &str, ties: &OrganisationTies) -> Result<(), Denied> {
        match self.role {
            Role::Admin => return Ok(()),
            Role::ProviderEditor => return self.own_organisation(id, "this organisation"),
            _ => {}
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

    /// Deleting an organisation takes it out of the municipalities' registry: an admin or an
    /// editor in scope, not the provider itself.
    pub fn may_delete_organisation(&self, id: &str, ties: &OrganisationTies) -> Result<(), Denied> {
        if self.role == Role::ProviderEditor {
            return Err(Denied(
                "a provider editor may change its organisation but not delete it; ask the municipality".into(),
            ));
        }
        self.may_write_organisation(id, ties)
    }

    /// Whether an editor may register a new organisation.
    pub fn may_register_organisation(&self) -> Result<(), Denied> {
        if self.role == Role::Admin {
            return Ok(());
        }
        self.editor_scope("organisations").map(|_| ())
    }

    /// Contracts: an editor writes only contracts of its own municipalities; a region admin
    /// those of its regions and of their members; national contracts need an admin.
    pub fn may_write_contract(&self, party: ContractParty<'_>) -> Result<(), Denied> {
        match (self.role, party) {
            (Role::Admin, _) => Ok(()),
            (Role::MunicipalityEditor, ContractParty::Municipality { code, .. })
                if self.municipalities.contains(code) =>
            {
                Ok(())
            }
            (Role::MunicipalityEditor, ContractParty::Municipality { code, .. }) => Err(Denied(
                format!("contracts of {code} are outside your municipalities"),
            )),
            (Role::MunicipalityEditor, _) => Err(Denied(
                "only an admin or the region's admin may write a regional contract, and only an admin a national one".into(),
            )),
            (Role::RegionAdmin, ContractParty::Region(region))
            | (Role::RegionAdmin, ContractParty::Municipality { region, .. })
                if self.regions.contains(region) =>
            {
                Ok(())
            }
            (Role::RegionAdmin, ContractParty::National) => Err(Denied(
                "only an admin may write a national contract".into(),
            )),
            (Role::RegionAdmin, _) => Err(Denied(format!(
                "this contract is outside your regions ({})",
                listed(&self.regions)
            ))),
            (other, _) => Err(Denied(format!(
                "the role {} may not write contracts",
                other.as_str()
            ))),
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
            e.may_write_provision("org", &["GM0748".into(), "GM1674".into()])
                .is_ok()
        );
        assert!(e.may_write_provision("org", &["GM1674".into()]).is_err());
        assert!(e.may_write_provision("org", &[]).is_err());
        let town = |code| ContractParty::Municipality {
            code,
            region: "JZ36",
        };
        assert!(e.may_write_contract(town("GM0748")).is_ok());
        assert!(e.may_write_contract(town("GM1674")).is_err());
        assert!(e.may_write_contract(ContractParty::Region("JZ36")).is_err());
        assert!(e.may_write_contract(ContractParty::National).is_err());
        let ties = |ms: &[&str], has_work| OrganisationTies {
            municipalities: ms.iter().map(|m| m.to_string()).collect(),
            has_work,
        };
        assert!(e.may_write_organisation("org", &ties(&[], false)).is_ok());
        assert!(
            e.may_write_organisation("org", &ties(&["GM0748"], true))
                .is_ok()
        );
        assert!(
            e.may_write_organisation("org", &ties(&["GM1674"], true))
                .is_err()
        );
        assert!(
            e.may_write_organisation("org", &ties(&[], true)).is_err(),
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
    fn provider_editors_write_only_their_own_organisation_and_its_provisions() {
        let mut p = editor(&[]);
        p.role = Role::ProviderEditor;
        p.organisation = Some("org-a".into());
        let none = OrganisationTies::default();
        assert!(p.may_write_provision("org-a", &["GM1674".into()]).is_ok());
        assert!(
            p.may_write_provision("org-a", &[]).is_ok(),
            "also national reach"
        );
        assert!(p.may_write_provision("org-b", &["GM0748".into()]).is_err());
        assert!(p.may_write_organisation("org-a", &none).is_ok());
        assert!(p.may_write_organisation("org-b", &none).is_err());
        assert!(p.may_delete_organisation("org-a", &none).is_err());
        assert!(p.may_register_organisation().is_err());
        assert!(p.may_write_contract(ContractParty::National).is_err());
        p.organisation = None;
        assert!(p.may_write_provision("org-a", &[]).is_err());
    }

    #[test]
    fn region_admins_write_contracts_of_their_regions_and_members() {
        let mut r = editor(&[]);
        r.role = Role::RegionAdmin;
        r.regions.insert("JZ36".into());
        assert!(r.may_write_contract(ContractParty::Region("JZ36")).is_ok());
        assert!(r.may_write_contract(ContractParty::Region("JZ07")).is_err());
        let member = ContractParty::Municipality {
            code: "GM1674",
            region: "JZ36",
        };
        assert!(r.may_write_contract(member).is_ok());
        let other = ContractParty::Municipality {
            code: "GM0150",
            region: "JZ07",
        };
        assert!(r.may_write_contract(other).is_err());
        assert!(r.may_write_contract(ContractParty::National).is_err());
        assert!(r.may_write_provision("org", &["GM1674".into()]).is_err());
    }

    #[test]
    fn other_roles_may_not_write_the_registry_yet() {
        let mut p = editor(&["GM0748"]);
        p.role = Role::Professional;
        assert!(p.may_write_provision("org", &["GM0748".into()]).is_err());
        p.role = Role::Admin;
        assert!(p.may_write_provision("org", &[]).is_ok());
    }
}
