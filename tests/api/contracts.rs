use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, editor, spawn_app};

fn contract(org: &str, scope: &str, code: Option<&str>) -> Value {
    json!({
        "organisationId": org,
        "scope": scope,
        "scopeCode": code,
        "categories": ["ijw-45"],
        "validFrom": "2027-01-01",
        "validUntil": "2027-12-31",
        "reference": "Perceel 3 ambulant"
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> crate::helpers::Reply {
    app.call(Method::POST, "/api/v1/contracts")
        .token(token)
        .json(body)
        .send()
        .await
}

#[actix_web::test]
async fn an_editor_registers_contracts_of_its_own_municipality_only() {
    let app = spawn_app().await;
    let org = app.organisation("Jeugdhulp Test").await;
    let own = create(
        &app,
        &editor("GM0748"),
        &contract(&org, "municipality", Some("GM0748")),
    )
    .await;
    assert_eq!(own.status, 201, "{}", own.text);
    assert_eq!(own.body["status"], "future");
    let before = app.counts();
    create(
        &app,
        &editor("GM0748"),
        &contract(&org, "municipality", Some("GM1674")),
    )
    .await
    .assert_problem(403);
    create(
        &app,
        &editor("GM0748"),
        &contract(&org, "region", Some("JZ36")),
    )
    .await
    .assert_problem(403);
    create(&app, &editor("GM0748"), &contract(&org, "national", None))
        .await
        .assert_problem(403);
    assert_eq!(app.counts(), before);
    assert_eq!(
        create(&app, &admin(), &contract(&org, "region", Some("JZ36")))
            .await
            .status,
        201
    );
}

#[actix_web::test]
async fn contract_fields_are_validated() {
    let app = spawn_app().await;
    let org = app.organisation("Jeugdhulp Test").await;
    let before = app.counts();
    let mut body = contract(&org, "area", Some("WK074801"));
    body["categories"] = json!(["opvoedondersteuning", "ijw-99"]);
    body["validUntil"] = json!("2026-12-31");
    let reply = create(&app, &admin(), &body).await;
    reply.assert_problem(400);
    assert_eq!(
        reply.invalid_fields(),
        ["scope", "categories[0]", "categories[1]", "validUntil"]
    );
    let mut body = contract(&org, "municipality", Some("GM9999"));
    body["validFrom"] = json!("2027-02-30");
    create(&app, &admin(), &body).await.assert_problem(400);
    assert_eq!(
        create(
            &app,
            &admin(),
            &contract(&org, "municipality", Some("GM9999"))
        )
        .await
        .invalid_fields(),
        ["scopeCode"]
    );
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn contracts_are_valid_from_their_first_to_their_last_day() {
    let app = spawn_app().await;
    let org = app.organisation("Jeugdhulp Test").await;
    assert_eq!(
        create(
            &app,
            &admin(),
            &contract(&org, "municipality", Some("GM0748"))
        )
        .await
        .status,
        201
    );
    let on = |day: &str| format!("/api/v1/contracts?organisation={org}&validOn={day}");
    for (day, expected) in [
        ("2026-12-31", 0),
        ("2027-01-01", 1),
        ("2027-12-31", 1),
        ("2028-01-01", 0),
    ] {
        assert_eq!(app.get(&on(day)).await.body["total"], expected, "{day}");
    }
    app.get("/api/v1/contracts?validOn=tomorrow")
        .await
        .assert_problem(400);
}

#[actix_web::test]
async fn a_municipality_sees_its_own_its_regions_and_national_contracts() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/contracts?municipality=GM0748&pageSize=100")
        .await;
    let scopes: Vec<(String, String)> = reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|c| {
            (
                c["scope"].as_str().unwrap_or_default().to_owned(),
                c["scopeCode"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(scopes.contains(&("municipality".into(), "GM0748".into())));
    assert!(scopes.contains(&("region".into(), "JZ36".into())));
    assert!(scopes.contains(&("national".into(), String::new())));
    assert!(
        scopes
            .iter()
            .all(|(s, c)| s == "national" || c == "GM0748" || c == "JZ36"),
        "{scopes:?}"
    );
    let zwolle = app
        .get("/api/v1/contracts?municipality=GM0193&category=ijw-45")
        .await;
    assert!(
        zwolle.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|c| c["scopeCode"] != "JZ36")
    );
}

#[actix_web::test]
async fn contracts_are_replaced_patched_and_deleted_with_preconditions() {
    let app = spawn_app().await;
    let org = app.organisation("Jeugdhulp Test").await;
    let created = create(
        &app,
        &editor("GM0748"),
        &contract(&org, "municipality", Some("GM0748")),
    )
    .await;
    let uri = format!(
        "/api/v1/contracts/{}",
        created.body["id"].as_str().expect("id")
    );
    let patched = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM0748"))
        .header("If-Match", "\"1\"")
        .json(&json!({"validUntil": null}))
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert!(patched.body["validUntil"].is_null());
    // Moving it to another municipality is out of scope.
    let moved = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM0748"))
        .json(&json!({"scopeCode": "GM1674"}))
        .send()
        .await;
    moved.assert_problem(403);
    let mut replacement = contract(&org, "municipality", Some("GM0748"));
    replacement["categories"] = json!(["ijw-45", "ijw-41"]);
    let replaced = app
        .call(Method::PUT, &uri)
        .token(&admin())
        .json(&replacement)
        .send()
        .await;
    assert_eq!(replaced.body["categories"], json!(["ijw-41", "ijw-45"]));
    app.call(Method::DELETE, &uri)
        .token(&editor("GM0748"))
        .header("If-Match", "\"2\"")
        .send()
        .await
        .assert_problem(412);
    assert_eq!(
        app.call(Method::DELETE, &uri)
            .token(&editor("GM0748"))
            .header("If-Match", "\"3\"")
            .send()
            .await
            .status,
        204
    );
    app.get(&uri).await.assert_problem(404);
}
