//! The deterministic synthetic demo set, so every endpoint has something real to show on a
//! fresh start. Every record is marked `source: synthetic`; the same database always gets the
//! same ids, names and places. It covers the four focus regions: West-Brabant-West (JZ36),
//! IJsselland (JZ07), Achterhoek (JZ25) and Utrecht stad (JZ22).

use std::collections::HashMap;
use std::fmt;

use diesel::prelude::*;

use super::DbConnection;
use super::changes::{self, Actor};
use super::reference::{LoadError, load_reference};
use super::registry::{self as reg, ContractRecord, ProvisionRecord};
use super::rows::*;
use crate::domain::hours::PeriodText;
use crate::index::Reference;

pub const FOCUS_REGIONS: [&str; 4] = ["JZ36", "JZ07", "JZ25", "JZ22"];
const SOURCE: &str = "synthetic";

/// Categories that are regional or national by nature and have no location.
pub(crate) const WITHOUT_LOCATION: [&str; 2] = ["jeugdfonds-sport-cultuur", "online-hulp"];

/// A small deterministic generator (SplitMix64): no dependency, same output everywhere.
pub struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        SplitMix(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }

    /// Uniform in `[-1, 1)`.
    pub fn signed_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    pub fn uuid(&mut self) -> String {
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&self.next_u64().to_le_bytes());
        bytes[8..].copy_from_slice(&self.next_u64().to_le_bytes());
        uuid::Builder::from_random_bytes(bytes)
            .into_uuid()
            .to_string()
    }

    pub fn digits(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(b'0' + self.below(10) as u8))
            .collect()
    }
}

#[derive(Debug, Default)]
pub struct DemoReport {
    pub organisations: usize,
    pub provisions: usize,
    pub contracts: usize,
    pub already_present: bool,
}

impl fmt::Display for DemoReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.already_present {
            write!(f, "already present, nothing changed")
        } else {
            write!(
                f,
                "{} organisations, {} provisions, {} contracts (source: synthetic)",
                self.organisations, self.provisions, self.contracts
            )
        }
    }
}

const STREETS: [&str; 12] = [
    "Kerkstraat",
    "Schoolstraat",
    "Molenstraat",
    "Dorpsstraat",
    "Stationsweg",
    "Markt",
    "Julianastraat",
    "Wilhelminalaan",
    "Beatrixplein",
    "Parklaan",
    "Lindenlaan",
    "Raadhuisstraat",
];

/// Opening hours typical for the kind of provision.
fn hours_for(category: &str) -> Vec<PeriodText> {
    let p = |day: &str, opens: &str, closes: &str| PeriodText {
        day: day.into(),
        opens: opens.into(),
        closes: closes.into(),
    };
    let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"];
    match category {
        "jongerenwerk" | "buurthuis" => {
            let mut h: Vec<_> = weekdays.iter().map(|d| p(d, "14:00", "22:00")).collect();
            h.push(p("saturday", "12:00", "24:00"));
            h
        }
        "sportvereniging" | "zwemles" => vec![
            p("wednesday", "13:30", "17:30"),
            p("saturday", "08:30", "13:00"),
        ],
        "bibliotheek" => {
            let mut h: Vec<_> = weekdays.iter().map(|d| p(d, "10:00", "18:00")).collect();
            h.push(p("saturday", "10:00", "16:00"));
            h
        }
        _ => weekdays.iter().map(|d| p(d, "09:00", "17:00")).collect(),
    }
}

fn ages_for(category: &str) -> (i32, i32) {
    match category {
        "vroeg-en-voorschools" => (2, 4),
        "jgz" => (0, 18),
        "jongerenwerk" => (12, 23),
        "huiswerkbegeleiding" => (8, 18),
        "zwemles" => (4, 12),
        "jonge-mantelzorgers" => (8, 24),
        "poh-ggz-jeugd" => (0, 18),
        "schoolmaatschappelijk-werk" => (4, 18),
        _ => (0, 23),
    }
}

fn organisation_name(top: &str, municipality: &str) -> String {
    match top {
        "toegang" => format!("Sociaal Wijkteam {municipality}"),
        "opvoeden" => format!("Centrum Jeugd en Gezin {municipality}"),
        "sport-bewegen" => format!("Sportservice {municipality}"),
        "cultuur-ontmoeting" => format!("Cultuurhuis {municipality}"),
        "sociaal-werk" => format!("Welzijn {municipality}"),
        "onderwijs-taal" => format!("Stichting Leerkracht {municipality}"),
        "bestaanszekerheid" => format!("Stichting Rondkomen {municipality}"),
        "psychosociaal" => format!("Huisartsen en Jeugd {municipality}"),
        "veiligheid" => format!("Veilig Thuis {municipality}"),
        other => format!("Stichting {other} {municipality}"),
    }
}

/// Collects synthetic organisations, provisions and contracts; shared with the national
/// generator.
pub(crate) struct Builder<'a> {
    pub(crate) reference: &'a Reference,
    pub(crate) rng: SplitMix,
    now: String,
    pub(crate) organisations: Vec<OrganisationRow>,
    pub(crate) provisions: Vec<ProvisionRecord>,
    pub(crate) contracts: Vec<ContractRecord>,
    /// Reliable postcodes per municipality, for addresses.
    postcodes: HashMap<String, Vec<(f64, f64, String)>>,
}

impl<'a> Builder<'a> {
    pub(crate) fn new(reference: &'a Reference, seed: u64, now: String) -> Self {
        let mut postcodes: HashMap<String, Vec<(f64, f64, String)>> = HashMap::new();
        for p in reference.postcodes.values().filter(|p| p.reliable) {
            if let Some(m) = &p.municipality_code {
                postcodes
                    .entry(m.clone())
                    .or_default()
                    .push((p.lat, p.lon, p.pc4.clone()));
            }
        }
        for list in postcodes.values_mut() {
            list.sort_by(|a, b| a.2.cmp(&b.2));
        }
        Builder {
            reference,
            rng: SplitMix::new(seed),
            now,
            organisations: Vec::new(),
            provisions: Vec::new(),
            contracts: Vec::new(),
            postcodes,
        }
    }

    /// The postcode (PC4) nearest to a point within a municipality.
    fn nearest_pc4(&self, municipality: &str, lat: f64, lon: f64) -> String {
        self.postcodes
            .get(municipality)
            .into_iter()
            .flatten()
            .min_by(|a, b| {
                let da = (a.0 - lat).powi(2) + (a.1 - lon).powi(2);
                let db = (b.0 - lat).powi(2) + (b.1 - lon).powi(2);
                da.total_cmp(&db)
            })
            .map_or_else(|| "1000".to_owned(), |p| p.2.clone())
    }

    pub(crate) fn organisation(&mut self, name: String, agb: bool) -> String {
        let id = self.rng.uuid();
        let kvk = self.rng.digits(8);
        let agb = agb.then(|| format!("98{}", self.rng.digits(6)));
        self.organisations.push(OrganisationRow {
            id: id.clone(),
            name,
            kvk_number: Some(kvk),
            agb_code: agb,
            description: Some("Synthetic demo organisation; not a real provider.".into()),
            website: None,
            email: None,
            phone: None,
            source: SOURCE.into(),
            version: 1,
            created_at: self.now.clone(),
            updated_at: self.now.clone(),
            deleted_at: None,
        });
        id
    }

    /// A location near a wijk's label point, placed in the polygons to find its wijk.
    pub(crate) fn location(
        &mut self,
        provision_id: &str,
        wijk: &crate::index::Area,
    ) -> Option<LocationRow> {
        for _ in 0..8 {
            let lat = wijk.label.0 + self.rng.signed_unit() * 0.002;
            let lon = wijk.label.1 + self.rng.signed_unit() * 0.003;
            let Some(placement) = self.reference.place_point(lat, lon) else {
                continue;
            };
            if placement.municipality.code != wijk.municipality_code {
                continue;
            }
            let street = STREETS[self.rng.below(STREETS.len())];
            let pc4 = self.nearest_pc4(&wijk.municipality_code, lat, lon);
            let letters: String = (0..2)
                .map(|_| char::from(b'A' + self.rng.below(26) as u8))
                .collect();
            return Some(LocationRow {
                id: self.rng.uuid(),
                provision_id: provision_id.to_owned(),
                position: 0,
                name: None,
                street: street.into(),
                house_number: (1 + self.rng.below(120)).to_string(),
                postcode: format!("{pc4}{letters}"),
                city: self
                    .reference
                    .municipalities
                    .get(&wijk.municipality_code)
                    .map(|m| m.name.clone())
                    .unwrap_or_default(),
                lat: (lat * 1e6).round() / 1e6,
                lon: (lon * 1e6).round() / 1e6,
                municipality_code: Some(placement.municipality.code.clone()),
                area_code: placement.wijk.map(|w| w.code.clone()),
            });
        }
        None
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn provision(
        &mut self,
        organisation_id: &str,
        name: String,
        category: &str,
        access: &str,
        wijk: Option<&crate::index::Area>,
        service_areas: Vec<(&str, String)>,
        free: bool,
    ) {
        let id = self.rng.uuid();
        let (min_age, max_age) = ages_for(category);
        let locations: Vec<LocationRow> = wijk
            .and_then(|w| self.location(&id, w))
            .into_iter()
            .collect();
        let languages = if self.rng.below(4) == 0 {
            r#"["nl","en"]"#
        } else {
            r#"["nl"]"#
        };
        self.provisions.push(ProvisionRecord {
            row: ProvisionRow {
                id: id.clone(),
                organisation_id: organisation_id.to_owned(),
                name,
                description: Some("Synthetic demo provision; not a real offer.".into()),
                access: access.into(),
                status: "active".into(),
                min_age,
                max_age,
                free_of_charge: free,
                cost_description: (!free)
                    .then(|| "Eigen bijdrage; vraag naar de regeling van de gemeente".into()),
                languages: languages.into(),
                website: None,
                email: None,
                phone: None,
                opening_hours: serde_json::to_string(&hours_for(category))
                    .unwrap_or_else(|_| "[]".into()),
                verified_at: Some(self.now.clone()),
                source: SOURCE.into(),
                version: 1,
                created_at: self.now.clone(),
                updated_at: self.now.clone(),
                deleted_at: None,
            },
            categories: vec![category.to_owned()],
            locations,
            service_areas: service_areas
                .into_iter()
                .map(|(scope, code)| ServiceAreaRow {
                    provision_id: id.clone(),
                    scope: scope.into(),
                    code,
                })
                .collect(),
        });
    }

    /// The region's youth fund for sport and culture: regional, without a location.
    pub(crate) fn regional_fund(&mut self, region: &crate::index::Region) {
        let name = format!("Jeugdfonds Sport en Cultuur {}", region.short_name);
        let fund = self.organisation(name.clone(), false);
        self.provision(
            &fund,
            name,
            "jeugdfonds-sport-cultuur",
            "open",
            None,
            vec![("region", region.code.clone())],
            true,
        );
    }

    pub(crate) fn contract(
        &mut self,
        organisation_id: &str,
        scope: &str,
        code: Option<&str>,
        categories: &[&str],
        from: &str,
        until: Option<&str>,
    ) {
        self.contracts.push(ContractRecord {
            row: ContractRow {
                id: self.rng.uuid(),
                organisation_id: organisation_id.to_owned(),
                scope: scope.into(),
                scope_code: code.map(str::to_owned),
                reference: Some(format!("DEMO-{}", self.rng.digits(4))),
                valid_from: from.into(),
                valid_until: until.map(str::to_owned),
                source: SOURCE.into(),
                version: 1,
                created_at: self.now.clone(),
                updated_at: self.now.clone(),
                deleted_at: None,
            },
            categories: categories.iter().map(|c| (*c).to_owned()).collect(),
        });
    }
}

fn build(reference: &Reference, now: String) -> Builder<'_> {
    let mut b = Builder::new(reference, 20_261_123, now);
    let open_leaves: Vec<&crate::index::Category> = reference
        .category_order
        .iter()
        .filter_map(|c| reference.categories.get(c))
        .filter(|c| c.access == "open" && c.parent_code.is_some())
        .collect();

    // National, without location.
    let national = b.organisation("Landelijke Kinder- en Jongerenlijn (demo)".into(), false);
    b.provision(
        &national,
        "Chat en telefoon voor kinderen en jongeren".into(),
        "online-hulp",
        "open",
        None,
        vec![("national", "NL".into())],
        true,
    );
    b.provision(
        &national,
        "Online lotgenotencontact jonge mantelzorgers".into(),
        "jonge-mantelzorgers",
        "open",
        None,
        vec![("national", "NL".into())],
        true,
    );

    for region_code in FOCUS_REGIONS {
        let Some(region) = reference.regions.get(region_code) else {
            continue;
        };
        b.regional_fund(region);
        for municipality_code in &region.members {
            let Some(m) = reference.municipalities.get(municipality_code) else {
                continue;
            };
            let mut wijken: Vec<&crate::index::Area> = reference
                .areas_of(&m.code)
                .iter()
                .filter_map(|a| reference.areas.get(a))
                .filter(|a| a.level == "wijk" && !a.is_water && a.population > 0)
                .collect();
            wijken.sort_by(|a, b| {
                b.population
                    .cmp(&a.population)
                    .then_with(|| a.code.cmp(&b.code))
            });
            if wijken.is_empty() {
                continue;
            }
            let mut orgs: std::collections::HashMap<String, String> =
                std::collections::HashMap::new();
            for (i, category) in open_leaves.iter().enumerate() {
                if WITHOUT_LOCATION.contains(&category.code.as_str()) {
                    continue;
                }
                let top = category.parent_code.clone().unwrap_or_default();
                let org = match orgs.get(&top) {
                    Some(o) => o.clone(),
                    None => {
                        let o = b
                            .organisation(organisation_name(&top, &m.name), top == "psychosociaal");
                        orgs.insert(top.clone(), o.clone());
                        o
                    }
                };
                // Spread over the wijken, busiest first; community centres serve their wijk only.
                let wijk = wijken[i % wijken.len()];
                let area_only = category.code == "buurthuis";
                let service_area = if area_only {
                    vec![("area", wijk.code.clone())]
                } else {
                    vec![("municipality", m.code.clone())]
                };
                let name = if area_only {
                    format!("{} {}", category.name_nl, wijk.name)
                } else {
                    format!("{} {}", category.name_nl, m.name)
                };
                let free = !matches!(
                    category.code.as_str(),
                    "sportvereniging" | "zwemles" | "muziek-kunsteducatie" | "vroeg-en-voorschools"
                );
                b.provision(
                    &org,
                    name,
                    &category.code,
                    "open",
                    Some(wijk),
                    service_area,
                    free,
                );
            }
        }
    }

    // Specialist providers with indicated offers and contracts at all three scopes.
    let specialists: [(&str, &str, &[&str]); 4] = [
        ("Jeugdhulp Zuidwest (demo)", "JZ36", &["ijw-45", "ijw-41"]),
        (
            "Ambulante Jeugdzorg IJssel (demo)",
            "JZ07",
            &["ijw-45", "ijw-54"],
        ),
        (
            "Gezinshuis Achterhoek (demo)",
            "JZ25",
            &["ijw-44", "ijw-45"],
        ),
        ("Jeugd-ggz Domstad (demo)", "JZ22", &["ijw-54", "ijw-52"]),
    ];
    for (name, region_code, categories) in specialists {
        let Some(region) = reference.regions.get(region_code) else {
            continue;
        };
        let Some(first) = region
            .members
            .first()
            .and_then(|m| reference.municipalities.get(m))
        else {
            continue;
        };
        let wijk = reference
            .areas_of(&first.code)
            .iter()
            .filter_map(|a| reference.areas.get(a))
            .find(|a| a.level == "wijk" && !a.is_water && a.population > 0);
        let org = b.organisation(name.into(), true);
        for category in categories {
            let label = reference
                .categories
                .get(*category)
                .map(|c| c.name_nl.clone())
                .unwrap_or_default();
            b.provision(
                &org,
                format!("{label} — {name}"),
                category,
                "indicated",
                wijk,
                vec![("region", region.code.clone())],
                true,
            );
        }
        b.contract(
            &org,
            "region",
            Some(region_code),
            categories,
            "2025-01-01",
            Some("2027-12-31"),
        );
    }
    // A municipal contract, an expired one, and a national (LTA) one.
    if let Some(boz) = reference.municipalities.get("GM0748") {
        let org = b.organisation("Praktijk Jeugd en Gezin Bergen op Zoom (demo)".into(), true);
        let wijk = reference
            .areas_of(&boz.code)
            .iter()
            .filter_map(|a| reference.areas.get(a))
            .find(|a| a.level == "wijk" && !a.is_water && a.population > 0);
        b.provision(
            &org,
            "Ambulante gezinsbegeleiding Bergen op Zoom".into(),
            "ijw-45",
            "indicated",
            wijk,
            vec![("municipality", boz.code.clone())],
            true,
        );
        b.contract(
            &org,
            "municipality",
            Some("GM0748"),
            &["ijw-45"],
            "2026-01-01",
            Some("2026-12-31"),
        );
        b.contract(
            &org,
            "municipality",
            Some("GM0748"),
            &["ijw-41"],
            "2024-01-01",
            Some("2025-12-31"),
        );
    }
    let lta = b.organisation("Landelijk Ingekochte Jeugdzorg (demo)".into(), true);
    b.provision(
        &lta,
        "Gespecialiseerde behandeling (landelijk ingekocht)".into(),
        "ijw-55",
        "indicated",
        None,
        vec![("national", "NL".into())],
        true,
    );
    b.contract(&lta, "national", None, &["ijw-55"], "2024-01-01", None);
    b
}

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Load(#[from] LoadError),
    #[error(transparent)]
    Query(#[from] diesel::result::Error),
}

/// Writes everything a builder collected in one transaction, in multi-row inserts, with a
/// `create` entry in the change log for each record.
pub(crate) fn write(
    conn: &mut DbConnection,
    b: &Builder<'_>,
    actor: &Actor,
) -> Result<(), diesel::result::Error> {
    use super::insert_all;
    use super::schema::*;
    const CHUNK: usize = 500;
    let created = |kind: &str, id: &str| NewChangeRow {
        at: b.now.clone(),
        actor: actor.subject.clone(),
        actor_role: actor.role.clone(),
        resource_type: kind.to_owned(),
        resource_id: id.to_owned(),
        action: "create".to_owned(),
        fields: "[]".to_owned(),
        actor_organisation: None,
    };
    super::write_transaction(conn, |conn| {
        for chunk in b.organisations.chunks(CHUNK) {
            insert_all!(conn, organisations::table, chunk)?;
        }
        let rows: Vec<ProvisionRow> = b.provisions.iter().map(|p| p.row.clone()).collect();
        for chunk in rows.chunks(CHUNK) {
            insert_all!(conn, provisions::table, chunk)?;
        }
        let categories: Vec<ProvisionCategoryRow> = b
            .provisions
            .iter()
            .flat_map(|p| {
                p.categories.iter().map(|c| ProvisionCategoryRow {
                    provision_id: p.row.id.clone(),
                    category_code: c.clone(),
                })
            })
            .collect();
        for chunk in categories.chunks(CHUNK) {
            insert_all!(conn, provision_categories::table, chunk)?;
        }
        let locations: Vec<LocationRow> = b
            .provisions
            .iter()
            .flat_map(|p| p.locations.iter().cloned())
            .collect();
        for chunk in locations.chunks(CHUNK) {
            insert_all!(conn, provision_locations::table, chunk)?;
        }
        let areas: Vec<ServiceAreaRow> = b
            .provisions
            .iter()
            .flat_map(|p| p.service_areas.iter().cloned())
            .collect();
        for chunk in areas.chunks(CHUNK) {
            insert_all!(conn, provision_service_areas::table, chunk)?;
        }
        for c in &b.contracts {
            reg::insert_contract(conn, c)?;
        }
        let log: Vec<NewChangeRow> = b
            .organisations
            .iter()
            .map(|o| created("organisation", &o.id))
            .chain(b.provisions.iter().map(|p| created("provision", &p.row.id)))
            .chain(b.contracts.iter().map(|c| created("contract", &c.row.id)))
            .collect();
        for chunk in log.chunks(CHUNK) {
            insert_all!(conn, changes::table, chunk)?;
        }
        Ok(())
    })
}

/// Writes the demo set unless it is there already (its ids are fixed, so this is idempotent).
pub fn seed_demo(conn: &mut DbConnection) -> Result<DemoReport, DemoError> {
    let reference = load_reference(conn)?;
    let b = build(&reference, changes::now());
    let first = b
        .organisations
        .first()
        .map(|o| o.id.clone())
        .unwrap_or_default();
    if reg::find_organisation(conn, &first)?.is_some() {
        return Ok(DemoReport {
            already_present: true,
            ..Default::default()
        });
    }
    write(conn, &b, &Actor::system("demo"))?;
    Ok(DemoReport {
        organisations: b.organisations.len(),
        provisions: b.provisions.len(),
        contracts: b.contracts.len(),
        already_present: false,
    })
}
