//! The role model of DESIGN §3 over every write and every non-public read: each role, in and
//! out of its scope, gets the status it should, and a refused request changes nothing.

use actix_web::http::Method;
use serde_json::{Value, json};
use sociale_kaart::api::auth::{claims_for, mint};
use sociale_kaart::domain::access::Role;

use crate::helpers::{Reply, SECRET, TestApp, admin, editor, region_admin, spawn_app, token};

fn provider_editor(organisation: &str) -> String {
    let claims = claims_for(
        "provider tester",
        Role::ProviderEditor,
        vec![],
        vec![],
        Some(organisation.to_owned()),
        1,
    );
    mint(SECRET.as_bytes(), &claims).expect("mint")
}

/// The callers, in the column order of the expectations below. "Out" is out of scope: another
/// region (IJsselland), municipality (Deventer) or organisation.
fn callers(own: &str, other: &str) -> Vec<(&'static str, Option<String>)> {
    vec![
        ("admin", Some(admin())),
        ("region-admin in", Some(region_admin(&["JZ36"]))),
        ("region-admin out", Some(region_admin(&["JZ07"]))),
        ("municipality-editor in", Some(editor("GM0748"))),
        ("municipality-editor out", Some(editor("GM0150"))),
        ("provider-editor in", Some(provider_editor(own))),
        ("provider-editor out", Some(provider_editor(other))),
        (
            "professional in",
            Some(token(Role::Professional, &["GM0748"])),
        ),
        (
            "professional out",
            Some(token(Role::Professional, &["GM0150"])),
        ),
        ("anonymous", None),
    ]
}

#[derive(Debug, Clone, Copy)]
enum Endpoint {
    CreateOrganisation,
    ReplaceOrganisation,
    PatchOrganisation,
    DeleteOrganisation,
    CreateProvision,
    ReplaceProvision,
    PatchProvision,
    DeleteProvision,
    VerifyProvision,
    CreateContract,
    ReplaceContract,
    PatchContract,
    DeleteContract,
    ReplaceBasicSet,
    RecordReferral,
    ReadReferral,
    MunicipalReferralReport,
    RegionalReferralReport,
    StaleReport,
}

use Endpoint::*;

/// Expected status per caller, in the order of `callers`.
const MATRIX: [(Endpoint, [u16; 10]); 19] = [
    (
        CreateOrganisation,
        [201, 403, 403, 201, 201, 403, 403, 403, 403, 401],
    ),
    (
        ReplaceOrganisation,
        [200, 403, 403, 200, 403, 200, 403, 403, 403, 401],
    ),
    (
        PatchOrganisation,
        [200, 403, 403, 200, 403, 200, 403, 403, 403, 401],
    ),
    // A new organisation without work: any editor may remove it, its provider may not.
    (
        DeleteOrganisation,
        [204, 403, 403, 204, 204, 403, 403, 403, 403, 401],
    ),
    (
        CreateProvision,
        [201, 403, 403, 201, 403, 201, 403, 403, 403, 401],
    ),
    (
        ReplaceProvision,
        [200, 403, 403, 200, 403, 200, 403, 403, 403, 401],
    ),
    (
        PatchProvision,
        [200, 403, 403, 200, 403, 200, 403, 403, 403, 401],
    ),
    (
        DeleteProvision,
        [204, 403, 403, 204, 403, 204, 403, 403, 403, 401],
    ),
    (
        VerifyProvision,
        [200, 403, 403, 200, 403, 200, 403, 403, 403, 401],
    ),
    (
        CreateContract,
        [201, 201, 403, 201, 403, 403, 403, 403, 403, 401],
    ),
    (
        ReplaceContract,
        [200, 200, 403, 200, 403, 403, 403, 403, 403, 401],
    ),
    (
        PatchContract,
        [200, 200, 403, 200, 403, 403, 403, 403, 403, 401],
    ),
    (
        DeleteContract,
        [204, 204, 403, 204, 403, 403, 403, 403, 403, 401],
    ),
    (
        ReplaceBasicSet,
        [200, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        RecordReferral,
        [201, 403, 403, 403, 403, 403, 403, 201, 403, 401],
    ),
    (
        ReadReferral,
        [200, 200, 403, 200, 403, 403, 403, 200, 403, 401],
    ),
    (
        MunicipalReferralReport,
        [200, 200, 403, 200, 403, 403, 403, 403, 403, 401],
    ),
    (
        RegionalReferralReport,
        [200, 200, 403, 403, 403, 403, 403, 403, 403, 401],
    ),
    (
        StaleReport,
        [200, 200, 403, 200, 403, 403, 403, 403, 403, 401],
    ),
];

fn provision_body(org: &str) -> Value {
    json!({"organisationId": org, "name": "Inloop De Kade", "categories": ["buurthuis"],
        "access": "open", "minAge": 0, "maxAge": 23, "freeOfCharge": true,
        "locations": [{"street": "Kade", "houseNumber": "1", "postcode": "4611 AA",
            "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870}],
        "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]})
}

fn contract_body(org: &str) -> Value {
    json!({"organisationId": org, "scope": "municipality", "scopeCode": "GM0748",
        "categories": ["ijw-45"], "validFrom": "2026-01-01"})
}

fn referral_body(org: &str) -> Value {
    json!({"municipality": "GM0748", "need": "opvoedondersteuning", "ijwCategory": "ijw-45",
        "organisationId": org, "referrerType": "01", "date": "2026-05-01",
        "noFitReason": "none-within-reach"})
}

async fn as_admin(app: &TestApp, method: Method, path: &str, body: &Value) -> String {
    let reply = app
        .call(method, path)
        .token(&admin())
        .json(body)
        .send()
        .await;
    assert!(reply.status.is_success(), "{path}: {}", reply.text);
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

type Request = (Method, String, Option<Value>);

/// Prepares what the request works on (a fresh resource where it changes one).
async fn prepare(app: &TestApp, endpoint: Endpoint, own: &str) -> Request {
    match endpoint {
        CreateOrganisation => (
            Method::POST,
            "/api/v1/organisations".into(),
            Some(json!({"name": "Nieuw"})),
        ),
        ReplaceOrganisation => (
            Method::PUT,
            format!("/api/v1/organisations/{own}"),
            Some(json!({"name": "Eigen Jeugdhulp", "kvkNumber": "12345678"})),
        ),
        PatchOrganisation => (
            Method::PATCH,
            format!("/api/v1/organisations/{own}"),
            Some(json!({"website": "https://eigen.example.org"})),
        ),
        DeleteOrganisation => {
            let id = as_admin(
                app,
                Method::POST,
                "/api/v1/organisations",
                &json!({"name": "Tijdelijk"}),
            )
            .await;
            (Method::DELETE, format!("/api/v1/organisations/{id}"), None)
        }
        CreateProvision => (
            Method::POST,
            "/api/v1/provisions".into(),
            Some(provision_body(own)),
        ),
        ReplaceProvision | PatchProvision | DeleteProvision | VerifyProvision => {
            let id = as_admin(
                app,
                Method::POST,
                "/api/v1/provisions",
                &provision_body(own),
            )
            .await;
            let path = format!("/api/v1/provisions/{id}");
            match endpoint {
                ReplaceProvision => (Method::PUT, path, Some(provision_body(own))),
                PatchProvision => (
                    Method::PATCH,
                    path,
                    Some(json!({"name": "Inloop Het Anker"})),
                ),
                DeleteProvision => (Method::DELETE, path, None),
                _ => (Method::POST, format!("{path}/verifications"), None),
            }
        }
        CreateContract => (
            Method::POST,
            "/api/v1/contracts".into(),
            Some(contract_body(own)),
        ),
        ReplaceContract | PatchContract | DeleteContract => {
            let id = as_admin(app, Method::POST, "/api/v1/contracts", &contract_body(own)).await;
            let path = format!("/api/v1/contracts/{id}");
            match endpoint {
                ReplaceContract => (Method::PUT, path, Some(contract_body(own))),
                PatchContract => (Method::PATCH, path, Some(json!({"reference": "Perceel 9"}))),
                _ => (Method::DELETE, path, None),
            }
        }
        ReplaceBasicSet => (
            Method::PUT,
            "/api/v1/regions/JZ36/basic-set".into(),
            Some(
                json!({"adoptedOn": "2026-11-01", "categories": [{"category": "opvoedondersteuning"}]}),
            ),
        ),
        RecordReferral => (
            Method::POST,
            "/api/v1/referrals".into(),
            Some(referral_body(own)),
        ),
        ReadReferral => {
            let id = as_admin(app, Method::POST, "/api/v1/referrals", &referral_body(own)).await;
            (Method::GET, format!("/api/v1/referrals/{id}"), None)
        }
        MunicipalReferralReport => (
            Method::GET,
            "/api/v1/municipalities/GM0748/referral-report?year=2026&quarter=2".into(),
            None,
        ),
        RegionalReferralReport => (
            Method::GET,
            "/api/v1/regions/JZ36/referral-report?year=2026&quarter=2".into(),
            None,
        ),
        StaleReport => (
            Method::GET,
            "/api/v1/reports/stale?municipality=GM0748".into(),
            None,
        ),
    }
}

async fn send(app: &TestApp, (method, path, body): Request, token: Option<&str>) -> Reply {
    let mut call = app.call(method.clone(), &path);
    if let Some(t) = token {
        call = call.token(t);
    }
    match (body, method == Method::PATCH) {
        (Some(b), true) => call.raw("application/merge-patch+json", b.to_string()),
        (Some(b), false) => call.json(&b),
        (None, _) => call,
    }
    .send()
    .await
}

#[actix_web::test]
async fn every_role_in_and_out_of_scope_gets_its_status_and_a_refusal_changes_nothing() {
    let app = spawn_app().await;
    let own = app.organisation("Eigen Jeugdhulp").await;
    let other = app.organisation("Andere Jeugdhulp").await;
    // The own organisation works in Bergen op Zoom and holds a contract there.
    as_admin(
        &app,
        Method::POST,
        "/api/v1/provisions",
        &provision_body(&own),
    )
    .await;
    as_admin(
        &app,
        Method::POST,
        "/api/v1/contracts",
        &contract_body(&own),
    )
    .await;

    let mut failures = Vec::new();
    for (endpoint, expected) in MATRIX {
        for ((caller, token), want) in callers(&own, &other).into_iter().zip(expected) {
            let prepared = prepare(&app, endpoint, &own).await;
            let write = prepared.0 != Method::GET;
            let before = app.counts();
            let reply = send(&app, prepared, token.as_deref()).await;
            let changed = app.counts() != before;
            if reply.status != want {
                failures.push(format!(
                    "{endpoint:?} as {caller}: {} (wanted {want}): {}",
                    reply.status, reply.text
                ));
            }
            // Every write adds a change-log row or a referral, so the counts show any write.
            if !reply.status.is_success() && changed {
                failures.push(format!(
                    "{endpoint:?} as {caller}: refused with {} but changed the database",
                    reply.status
                ));
            }
            if reply.status.is_success() && write && !changed {
                failures.push(format!(
                    "{endpoint:?} as {caller}: {} but nothing was written",
                    reply.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
