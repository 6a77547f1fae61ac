//! The OpenAPI 3.1 document (generated from the handlers) and the offline Swagger UI.

use actix_web::web;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::{HttpMethod, Operation};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, ObjectBuilder, RefOr, Schema, Type};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use super::{
    API_VERSION, alternatives, areas, categories, contracts, coverage, exports, history, imports,
    municipalities, organisations, provisions, referrals, regions, reports, search,
};
use crate::error::{InvalidParam, Problem};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "sociale-kaart",
        description = "Registry of freely accessible basic provisions and contracted specialist youth-care providers, per Dutch municipality and youth-care region. Public reads need no token; writes need a bearer token (JWT).",
        contact(name = "sociale-kaart maintainers", url = "https://github.com/sociale-kaart/sociale-kaart", email = "sociale-kaart@example.org"),
        license(name = "EUPL-1.2", identifier = "EUPL-1.2"),
    ),
    servers((url = "/api/v1", description = "This server")),
    paths(
        regions::list_regions, regions::find_region,
        municipalities::list_municipalities, municipalities::find_municipality,
        areas::list_areas, areas::lookup_area, areas::find_area,
        categories::list_categories,
        alternatives::find_alternatives,
        organisations::list_organisations, organisations::create_organisation, organisations::find_organisation,
        organisations::replace_organisation, organisations::patch_organisation, organisations::delete_organisation,
        search::list_provisions, provisions::create_provision, provisions::find_provision,
        provisions::replace_provision, provisions::patch_provision, provisions::delete_provision,
        provisions::verify_provision, reports::stale_provisions, exports::export_provisions,
        imports::import_provisions, imports::import_template,
        contracts::list_contracts, contracts::create_contract, contracts::find_contract,
        contracts::replace_contract, contracts::patch_contract, contracts::delete_contract,
        coverage::find_basic_set, coverage::replace_basic_set, coverage::find_region_coverage,
        coverage::coverage_map, coverage::find_municipality_coverage,
        history::provision_history, history::organisation_history, history::contract_history,
        referrals::record_referral, referrals::find_referral,
        referrals::municipality_referral_report, referrals::region_referral_report,
    ),
    components(schemas(
        Problem,
        InvalidParam,
        crate::domain::referral::Count,
        super::search::View
    )),
    modifiers(&Conventions),
    tags(
        (name = "reference data", description = "CBS regions, municipalities, wijken and postcodes; the category taxonomy"),
        (name = "organisations", description = "Providers of provisions"),
        (name = "provisions", description = "Basic provisions and specialist care offers"),
        (name = "contracts", description = "Who contracted which specialist provider"),
        (name = "access teams", description = "Open alternatives before a referral, and to whom a referral may go"),
        (name = "coverage", description = "Regions' basic sets and how every member municipality covers them"),
        (name = "referrals", description = "Anonymous records of referrals to specialist care, and the quarterly reports"),
    )
)]
pub struct ApiDoc;

/// Adds what every operation shares, so handlers declare only their own success responses:
/// the `API-Version` header on 2xx, the problem+json error responses, and bearer security.
struct Conventions;

fn problem_response(description: &str) -> RefOr<utoipa::openapi::Response> {
    // Inline (not a $ref) so that linters see the required members on every error response.
    let schema = ObjectBuilder::new()
        .property(
            "type",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("URI reference of the problem type")),
        )
        .property("title", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "status",
            ObjectBuilder::new().schema_type(Type::Integer).format(Some(
                utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Int32),
            )),
        )
        .property("detail", ObjectBuilder::new().schema_type(Type::String))
        .property("instance", ObjectBuilder::new().schema_type(Type::String))
        .property(
            "code",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .description(Some("For a request refused by a rule of the domain (422): the rule, e.g. `no-contract`")),
        )
        .property(
            "errors",
            utoipa::openapi::schema::ArrayBuilder::new().items(RefOr::Ref(
                utoipa::openapi::Ref::from_schema_name("InvalidParam"),
            )),
        )
        .required("type")
        .required("title")
        .required("status")
        .required("detail")
        .build();
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Schema::Object(schema)))
                .build(),
        )
        .build()
        .into()
}

fn add_problems(op: &mut Operation, method: &HttpMethod, has_path_params: bool) {
    let write = !matches!(method, HttpMethod::Get);
    let mut statuses: Vec<(&str, &str)> = vec![
        (
            "400",
            "The request is not valid; `errors` lists each invalid field",
        ),
        ("503", "The database is not reachable right now"),
        ("500", "Unexpected error; logged on the server"),
    ];
    if has_path_params {
        statuses.push(("404", "The resource does not exist"));
    }
    if write {
        statuses.extend([
            ("401", "No valid bearer token"),
            ("403", "The token's role or scope does not allow this"),
            ("409", "This conflicts with existing data"),
        ]);
    }
    if matches!(
        method,
        HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete
    ) {
        statuses.push(("412", "If-Match does not name the current version"));
    }
    if matches!(
        method,
        HttpMethod::Put | HttpMethod::Patch | HttpMethod::Post
    ) {
        statuses.push(("413", "The body is too large"));
        statuses.push(("415", "The body is not JSON"));
    }
    for (status, description) in statuses {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem_response(description));
    }
    // Error responses a handler declares itself get the problem body too.
    for (status, response) in op.responses.responses.iter_mut() {
        if let (true, RefOr::T(r)) = (
            status.starts_with('4') || status.starts_with('5'),
            &*response,
        ) && r.content.is_empty()
        {
            *response = problem_response(&r.description.clone());
        }
    }
    for (status, response) in op.responses.responses.iter_mut() {
        if let (true, RefOr::T(response)) =
            (status.starts_with('2') || status.starts_with('3'), response)
        {
            response.headers.insert(
                "API-Version".to_owned(),
                HeaderBuilder::new()
                    .schema(
                        ObjectBuilder::new()
                            .schema_type(Type::String)
                            .examples([API_VERSION]),
                    )
                    .description(Some("Version of the API (semver)"))
                    .build(),
            );
        }
    }
}

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        openapi.info.version = API_VERSION.to_owned();
        openapi
            .components
            .get_or_insert_with(Default::default)
            .add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .build(),
                ),
            );
        for (path, item) in openapi.paths.paths.iter_mut() {
            let has_path_params = path.contains('{');
            for (method, op) in [
                (HttpMethod::Get, item.get.as_mut()),
                (HttpMethod::Post, item.post.as_mut()),
                (HttpMethod::Put, item.put.as_mut()),
                (HttpMethod::Patch, item.patch.as_mut()),
                (HttpMethod::Delete, item.delete.as_mut()),
            ] {
                if let Some(op) = op {
                    add_problems(op, &method, has_path_params);
                }
            }
        }
    }
}

/// The document as served and as committed in `openapi/openapi.json`.
pub fn openapi_json() -> String {
    let mut text = ApiDoc::openapi().to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}

/// Swagger UI at `/api/v1/docs/` (assets compiled in: works offline) and the document at
/// `/api/v1/openapi.json`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        SwaggerUi::new("/api/v1/docs/{_:.*}").url("/api/v1/openapi.json", ApiDoc::openapi()),
    );
}
