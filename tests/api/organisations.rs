use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{admin, editor, spawn_app};

#[actix_web::test]
async fn organisations_are_registered_found_and_filtered() {
    let app = spawn_app().await;
    let created = app
        .call(Method::POST, "/api/v1/organisations")
        .token(&editor("GM0748"))
        .json(&json!({"name": "Bibliotheek West-Brabant", "kvkNumber": "41102526", "website": "https://www.bibliotheekwestbrabant.nl", "phone": "+31 164 123456"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id");
    assert_eq!(
        app.get(&format!("/api/v1/organisations/{id}")).await.body["kvkNumber"],
        "41102526"
    );
    let by_name = app
        .get("/api/v1/organisations?name=bibliotheek%20west")
        .await;
    assert_eq!(by_name.body["total"], 1, "{}", by_name.text);
    assert_eq!(
        app.get("/api/v1/organisations?kvkNumber=41102526")
            .await
            .body["total"],
        1
    );
    app.get("/api/v1/organisations?kvkNumber=4110")
        .await
        .assert_problem(400);
    app.get("/api/v1/organisations/not-a-uuid")
        .await
        .assert_problem(404);
}

#[actix_web::test]
async fn organisation_fields_are_validated() {
    let app = spawn_app().await;
    let before = app.counts();
    let reply = app
        .call(Method::POST, "/api/v1/organisations")
        .token(&admin())
        .json(&json!({"name": "", "kvkNumber": "1234", "agbCode": "ABCDEFGH", "email": "no-at-sign", "website": "ftp://x.nl", "phone": "0164"}))
        .send()
        .await;
    reply.assert_problem(400);
    assert_eq!(
        reply.invalid_fields(),
        ["name", "kvkNumber", "agbCode", "website", "email", "phone"]
    );
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn an_organisation_with_provisions_cannot_be_deleted_or_taken_over() {
    let app = spawn_app().await;
    // A demo organisation of Roosendaal.
    let list = app
        .get("/api/v1/provisions?municipality=GM1674&category=bibliotheek")
        .await;
    let org = list.body["items"][0]["organisationId"]
        .as_str()
        .expect("organisation")
        .to_owned();
    let uri = format!("/api/v1/organisations/{org}");
    let before = app.counts();
    app.call(Method::PATCH, &uri)
        .token(&editor("GM0748"))
        .json(&json!({"name": "Overgenomen"}))
        .send()
        .await
        .assert_problem(403);
    app.call(Method::DELETE, &uri)
        .token(&admin())
        .send()
        .await
        .assert_problem(409);
    assert_eq!(app.counts(), before);
    let renamed = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM1674"))
        .json(&json!({"name": "Cultuurhuis Roosendaal-Centrum"}))
        .send()
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["version"], 2);
}

#[actix_web::test]
async fn an_organisation_without_provisions_is_deleted_softly() {
    let app = spawn_app().await;
    let id = app.organisation("Tijdelijk").await;
    let uri = format!("/api/v1/organisations/{id}");
    let stale = app
        .call(Method::PUT, &uri)
        .token(&admin())
        .header("If-Match", "\"5\"")
        .json(&json!({"name": "Nieuw"}))
        .send()
        .await;
    stale.assert_problem(412);
    assert_eq!(
        app.call(Method::DELETE, &uri)
            .token(&editor("GM0748"))
            .send()
            .await
            .status,
        204
    );
    app.get(&uri).await.assert_problem(404);
    assert_eq!(app.count("organisations WHERE deleted_at IS NOT NULL"), 1);
}

#[actix_web::test]
async fn an_organisation_working_only_nationally_is_changed_only_by_an_admin() {
    let app = spawn_app().await;
    let national = app.get("/api/v1/provisions?category=ijw-55").await;
    let org = national.body["items"][0]["organisationId"]
        .as_str()
        .expect("organisation")
        .to_owned();
    let uri = format!("/api/v1/organisations/{org}");
    let before = app.counts();
    let reply = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM0003"))
        .json(&json!({"name": "Gekaapt"}))
        .send()
        .await;
    reply.assert_problem(403);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("only an admin"))
    );
    assert_eq!(app.counts(), before);
    assert_eq!(
        app.call(Method::PATCH, &uri)
            .token(&admin())
            .json(&json!({"description": "LTA"}))
            .send()
            .await
            .status,
        200
    );
}

#[actix_web::test]
async fn if_match_compares_strongly_and_scope_is_checked_before_the_precondition() {
    let app = spawn_app().await;
    let id = app.organisation("Sterk").await;
    let uri = format!("/api/v1/organisations/{id}");
    app.call(Method::PATCH, &uri)
        .token(&admin())
        .header("If-Match", "W/\"1\"")
        .json(&json!({"name": "Zwak"}))
        .send()
        .await
        .assert_problem(412);
    let list = app
        .get("/api/v1/provisions?municipality=GM1674&category=bibliotheek")
        .await;
    let roosendaal = list.body["items"][0]["organisationId"]
        .as_str()
        .expect("organisation")
        .to_owned();
    app.call(
        Method::PATCH,
        &format!("/api/v1/organisations/{roosendaal}"),
    )
    .token(&editor("GM0748"))
    .header("If-Match", "\"99\"")
    .json(&json!({"name": "X"}))
    .send()
    .await
    .assert_problem(403);
}
