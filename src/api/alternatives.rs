//! The access-team question: a family here has this need — which freely accessible provision
//! can help first, and if we must refer, to whom may we?

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::AppState;
use super::paging::{PageLinks, PageParams, links};
use super::search::{Place, SearchItem, View, resolve_origin, with_hits};
use crate::domain::FieldErrors;
use crate::domain::clock::amsterdam_offset_hours;
use crate::error::ApiError;
use crate::index::provisions::{Found, Reach, SearchQuery};

/// Reach of an open category without one in the taxonomy, in metres.
const DEFAULT_REACH_M: f64 = 10_000.0;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(rename_all = "camelCase")]
#[into_params(parameter_in = Query)]
pub struct AlternativesQuery {
    /// The family's four-digit postcode; or give `area`, or `lat` and `lon`.
    #[param(example = "4611")]
    pub postcode: Option<String>,
    /// The family's wijk or buurt.
    pub area: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// The need, as a category: an open one (e.g. `opvoedondersteuning`) or an iJw product
    /// category of specialist care (e.g. `ijw-45`).
    #[param(example = "ijw-45")]
    pub need: String,
    /// The child's age in years.
    #[param(minimum = 0, maximum = 27, example = 9)]
    pub age: Option<i64>,
    /// The day the referral would start; contracts must be valid on it. Default today.
    #[param(value_type = Option<String>, format = Date, example = "2026-11-23")]
    pub date: Option<NaiveDate>,
    /// `summary` (default) or `full`: how much of each open alternative to give.
    #[param(value_type = Option<View>)]
    pub view: Option<String>,
}

/// The need as understood.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Need {
    pub code: String,
    pub name: String,
    /// `open` or `indicated`.
    pub access: String,
}

/// A contracted specialist provider for this family.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContractedProvider {
    pub organisation_id: uuid::Uuid,
    pub name: String,
    pub agb_code: Option<String>,
    pub kvk_number: Option<String>,
    pub contract_id: uuid::Uuid,
    /// Who contracted: `municipality`, `region` or `national`.
    pub scope: String,
    pub scope_code: Option<String>,
    /// The contract's iJw categories that meet the need.
    pub categories: Vec<String>,
    pub valid_from: NaiveDate,
    pub valid_until: Option<NaiveDate>,
}

/// The answer for an access team.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Alternatives {
    #[serde(flatten)]
    pub answer: AlternativesAnswer,
    /// One page of the open provisions within reach that serve the family, nearest first;
    /// those without a location (online, telephone) last.
    pub open_alternatives: Vec<SearchItem>,
}

/// Everything of the answer but the open alternatives themselves.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AlternativesAnswer {
    pub place: Place,
    pub need: Need,
    /// The day contracts were checked for.
    pub date: NaiveDate,
    /// The open categories searched.
    pub open_categories: Vec<String>,
    /// How many open alternatives there are in all.
    pub open_alternatives_total: usize,
    /// The page of open alternatives listed, from 1.
    pub page: i64,
    /// Open alternatives per page (`pageSize`, default 20, at most 100).
    pub page_size: i64,
    /// This page and the next and previous pages of open alternatives.
    #[serde(rename = "_links")]
    pub links: PageLinks,
    /// True when no open provision is within reach: say so to the family's team plainly.
    pub no_open_alternative_within_reach: bool,
    /// A sentence for the access team.
    pub message: String,
    /// Specialist providers with a contract valid on `date` that covers the family's
    /// municipality (by the municipality, its region, or nationally) for the need.
    pub contracted_providers: Vec<ContractedProvider>,
}

/// Today in the Netherlands.
fn dutch_today() -> NaiveDate {
    let now = chrono::Utc::now();
    (now + chrono::Duration::hours(amsterdam_offset_hours(now))).date_naive()
}

/// Open alternatives near the family first, then the contracted specialist providers.
#[utoipa::path(get, path = "/alternatives", tag = "access teams", operation_id = "find_alternatives",
    params(AlternativesQuery, PageParams),
    responses((status = 200, description = "Open alternatives and contracted providers for this family", body = Alternatives)))]
pub async fn find_alternatives(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<AlternativesQuery>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let reference = state.reference.clone();
    let mut e = FieldErrors::new();
    let view = View::parse(&mut e, query.view.as_deref());
    let origin = resolve_origin(
        &reference,
        &mut e,
        query.postcode.as_deref(),
        query.area.as_deref(),
        query.lat,
        query.lon,
        None,
    );
    if query.postcode.is_none()
        && query.area.is_none()
        && query.lat.is_none()
        && query.lon.is_none()
    {
        e.add(
            "postcode",
            "give where the family lives: postcode, area, or lat and lon",
        );
    }
    let need = e
        .check("need", super::provisions::category(&reference, &query.need))
        .map(|(c, _)| c);
    let age = query.age.and_then(|a| {
        let ok = u8::try_from(a)
            .ok()
            .filter(|a| *a <= crate::domain::age::MAX_AGE);
        if ok.is_none() {
            e.add("age", "age must be between 0 and 27");
        }
        ok
    });
    let page = page.into_inner().check(&mut e);
    let errors = e.into_vec();
    let (Some(need), Some(resident), Some(place), Some(page), true) = (
        need,
        origin.resident.clone(),
        origin.place(&reference),
        page,
        errors.is_empty(),
    ) else {
        return Err(ApiError::Invalid(errors));
    };
    let date = query.date.unwrap_or_else(dutch_today);
    let plan = reference.need_plan(need.as_str());
    let (open, ijw) = (&plan.open, &plan.ijw);
    let max_reach = plan
        .widest_reach_m
        .map_or(DEFAULT_REACH_M, |r| r.max(DEFAULT_REACH_M));
    let index = state.read_model.index();
    let offset = usize::try_from(page.offset()).unwrap_or(usize::MAX);
    let window = offset..offset.saturating_add(usize::try_from(page.page_size).unwrap_or(0));
    let found = if open.is_empty() {
        Found::default()
    } else {
        index.search_window(
            &SearchQuery {
                origin: origin.point,
                reach: Some(Reach::PerCategory {
                    default_m: DEFAULT_REACH_M,
                    max_m: max_reach,
                }),
                resident: Some(resident.clone()),
                categories: Some(open.to_vec()),
                access: Some("open".into()),
                active: Some(true),
                age,
                ..Default::default()
            },
            window,
        )
    };
    let needs_referral = !ijw.is_empty();
    let contracts = state.read_model.contracts();
    let providers: Vec<ContractedProvider> = contracts
        .covering(&resident.municipality, &resident.region, ijw, date)
        .map(|c| ContractedProvider {
            organisation_id: uuid::Uuid::parse_str(&c.organisation_id).unwrap_or_default(),
            name: c.organisation_name.clone(),
            agb_code: c.agb_code.clone(),
            kvk_number: c.kvk_number.clone(),
            contract_id: uuid::Uuid::parse_str(&c.id).unwrap_or_default(),
            scope: c.scope.clone(),
            scope_code: c.scope_code.clone(),
            categories: c
                .categories
                .iter()
                .filter(|x| ijw.contains(x))
                .cloned()
                .collect(),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
        })
        .collect();
    let none = found.total == 0;
    let category = reference.categories.get(need.as_str());
    let message = match (none, providers.is_empty(), needs_referral) {
        (true, _, _) if open.is_empty() => {
            "There are no open categories to try first for this need.".to_owned()
        }
        (true, _, _) => format!(
            "No freely accessible provision for this need is within reach of {}.",
            place.municipality.name
        ),
        (false, _, _) => format!(
            "{} open provision(s) within reach can be tried before a referral.",
            found.total
        ),
    } + match (needs_referral, providers.is_empty()) {
        (false, _) => "",
        (true, true) => {
            " No provider holds a contract for this care that covers this municipality on this date."
        }
        (true, false) => " Refer only to a contracted provider listed here.",
    };
    let answer = AlternativesAnswer {
        place,
        need: Need {
            code: need.to_string(),
            name: category.map(|c| c.name_nl.clone()).unwrap_or_default(),
            access: category.map(|c| c.access.clone()).unwrap_or_default(),
        },
        date,
        open_categories: open.clone(),
        open_alternatives_total: found.total,
        page: page.page,
        page_size: page.page_size,
        links: links(&req, page, found.total as i64),
        no_open_alternative_within_reach: none,
        message,
        contracted_providers: providers,
    };
    with_hits(&answer, "openAlternatives", &index, &found.hits, view)
}
