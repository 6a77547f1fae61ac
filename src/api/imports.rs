//! Bulk import of provisions from a spreadsheet: the CSV of `docs/import-export.md` (the export's
//! columns). Every row is checked as the API checks a provision; the whole file goes in or
//! nothing does; problems come back per row and column. The `id` column is the row's stable key
//! (an external id), so importing the same file again changes nothing.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use super::AppState;
use super::auth::Authenticated;
use super::exports::CSV_COLUMNS;
use super::provisions::{
    LocationInput, OpeningPeriod, ProvisionInput, ServiceAreaInput, input_of, record_of, render,
    stored_ties, ties, wire,
};
use crate::db::changes::{self, Actor};
use crate::db::registry::{self as reg, OrganisationFilter, PageRequest, ProvisionRecord};
use crate::db::rows::OrganisationRow;
use crate::db::{self, DbConnection};
use crate::domain::access::Principal;
use crate::domain::registry::ProvisionDraft;
use crate::domain::text::fold;
use crate::error::ApiError;
use crate::index::Reference;

/// The namespace of the provision and organisation ids derived from external ids and names.
const NAMESPACE: Uuid = Uuid::from_u128(0x3f6e_9b1c_0d42_4a7e_8c15_6b2d_e9a0_71c4);
/// Columns every file must have.
const REQUIRED: [&str; 9] = [
    "id",
    "name",
    "categories",
    "access",
    "minAge",
    "maxAge",
    "freeOfCharge",
    "serviceAreas",
    "organisationName",
];
/// The largest file `POST /imports` takes: room for some 200,000 rows. (Other bodies keep the
/// general limit.)
pub const MAX_FILE_BYTES: usize = 128 * 1024 * 1024;
/// Two located provisions this close with similar names are probably the same.
const NEAR_M: f64 = 50.0;

/// A problem with one cell (or, with column `""`, a whole row; row 1 is the header).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct RowError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// A row that is probably the same provision as another row or a stored provision.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Duplicate {
    pub row: usize,
    /// `row 7`, or the id of a stored provision.
    pub same_as: String,
    pub reason: String,
}

/// What an import did, or would do (`dryRun`).
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub dry_run: bool,
    /// True when the file was written; false for a dry run or a file with errors.
    pub applied: bool,
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub organisations_created: usize,
    /// Every problem; when there is one, nothing was written.
    pub errors: Vec<RowError>,
    /// Probable duplicates: reported, not refused.
    pub duplicates: Vec<Duplicate>,
}

/// How a row names its organisation.
#[derive(Debug, Clone)]
struct OrganisationRef {
    id: Option<Uuid>,
    name: String,
    kvk: Option<String>,
    agb: Option<String>,
    /// What an HSDS file tells besides (a CSV row has none of these).
    description: Option<String>,
    website: Option<String>,
    email: Option<String>,
    phone: Option<String>,
}

/// A row read: its provision id, its organisation, and the provision as the API would take it.
#[derive(Debug, Clone)]
struct Row {
    number: usize,
    id: String,
    organisation: OrganisationRef,
    input: ProvisionInput,
    /// The input checked once; its organisation is filled in when the row is written.
    draft: ProvisionDraft,
}

/// Checks an input as the API does: the draft, or every field problem.
fn checked(
    input: &ProvisionInput,
    reference: &Reference,
) -> Result<ProvisionDraft, Vec<crate::domain::FieldError>> {
    match input.parse(reference) {
        Ok(draft) => Ok(draft),
        Err(ApiError::Invalid(fields)) => Err(fields),
        Err(other) => Err(vec![crate::domain::FieldError {
            field: "name".into(),
            message: other.to_string(),
        }]),
    }
}

/// The id a row's provision gets: the key itself when it is a UUID (an exported file), else one
/// derived from it.
fn provision_id(key: &str) -> String {
    Uuid::parse_str(key)
        .unwrap_or_else(|_| Uuid::new_v5(&NAMESPACE, format!("provision:{key}").as_bytes()))
        .to_string()
}

fn list(cell: &str) -> Vec<String> {
    cell.split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

fn optional(cell: &str) -> Option<String> {
    let t = cell.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

/// The CSV column an API field error belongs to.
fn column_of(field: &str) -> &'static str {
    let head = field.split(['[', '.']).next().unwrap_or(field);
    let tail = field.rsplit('.').next().unwrap_or(field);
    match (head, tail) {
        ("locations", "street") => "locationStreets",
        ("locations", "houseNumber") => "locationHouseNumbers",
        ("locations", "postcode") => "locationPostcodes",
        ("locations", "city") => "locationCities",
        ("locations", _) => "locationPoints",
        ("serviceAreas", _) => "serviceAreas",
        ("openingHours", _) => "openingHours",
        ("organisationId", _) => "organisationId",
        _ => CSV_COLUMNS
            .iter()
            .find(|c| **c == head)
            .copied()
            .unwrap_or("name"),
    }
}

struct Reader<'a> {
    cells: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
    number: usize,
    errors: Vec<RowError>,
}

impl Reader<'_> {
    fn cell(&self, column: &str) -> &str {
        self.columns
            .get(column)
            .and_then(|&i| self.cells.get(i))
            .unwrap_or("")
    }

    fn fail(&mut self, column: &str, message: impl Into<String>) {
        self.errors.push(RowError {
            row: self.number,
            column: column.to_owned(),
            message: message.into(),
        });
    }

    fn number(&mut self, column: &str) -> i64 {
        let text = self.cell(column).trim().to_owned();
        text.parse().unwrap_or_else(|_| {
            self.fail(column, format!("'{text}' is not a whole number"));
            0
        })
    }

    fn yes_no(&mut self, column: &str) -> bool {
        match self.cell(column).trim().to_lowercase().as_str() {
            "true" | "ja" | "yes" | "1" => true,
            "false" | "nee" | "no" | "0" => false,
            other => {
                let other = other.to_owned();
                self.fail(column, format!("'{other}' is not true or false (ja/nee)"));
                false
            }
        }
    }

    fn opening_hours(&mut self) -> Vec<OpeningPeriod> {
        let mut out = Vec::new();
        for part in list(self.cell("openingHours")) {
            let parsed = part.split_once(' ').and_then(|(day, times)| {
                let (opens, closes) = times.trim().split_once('-')?;
                Some(OpeningPeriod {
                    day: day.trim().to_lowercase(),
                    opens: opens.trim().to_owned(),
                    closes: closes.trim().to_owned(),
                })
            });
            match parsed {
                Some(p) => out.push(p),
                None => self.fail(
                    "openingHours",
                    format!("'{part}' is not 'day HH:MM-HH:MM', e.g. 'monday 09:00-12:00'"),
                ),
            }
        }
        out
    }

    fn service_areas(&self) -> Vec<ServiceAreaInput> {
        list(self.cell("serviceAreas"))
            .into_iter()
            .map(|a| match a.split_once(':') {
                Some((scope, code)) => ServiceAreaInput {
                    scope: scope.trim().to_owned(),
                    code: Some(code.trim().to_owned()),
                },
                None => ServiceAreaInput {
                    scope: a,
                    code: None,
                },
            })
            .collect()
    }

    fn locations(&mut self) -> Vec<LocationInput> {
        let columns = [
            "locationStreets",
            "locationHouseNumbers",
            "locationPostcodes",
            "locationCities",
            "locationPoints",
        ];
        let [streets, houses, postcodes, cities, points] = columns.map(|c| list(self.cell(c)));
        let n = streets.len();
        if [&houses, &postcodes, &cities, &points]
            .iter()
            .any(|l| l.len() != n)
        {
            self.fail(
                "locationStreets",
                "the location columns must list as many entries each (one per location)",
            );
            return Vec::new();
        }
        let mut out = Vec::with_capacity(n);
        let each = streets
            .into_iter()
            .zip(houses)
            .zip(postcodes)
            .zip(cities)
            .zip(points);
        for ((((street, house_number), postcode), city), point) in each {
            let parsed = match point.split_whitespace().collect::<Vec<_>>().as_slice() {
                [lat, lon] => lat.parse::<f64>().ok().zip(lon.parse::<f64>().ok()),
                _ => None,
            };
            let Some((lat, lon)) = parsed else {
                self.fail("locationPoints", format!("'{point}' is not 'lat lon'"));
                continue;
            };
            out.push(LocationInput {
                name: None,
                street,
                house_number,
                postcode,
                city,
                lat,
                lon,
            });
        }
        out
    }
}

/// Reads a CSV file into rows, checking each as the API would. Returns the rows and every
/// problem found.
pub(crate) fn read_csv(text: &str, reference: &Reference) -> (Vec<RowOk>, Vec<RowError>) {
    let mut errors = Vec::new();
    let mut reader = csv::ReaderBuilder::new()
        .flexible(false)
        .from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let header = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            errors.push(RowError {
                row: 1,
                column: String::new(),
                message: format!("not a CSV file: {e}"),
            });
            return (Vec::new(), errors);
        }
    };
    let columns: HashMap<String, usize> = header
        .iter()
        .enumerate()
        .map(|(i, c)| (c.trim().to_owned(), i))
        .collect();
    for c in columns.keys() {
        if !CSV_COLUMNS.contains(&c.as_str()) {
            errors.push(RowError {
                row: 1,
                column: c.clone(),
                message: format!("unknown column; the columns are {}", CSV_COLUMNS.join(", ")),
            });
        }
    }
    for c in REQUIRED {
        let satisfied = columns.contains_key(c)
            || (c == "organisationName" && columns.contains_key("organisationId"));
        if !satisfied {
            errors.push(RowError {
                row: 1,
                column: c.to_owned(),
                message: "this column is required".into(),
            });
        }
    }
    if !errors.is_empty() {
        return (Vec::new(), errors);
    }
    let mut rows = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (i, record) in reader.records().enumerate() {
        let number = i + 2;
        let cells = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    row: number,
                    column: String::new(),
                    message: format!("the row cannot be read: {e}"),
                });
                continue;
            }
        };
        let mut r = Reader {
            cells: &cells,
            columns: &columns,
            number,
            errors: Vec::new(),
        };
        let key = r.cell("id").trim().to_owned();
        if key.is_empty() || key.len() > 100 {
            r.fail(
                "id",
                "every row needs an id (its external id, at most 100 characters)",
            );
        } else if let Some(first) = keys.insert(provision_id(&key), number) {
            // By the provision's id: two keys can name one provision (a key and its
            // derived id). Which row should win? Neither: it is a problem of the file.
            r.fail(
                "id",
                format!("the id '{key}' names the same provision as row {first}"),
            );
        }
        let organisation_id = optional(r.cell("organisationId"));
        let organisation = OrganisationRef {
            id: organisation_id
                .as_deref()
                .and_then(|s| Uuid::parse_str(s).ok()),
            name: r.cell("organisationName").trim().to_owned(),
            kvk: optional(r.cell("organisationKvkNumber")),
            agb: optional(r.cell("organisationAgbCode")),
            description: None,
            website: None,
            email: None,
            phone: None,
        };
        if organisation_id.is_some() && organisation.id.is_none() {
            r.fail("organisationId", "not a UUID");
        } else if organisation.id.is_none() && organisation.name.is_empty() {
            r.fail(
                "organisationName",
                "give the organisation's name (or its id)",
            );
        }
        let input = ProvisionInput {
            organisation_id: organisation.id.unwrap_or_default(),
            name: r.cell("name").trim().to_owned(),
            description: optional(r.cell("description")),
            categories: list(r.cell("categories")),
            access: r.cell("access").trim().to_owned(),
            status: optional(r.cell("status")),
            min_age: r.number("minAge"),
            max_age: r.number("maxAge"),
            free_of_charge: r.yes_no("freeOfCharge"),
            cost_description: optional(r.cell("costDescription")),
            languages: Some(list(r.cell("languages"))).filter(|l| !l.is_empty()),
            website: optional(r.cell("website")),
            email: optional(r.cell("email")),
            phone: optional(r.cell("phone")),
            opening_hours: Some(r.opening_hours()),
            locations: Some(r.locations()),
            service_areas: r.service_areas(),
            source: Some("import".into()),
        };
        let draft = checked(&input, reference)
            .map_err(|fields| {
                for f in fields {
                    r.fail(column_of(&f.field), f.message);
                }
            })
            .ok();
        let failed = !r.errors.is_empty();
        errors.extend(r.errors);
        if let (false, Some(draft)) = (failed, draft) {
            rows.push(RowOk(Row {
                number,
                id: provision_id(&key),
                organisation,
                input,
                draft,
            }));
        }
    }
    if rows.is_empty() && errors.is_empty() {
        errors.push(RowError {
            row: 2,
            column: String::new(),
            message: "the file has no rows".into(),
        });
    }
    (rows, errors)
}

/// A row that passed the checks.
pub(crate) struct RowOk(Row);

/// The file formats the importer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    /// The export's CSV columns.
    Csv,
    /// HSDS 3.0 services: a JSON array, an HSDS page (`contents`), one service, or NDJSON.
    Hsds,
}

/// The services of an HSDS file, each with its number (line or position, from 1).
fn hsds_services(text: &str) -> Result<Vec<(usize, serde_json::Value)>, RowError> {
    use serde_json::Value;
    let whole = |e: serde_json::Error, row: usize| RowError {
        row,
        column: String::new(),
        message: format!("not HSDS JSON: {e}"),
    };
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    match serde_json::from_str::<Value>(trimmed) {
        Ok(Value::Array(items)) => Ok(items
            .into_iter()
            .enumerate()
            .map(|(i, v)| (i + 1, v))
            .collect()),
        Ok(Value::Object(mut page)) if page.contains_key("contents") => {
            match page.remove("contents") {
                Some(Value::Array(items)) => Ok(items
                    .into_iter()
                    .enumerate()
                    .map(|(i, v)| (i + 1, v))
                    .collect()),
                _ => Err(RowError {
                    row: 1,
                    column: "contents".into(),
                    message: "not a list of services".into(),
                }),
            }
        }
        Ok(one @ Value::Object(_)) => Ok(vec![(1, one)]),
        Ok(_) => Err(RowError {
            row: 1,
            column: String::new(),
            message: "not a service, a list or a page of services".into(),
        }),
        // More than one JSON value: NDJSON, one service per line.
        Err(_) => trimmed
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str(l)
                    .map(|v| (i + 1, v))
                    .map_err(|e| whole(e, i + 1))
            })
            .collect(),
    }
}

/// One HSDS service as the provision the API would take (the profile of docs/hsds-profile.md,
/// read back), with its key and organisation.
fn hsds_row(
    number: usize,
    s: &serde_json::Value,
    reference: &Reference,
    errors: &mut Vec<RowError>,
) -> Option<Row> {
    let text = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    let mut fail = |column: &str, message: String| {
        errors.push(RowError {
            row: number,
            column: column.to_owned(),
            message,
        });
    };
    let Some(key) = text(&s["id"]).filter(|k| !k.is_empty() && k.len() <= 100) else {
        fail(
            "id",
            "every service needs an id (at most 100 characters)".into(),
        );
        return None;
    };
    let org = &s["organization"];
    let identifier = |scheme: &str| {
        org["organization_identifiers"].as_array().and_then(|ids| {
            ids.iter()
                .find(|i| i["identifier_scheme"] == scheme)
                .and_then(|i| text(&i["identifier"]))
        })
    };
    let organisation = OrganisationRef {
        id: text(&s["organization_id"])
            .or_else(|| text(&org["id"]))
            .and_then(|i| Uuid::parse_str(&i).ok()),
        name: text(&org["name"]).unwrap_or_default(),
        kvk: identifier("NL-KVK"),
        agb: identifier("NL-AGB"),
        description: text(&org["description"]).filter(|d| !d.is_empty()),
        website: text(&org["website"]),
        email: text(&org["email"]),
        phone: text(&org["phones"][0]["number"]),
    };
    if organisation.id.is_none() && organisation.name.is_empty() {
        fail(
            "organization",
            "the service names no organization (organization.name)".into(),
        );
    }
    let terms: Vec<String> = s["attributes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| text(&a["taxonomy_term"]["code"]))
        .collect();
    let categories: Vec<String> = terms
        .iter()
        .filter(|t| reference.categories.contains_key(*t))
        .cloned()
        .collect();
    let access = terms
        .iter()
        .find(|t| *t == "open" || *t == "indicated")
        .cloned()
        .or_else(|| {
            categories
                .first()
                .and_then(|c| reference.categories.get(c))
                .map(|c| c.access.clone())
        })
        .unwrap_or_default();
    let day = |code: &str| -> Option<&'static str> {
        Some(match code {
            "MO" => "monday",
            "TU" => "tuesday",
            "WE" => "wednesday",
            "TH" => "thursday",
            "FR" => "friday",
            "SA" => "saturday",
            "SU" => "sunday",
            _ => return None,
        })
    };
    let hhmm = |v: &serde_json::Value| text(v).map(|t| t.chars().take(5).collect::<String>());
    let mut opening_hours = Vec::new();
    for sch in s["schedules"].as_array().into_iter().flatten() {
        let days = text(&sch["byday"]).unwrap_or_default();
        for d in days.split(',').map(str::trim).filter(|d| !d.is_empty()) {
            match (day(d), hhmm(&sch["opens_at"]), hhmm(&sch["closes_at"])) {
                (Some(day), Some(opens), Some(closes)) => opening_hours.push(OpeningPeriod {
                    day: day.into(),
                    opens,
                    closes,
                }),
                _ => fail(
                    "schedules",
                    format!("'{d}' with opens_at and closes_at is not a weekly opening time"),
                ),
            }
        }
    }
    let mut locations = Vec::new();
    for sal in s["service_at_locations"].as_array().into_iter().flatten() {
        let l = &sal["location"];
        let a = &l["addresses"][0];
        let line = text(&a["address_1"]).unwrap_or_default();
        let (street, house_number) = line
            .rsplit_once(' ')
            .map_or((line.clone(), String::new()), |(s, h)| {
                (s.to_owned(), h.to_owned())
            });
        match (l["latitude"].as_f64(), l["longitude"].as_f64()) {
            (Some(lat), Some(lon)) => locations.push(LocationInput {
                name: text(&l["name"]).filter(|n| Some(n) != text(&s["name"]).as_ref()),
                street,
                house_number,
                postcode: text(&a["postal_code"]).unwrap_or_default(),
                city: text(&a["city"]).unwrap_or_default(),
                lat,
                lon,
            }),
            _ => fail(
                "service_at_locations",
                "a location needs latitude and longitude".into(),
            ),
        }
    }
    let mut service_areas = Vec::new();
    for area in s["service_areas"].as_array().into_iter().flatten() {
        let uri = text(&area["uri"]).unwrap_or_default();
        let parsed = uri
            .strip_prefix("urn:cbs:")
            .and_then(|rest| rest.split_once(':'));
        match parsed {
            Some(("land", _)) => service_areas.push(ServiceAreaInput {
                scope: "national".into(),
                code: None,
            }),
            Some((kind, code)) => {
                let scope = match kind {
                    "gemeente" => "municipality",
                    "wijk" => "area",
                    "jeugdzorgregio" => "region",
                    other => other,
                };
                service_areas.push(ServiceAreaInput {
                    scope: scope.into(),
                    code: Some(code.into()),
                });
            }
            None => fail(
                "service_areas",
                format!("'{uri}' is not a CBS code (urn:cbs:gemeente:GM0748, …)"),
            ),
        }
    }
    let costs = s["cost_options"].as_array().cloned().unwrap_or_default();
    let input = ProvisionInput {
        organisation_id: organisation.id.unwrap_or_default(),
        name: text(&s["name"]).unwrap_or_default(),
        description: text(&s["description"]),
        categories,
        access,
        status: text(&s["status"]),
        min_age: s["minimum_age"].as_i64().unwrap_or(0),
        max_age: s["maximum_age"].as_i64().unwrap_or(27),
        free_of_charge: costs.iter().any(|c| c["amount"].as_f64() == Some(0.0)),
        cost_description: text(&s["fees_description"]),
        languages: Some(
            s["languages"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| text(&l["code"]))
                .collect::<Vec<_>>(),
        )
        .filter(|l| !l.is_empty()),
        website: text(&s["url"]),
        email: text(&s["email"]),
        phone: text(&s["phones"][0]["number"]),
        opening_hours: Some(opening_hours),
        locations: Some(locations),
        service_areas,
        source: Some("import".into()),
    };
    let draft = match checked(&input, reference) {
        Ok(draft) => draft,
        Err(fields) => {
            for f in fields {
                fail(&f.field, f.message);
            }
            return None;
        }
    };
    Some(Row {
        number,
        id: provision_id(&key),
        organisation,
        input,
        draft,
    })
}

/// Reads an HSDS file into rows; the error columns are the native fields (`locations[0].postcode`).
fn read_hsds(text: &str, reference: &Reference) -> (Vec<RowOk>, Vec<RowError>) {
    let services = match hsds_services(text) {
        Ok(s) => s,
        Err(e) => return (Vec::new(), vec![e]),
    };
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    let mut keys: HashMap<String, usize> = HashMap::new();
    for (number, service) in &services {
        let before = errors.len();
        let row = hsds_row(*number, service, reference, &mut errors);
        if let Some(row) = row {
            if let Some(first) = keys.insert(row.id.clone(), *number) {
                errors.push(RowError {
                    row: *number,
                    column: "id".into(),
                    message: format!("the id is also on row {first}"),
                });
            } else if errors.len() == before {
                rows.push(RowOk(row));
            }
        }
    }
    if services.is_empty() {
        errors.push(RowError {
            row: 1,
            column: String::new(),
            message: "the file has no services".into(),
        });
    }
    (rows, errors)
}

/// Reads a file of `format`: the rows that passed, every problem, and how many rows it has.
fn read(
    format: FileFormat,
    text: &str,
    reference: &Reference,
) -> (Vec<RowOk>, Vec<RowError>, usize) {
    let (rows, errors) = match format {
        FileFormat::Csv => read_csv(text, reference),
        FileFormat::Hsds => read_hsds(text, reference),
    };
    let first = match format {
        FileFormat::Csv => 2,
        FileFormat::Hsds => 1,
    };
    let mut failed: Vec<usize> = errors
        .iter()
        .map(|e| e.row)
        .filter(|r| *r >= first)
        .collect();
    failed.sort_unstable();
    failed.dedup();
    let total = rows.len() + failed.len();
    (rows, errors, total)
}

/// Names compared loosely: folded words, one set within the other or mostly shared.
fn similar(a: &str, b: &str) -> bool {
    let words = |s: &str| -> std::collections::BTreeSet<String> {
        fold(s).split_whitespace().map(str::to_owned).collect()
    };
    let (a, b) = (words(a), words(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    let shared = a.intersection(&b).count();
    a.is_subset(&b) || b.is_subset(&a) || shared * 3 >= a.len().max(b.len()) * 2
}

fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    use crate::domain::location::NlPoint;
    match (NlPoint::new(a.0, a.1), NlPoint::new(b.0, b.1)) {
        (Ok(a), Ok(b)) => a.distance_m(b),
        _ => f64::INFINITY,
    }
}

/// Probable duplicates among the rows and against stored provisions near them: the same name
/// at the same address, or a similar name within 50 metres.
fn duplicates(conn: &mut DbConnection, rows: &[RowOk]) -> Result<Vec<Duplicate>, ApiError> {
    struct Place {
        id: String,
        label: String,
        name: String,
        address: String,
        point: (f64, f64),
    }
    let mut places: Vec<(usize, Place)> = Vec::new();
    for RowOk(r) in rows {
        for l in r.input.locations.iter().flatten() {
            places.push((
                r.number,
                Place {
                    id: r.id.clone(),
                    label: format!("row {}", r.number),
                    name: r.input.name.clone(),
                    address: fold(&format!(
                        "{}{}",
                        l.postcode.replace(' ', ""),
                        l.house_number
                    )),
                    point: (l.lat, l.lon),
                },
            ));
        }
    }
    let mut postcodes: Vec<String> = rows
        .iter()
        .flat_map(|RowOk(r)| r.input.locations.iter().flatten())
        .map(|l| l.postcode.replace(' ', "").to_uppercase())
        .collect();
    postcodes.sort();
    postcodes.dedup();
    let stored: Vec<Place> = db::imports::located_at(conn, &postcodes)?
        .into_iter()
        .map(|(id, name, postcode, house, lat, lon)| Place {
            label: id.clone(),
            id,
            name,
            address: fold(&format!("{postcode}{house}")),
            point: (lat, lon),
        })
        .collect();
    // Stored places first, then the rows in order, each compared with what came before it:
    // the places in its own and the neighbouring grid cells (about 55 m), and those at its
    // address. Linear in the file, however large.
    #[derive(Default)]
    struct Seen {
        places: Vec<Place>,
        grid: HashMap<(i64, i64), Vec<usize>>,
        at: HashMap<String, Vec<usize>>,
    }
    fn cell(p: (f64, f64)) -> (i64, i64) {
        ((p.0 / 0.0005).floor() as i64, (p.1 / 0.0008).floor() as i64)
    }
    impl Seen {
        fn add(&mut self, place: Place) {
            let i = self.places.len();
            self.grid.entry(cell(place.point)).or_default().push(i);
            self.at.entry(place.address.clone()).or_default().push(i);
            self.places.push(place);
        }
        fn around(&self, a: &Place) -> Vec<&Place> {
            let (x, y) = cell(a.point);
            let mut found: Vec<usize> = (-1..=1)
                .flat_map(|dx| (-1..=1).map(move |dy| (x + dx, y + dy)))
                .filter_map(|c| self.grid.get(&c))
                .chain(self.at.get(&a.address))
                .flatten()
                .copied()
                .collect();
            found.sort_unstable();
            found.dedup();
            found.into_iter().map(|i| &self.places[i]).collect()
        }
    }
    let mut seen = Seen::default();
    for place in stored {
        seen.add(place);
    }
    let mut out: Vec<Duplicate> = Vec::new();
    for (row, a) in places {
        for b in seen.around(&a) {
            let reported = out
                .iter()
                .rev()
                .take_while(|d| d.row == row)
                .any(|d| d.same_as == b.label);
            if a.id == b.id || reported {
                continue;
            }
            let reason = if a.address == b.address && fold(&a.name) == fold(&b.name) {
                "the same name at the same address"
            } else if distance_m(a.point, b.point) <= NEAR_M && similar(&a.name, &b.name) {
                "a similar name within 50 m"
            } else {
                continue;
            };
            out.push(Duplicate {
                row,
                same_as: b.label.clone(),
                reason: reason.into(),
            });
        }
        seen.add(a);
    }
    Ok(out)
}

/// The organisation of a row: by id (registered with that id when it is new here), else by KvK
/// number, by exact name, or a new one.
fn organisation(
    conn: &mut DbConnection,
    org: &OrganisationRef,
    actor: &Actor,
    created: &mut usize,
) -> Result<Result<String, String>, ApiError> {
    if let Some(id) = org.id {
        // An id from another registry's export: the organisation is made with that id.
        match reg::find_organisation(conn, &id.to_string())? {
            Some(o) => return Ok(Ok(o.id)),
            None if org.name.is_empty() => {
                return Ok(Err(format!(
                    "there is no organisation {id}; give organisationName to register it"
                )));
            }
            None => {}
        }
    }
    let page = PageRequest {
        page: 1,
        page_size: 100,
    };
    if let (None, Some(kvk)) = (org.id, &org.kvk) {
        let filter = OrganisationFilter {
            kvk_number: Some(kvk.clone()),
            ..OrganisationFilter::default()
        };
        if let Some(o) = reg::list_organisations(conn, &filter, page)?.items.first() {
            return Ok(Ok(o.id.clone()));
        }
    }
    let filter = OrganisationFilter {
        name: Some(org.name.clone()),
        ..OrganisationFilter::default()
    };
    let found = reg::list_organisations(conn, &filter, page)?;
    if let (None, Some(o)) = (org.id, found.items.iter().find(|o| o.name == org.name)) {
        return Ok(Ok(o.id.clone()));
    }
    let key = org.kvk.clone().unwrap_or_else(|| fold(&org.name));
    let id = org
        .id
        .unwrap_or_else(|| Uuid::new_v5(&NAMESPACE, format!("organisation:{key}").as_bytes()));
    let now = changes::now();
    let row = OrganisationRow {
        id: id.to_string(),
        name: org.name.clone(),
        kvk_number: org.kvk.clone(),
        agb_code: org.agb.clone(),
        description: org.description.clone(),
        website: org.website.clone(),
        email: org.email.clone(),
        phone: org.phone.clone(),
        source: "import".into(),
        version: 1,
        created_at: now.clone(),
        updated_at: now,
        deleted_at: None,
    };
    reg::insert_organisation(conn, &row)?;
    let after =
        serde_json::json!({"name": row.name, "kvkNumber": row.kvk_number, "agbCode": row.agb_code});
    changes::record(
        conn,
        actor,
        "organisation",
        &row.id,
        "import",
        &changes::diff(&serde_json::Value::Null, &after),
    )?;
    *created += 1;
    Ok(Ok(row.id))
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// How many rows are looked up, and their new provisions written, together. On PostgreSQL every
/// statement is a round trip: row by row, an import of 100,000 took minutes.
const BATCH_ROWS: usize = 500;

/// The new provisions of a batch of rows, written together with a few statements.
#[derive(Default)]
struct Creations {
    records: Vec<ProvisionRecord>,
    documents: Vec<Box<serde_json::value::RawValue>>,
    changes: Vec<(String, Vec<changes::FieldChange>)>,
}

impl Creations {
    fn write(&mut self, conn: &mut DbConnection, actor: &Actor) -> Result<(), ApiError> {
        let documents: Vec<&str> = self.documents.iter().map(|d| d.get()).collect();
        reg::insert_provisions(conn, &self.records, &documents)?;
        changes::record_many(conn, actor, "provision", "import", &self.changes)?;
        *self = Self::default();
        Ok(())
    }
}

/// Handles one checked row: a new provision (added to `creations`), a changed one (written
/// now), or nothing when it is the same.
fn write_row(
    conn: &mut DbConnection,
    actor: &Actor,
    id: &str,
    draft: &crate::domain::registry::ProvisionDraft,
    existing: Option<ProvisionRecord>,
    creations: &mut Creations,
) -> Result<Outcome, ApiError> {
    let now = changes::now();
    let (record, before, outcome) = match existing {
        None => {
            let mut record = record_of(id, draft, 1, &now, &now);
            // Importing is not checking: a new provision is not verified yet.
            record.row.verified_at = None;
            (record, serde_json::Value::Null, Outcome::Created)
        }
        Some(current) => {
            let before = wire(&current);
            let version = current.row.version + 1;
            let mut record = record_of(id, draft, version, &current.row.created_at, &now);
            record.row.verified_at = current.row.verified_at.clone();
            let same = serde_json::to_value(input_of(&before)).ok()
                == serde_json::to_value(input_of(&wire(&record))).ok();
            if same {
                return Ok(Outcome::Unchanged);
            }
            let before = serde_json::to_value(before).map_err(ApiError::internal)?;
            (record, before, Outcome::Updated)
        }
    };
    let document = render(&record)?;
    let after = serde_json::to_value(wire(&record)).map_err(ApiError::internal)?;
    let fields = changes::diff(&before, &after);
    if let Outcome::Created = outcome {
        creations.records.push(record);
        creations.documents.push(document);
        creations.changes.push((id.to_owned(), fields));
        return Ok(outcome);
    }
    let expected = record.row.version - 1;
    if !reg::update_provision(conn, &record, expected, Some(document.get()))? {
        return Err(ApiError::Conflict(format!(
            "provision {id} was changed during the import; import again"
        )));
    }
    changes::record(conn, actor, "provision", id, "import", &fields)?;
    Ok(outcome)
}

/// A file to import, and whether only to check it.
#[derive(Debug, Clone, Copy)]
pub struct ImportFile<'a> {
    pub text: &'a str,
    pub format: FileFormat,
    pub dry_run: bool,
}

/// Writes the rows in one transaction (or, for a dry run, works it all out and rolls back).
/// With `principal`, every row must be within its scope. Any problem: nothing is written.
pub fn apply(
    conn: &mut DbConnection,
    reference: &Reference,
    file: ImportFile<'_>,
    principal: Option<&Principal>,
    actor: &Actor,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ApiError> {
    let ImportFile {
        text,
        format,
        dry_run,
    } = file;
    let (rows, mut errors, total) = read(format, text, reference);
    let mut report = ImportReport {
        dry_run,
        rows: total,
        ..ImportReport::default()
    };
    /// Why the transaction rolls back: a report to give (a dry run, problems in the file), or
    /// a failure of the service itself.
    enum Stop {
        Report(ImportReport),
        Failed(ApiError),
    }
    impl From<diesel::result::Error> for Stop {
        fn from(e: diesel::result::Error) -> Self {
            Stop::Failed(e.into())
        }
    }
    let outcome = db::write_transaction(conn, |conn| -> Result<ImportReport, Stop> {
        let fail = Stop::Failed;
        report.duplicates = duplicates(conn, &rows).map_err(fail)?;
        // Rows of one organisation find (or register) it once.
        let mut organisations: HashMap<String, Result<String, String>> = HashMap::new();
        let mut done = 0;
        for batch in rows.chunks(BATCH_ROWS) {
            let ids: Vec<String> = batch.iter().map(|RowOk(r)| r.id.clone()).collect();
            let mut stored: HashMap<String, ProvisionRecord> = reg::find_provisions(conn, &ids)?
                .into_iter()
                .map(|p| (p.row.id.clone(), p))
                .collect();
            let mut creations = Creations::default();
            for RowOk(row) in batch {
                done += 1;
                progress(done, rows.len());
                let o = &row.organisation;
                let key = format!("{:?}|{:?}|{}", o.id, o.kvk, o.name);
                let found = match organisations.get(&key) {
                    Some(found) => found.clone(),
                    None => {
                        let found = organisation(conn, o, actor, &mut report.organisations_created)
                            .map_err(fail)?;
                        organisations.insert(key, found.clone());
                        found
                    }
                };
                let org = match found {
                    Ok(id) => id,
                    Err(message) => {
                        errors.push(RowError {
                            row: row.number,
                            column: "organisationId".into(),
                            message,
                        });
                        continue;
                    }
                };
                let mut draft = row.draft.clone();
                draft.organisation_id = Uuid::parse_str(&org).unwrap_or_default();
                let existing = stored.remove(&row.id);
                if let Some(p) = principal {
                    let mut scope = p.may_write_provision(&org, &ties(reference, &draft));
                    if let (Ok(()), Some(current)) = (&scope, &existing) {
                        scope = p.may_write_provision(
                            &current.row.organisation_id,
                            &stored_ties(reference, current),
                        );
                    }
                    if let Err(denied) = scope {
                        errors.push(RowError {
                            row: row.number,
                            column: "serviceAreas".into(),
                            message: denied.0,
                        });
                        continue;
                    }
                }
                match write_row(conn, actor, &row.id, &draft, existing, &mut creations)
                    .map_err(fail)?
                {
                    Outcome::Created => report.created += 1,
                    Outcome::Updated => report.updated += 1,
                    Outcome::Unchanged => report.unchanged += 1,
                }
            }
            creations.write(conn, actor).map_err(fail)?;
        }
        errors.sort_by(|a, b| (a.row, &a.column).cmp(&(b.row, &b.column)));
        report.errors = std::mem::take(&mut errors);
        if dry_run || !report.errors.is_empty() {
            return Err(Stop::Report(std::mem::take(&mut report)));
        }
        report.applied = true;
        Ok(std::mem::take(&mut report))
    });
    match outcome {
        Ok(report) | Err(Stop::Report(report)) => Ok(report),
        Err(Stop::Failed(e)) => Err(e),
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// Check everything and report what would happen, without writing.
    #[serde(default)]
    pub dry_run: bool,
}

/// The report's errors as CSV: `row,column,message`.
pub fn errors_csv(errors: &[RowError]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["row", "column", "message"]);
    for e in errors {
        let _ = w.write_record([e.row.to_string(), e.column.clone(), e.message.clone()]);
    }
    w.into_inner().unwrap_or_default()
}

/// Imports provisions from a CSV body (the columns of `GET /imports/template.csv`) or HSDS 3.0
/// services (JSON or NDJSON): admins, and
/// municipality editors for provisions within their municipalities. All rows or none; with
/// `?dryRun=true` nothing is written. A file with problems answers 400 with every problem per row
/// and column (as CSV with `Accept: text/csv`).
#[utoipa::path(post, path = "/imports", tag = "provisions", operation_id = "import_provisions",
    params(ImportQuery), security(("bearer" = [])),
    request_body(description = "A CSV file (the template's columns), or HSDS 3.0 services as JSON (a list, a page or one) or NDJSON",
        content((String = "text/csv"), (String = "application/json"), (String = "application/x-ndjson"))),
    responses(
        (status = 200, description = "Imported (or, for a dry run, checked): what was created, updated and left unchanged, and probable duplicates", body = ImportReport),
        (status = 400, description = "Problems in the file, per row and column; nothing was written")))]
pub async fn import_provisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    principal: Authenticated,
    query: web::Query<ImportQuery>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let format = if content_type.starts_with("text/csv") {
        FileFormat::Csv
    } else if content_type.starts_with("application/json")
        || content_type.starts_with("application/x-ndjson")
    {
        FileFormat::Hsds
    } else {
        return Err(ApiError::UnsupportedMediaType(
            "send a CSV file as text/csv (the columns of /api/v1/imports/template.csv), or HSDS 3.0 services as application/json or application/x-ndjson".into(),
        ));
    };
    let text = String::from_utf8(body.to_vec())
        .map_err(|_| ApiError::BadRequest("the file is not UTF-8 text".into()))?;
    let principal = principal.0;
    if principal.role != crate::domain::access::Role::Admin {
        principal.may_register_organisation().map_err(|d| {
            ApiError::Forbidden(format!(
                "{d}; importing needs an admin or a municipality editor"
            ))
        })?;
    }
    let dry_run = query.dry_run;
    let reference = state.reference.clone();
    let report = state
        .db(move |conn| {
            let actor = Actor::of(&principal);
            apply(
                conn,
                &reference,
                ImportFile {
                    text: &text,
                    format,
                    dry_run,
                },
                Some(&principal),
                &actor,
                &mut |_, _| {},
            )
        })
        .await?;
    if !report.errors.is_empty() {
        if super::coverage::wants_csv(&req) {
            return Ok(HttpResponse::BadRequest()
                .content_type("text/csv; charset=utf-8")
                .body(errors_csv(&report.errors)));
        }
        return Err(ApiError::Invalid(
            report
                .errors
                .iter()
                .map(|e| crate::domain::FieldError {
                    field: format!("rows[{}].{}", e.row, e.column),
                    message: e.message.clone(),
                })
                .collect(),
        ));
    }
    if report.applied {
        state.after_write().await;
    }
    Ok(HttpResponse::Ok().json(report))
}

/// The CSV columns with one example row, to fill in.
#[utoipa::path(get, path = "/imports/template.csv", tag = "provisions", operation_id = "import_template",
    responses((status = 200, description = "The import columns and an example row", content((String = "text/csv")))))]
pub async fn import_template() -> HttpResponse {
    let example = [
        "BOZ-0001",
        "",
        "Stichting Voorbeeld Welzijn",
        "12345678",
        "",
        "Opvoedspreekuur Centrum",
        "Vragen over opvoeden? Loop binnen.",
        "opvoedondersteuning",
        "open",
        "active",
        "0",
        "18",
        "true",
        "",
        "nl; en",
        "https://voorbeeld.example.org",
        "",
        "0164 000000",
        "tuesday 09:00-12:00; thursday 13:00-16:00",
        "municipality:GM0748",
        "Fortuinstraat",
        "23",
        "4611 NM",
        "Bergen op Zoom",
        "51.4944 4.2876",
        "",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(CSV_COLUMNS);
    let _ = w.write_record(example);
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .body(w.into_inner().unwrap_or_default())
}
