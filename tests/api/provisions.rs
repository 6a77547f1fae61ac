use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, editor, spawn_app, token};
use sociale_kaart::domain::access::Role;

/// A valid provision located in Bergen op Zoom and serving it.
fn parenting_course(organisation: &str) -> Value {
    json!({
        "organisationId": organisation,
        "name": "Cursus Positief Opvoeden",
        "description": "Zes avonden voor ouders van kinderen van 4 tot 12 jaar.",
        "categories": ["opvoedondersteuning"],
        "access": "open",
        "minAge": 4,
        "maxAge": 12,
        "freeOfCharge": true,
        "languages": ["nl", "ar"],
        "email": "cursus@cjg-bergenopzoom.nl",
        "phone": "0164 123456",
        "website": "https://www.cjg-bergenopzoom.nl/cursus",
        "openingHours": [{"day": "tuesday", "opens": "19:30", "closes": "21:30"}],
        "locations": [{"street": "Fortuinstraat", "houseNumber": "23", "postcode": "4611 NM", "city": "Bergen op Zoom", "lat": 51.4944, "lon": 4.2876}],
        "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]
    })
}

async fn create(app: &TestApp, token: &str, body: &Value) -> crate::helpers::Reply {
    app.call(Method::POST, "/api/v1/provisions")
        .token(token)
        .json(body)
        .send()
        .await
}

#[actix_web::test]
async fn an_editor_registers_a_provision_in_its_municipality() {
    let app = spawn_app().await;
    let org = app.organisation("CJG Bergen op Zoom").await;
    let reply = create(&app, &editor("GM0748"), &parenting_course(&org)).await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    assert_eq!(reply.header("etag"), Some("\"1\""));
    let id = reply.body["id"].as_str().expect("id");
    assert_eq!(
        reply.header("location"),
        Some(format!("/api/v1/provisions/{id}").as_str())
    );
    let location = &reply.body["locations"][0];
    assert_eq!(location["municipalityCode"], "GM0748");
    assert!(
        location["areaCode"]
            .as_str()
            .is_some_and(|a| a.starts_with("WK0748"))
    );
    assert_eq!(location["postcode"], "4611NM");
    assert!(reply.body["verifiedAt"].is_string());

    let fetched = app.get(&format!("/api/v1/provisions/{id}")).await;
    assert_eq!(fetched.body["name"], "Cursus Positief Opvoeden");
    assert_eq!(fetched.body["openingHours"][0]["opens"], "19:30");
    assert_eq!(fetched.body["languages"], json!(["nl", "ar"]));
}

#[actix_web::test]
async fn every_invalid_field_is_reported_and_nothing_is_written() {
    let app = spawn_app().await;
    let org = app.organisation("CJG Bergen op Zoom").await;
    let before = app.counts();
    let mut body = parenting_course(&org);
    body["name"] = json!("  ");
    body["minAge"] = json!(12);
    body["maxAge"] = json!(4);
    body["categories"] = json!(["opvoedondersteuning", "ijw-45", "no-such-category"]);
    body["email"] = json!("cursus@@cjg");
    body["website"] = json!("www.cjg.nl");
    body["phone"] = json!("12345");
    body["languages"] = json!(["NL"]);
    body["openingHours"] = json!([{"day": "dinsdag", "opens": "19:30", "closes": "21:30"}, {"day": "friday", "opens": "21:00", "closes": "20:00"}]);
    body["locations"][0]["postcode"] = json!("4611");
    body["locations"][0]["lat"] = json!(48.85);
    body["serviceAreas"] =
        json!([{"scope": "municipality", "code": "GM9999"}, {"scope": "national", "code": "NL"}]);
    let reply = create(&app, &admin(), &body).await;
    reply.assert_problem(400);
    let fields = reply.invalid_fields();
    for expected in [
        "name",
        "minAge",
        "categories[1]",
        "categories[2]",
        "email",
        "website",
        "phone",
        "languages[0]",
        "openingHours[0]",
        "openingHours[1]",
        "locations[0].postcode",
        "locations[0].lat",
        "serviceAreas[0]",
        "serviceAreas[1]",
    ] {
        assert!(
            fields.contains(&expected.to_owned()),
            "{expected} missing in {fields:?}"
        );
    }
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn unknown_fields_such_as_personal_data_are_refused() {
    let app = spawn_app().await;
    let org = app.organisation("CJG").await;
    let mut body = parenting_course(&org);
    body["bsn"] = json!("123456782");
    let reply = create(&app, &admin(), &body).await;
    reply.assert_problem(400);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("bsn")),
        "{}",
        reply.text
    );
}

#[actix_web::test]
async fn a_provision_of_an_unknown_organisation_is_refused() {
    let app = spawn_app().await;
    let before = app.counts();
    let reply = create(
        &app,
        &admin(),
        &parenting_course("00000000-0000-4000-8000-000000000000"),
    )
    .await;
    reply.assert_problem(400);
    assert_eq!(reply.invalid_fields(), ["organisationId"]);
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn an_editor_cannot_write_for_another_municipality() {
    let app = spawn_app().await;
    let org = app.organisation("Welzijn Roosendaal").await;
    let mut body = parenting_course(&org);
    body["locations"] = json!([{"street": "Markt", "houseNumber": "1", "postcode": "4701 PA", "city": "Roosendaal", "lat": 51.5308, "lon": 4.4653}]);
    body["serviceAreas"] = json!([{"scope": "municipality", "code": "GM1674"}]);
    let before = app.counts();
    let reply = create(&app, &editor("GM0748"), &body).await;
    reply.assert_problem(403);
    assert!(
        reply.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("GM1674"))
    );
    // National reach is for admins.
    body["serviceAreas"] = json!([{"scope": "national"}]);
    body["locations"] = json!([]);
    create(&app, &editor("GM0748"), &body)
        .await
        .assert_problem(403);
    create(
        &app,
        &token(Role::Professional, &["GM0748"]),
        &parenting_course(&org),
    )
    .await
    .assert_problem(403);
    assert_eq!(app.counts(), before);
    assert_eq!(
        create(&app, &editor("GM1674"), &{
            let mut b = parenting_course(&org);
            b["locations"] = json!([]);
            b["serviceAreas"] = json!([{"scope": "municipality", "code": "GM1674"}]);
            b
        })
        .await
        .status,
        201
    );
}

#[actix_web::test]
async fn updates_honour_if_match_and_are_logged_field_by_field() {
    let app = spawn_app().await;
    let org = app.organisation("CJG").await;
    let created = create(&app, &editor("GM0748"), &parenting_course(&org)).await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let uri = format!("/api/v1/provisions/{id}");

    let patched = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM0748"))
        .header("If-Match", "\"1\"")
        .raw(
            "application/merge-patch+json",
            r#"{"maxAge": 14, "email": null}"#,
        )
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    assert_eq!(patched.body["maxAge"], 14);
    assert!(patched.body["email"].is_null());
    assert_eq!(patched.header("etag"), Some("\"2\""));

    let stale = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM0748"))
        .header("If-Match", "\"1\"")
        .json(&json!({"maxAge": 16}))
        .send()
        .await;
    stale.assert_problem(412);
    assert_eq!(app.get(&uri).await.body["maxAge"], 14);

    let mut replacement = parenting_course(&org);
    replacement["name"] = json!("Cursus Opvoeden met Plezier");
    let replaced = app
        .call(Method::PUT, &uri)
        .token(&admin())
        .header("If-Match", "\"2\"")
        .json(&replacement)
        .send()
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["version"], 3);

    let mut conn = app.state.pool.get().expect("connection");
    let history =
        sociale_kaart::db::changes::history(&mut conn, "provision", &id).expect("history");
    let actions: Vec<&str> = history.iter().map(|c| c.action.as_str()).collect();
    assert_eq!(actions, ["create", "update", "update"]);
    assert_eq!(history[1].actor, "tester");
    assert_eq!(history[1].actor_role, "municipality-editor");
    let fields: Vec<Value> = serde_json::from_str(&history[1].fields).expect("fields");
    let names: Vec<&str> = fields.iter().filter_map(|f| f["field"].as_str()).collect();
    assert_eq!(
        names,
        ["email", "maxAge", "verifiedAt"],
        "an unchanged location keeps its id"
    );
    let max_age = fields
        .iter()
        .find(|f| f["field"] == "maxAge")
        .expect("maxAge");
    assert_eq!(
        (max_age["old"].clone(), max_age["new"].clone()),
        (json!(12), json!(14))
    );
}

#[actix_web::test]
async fn an_editor_cannot_move_a_provision_out_of_reach_of_its_municipality() {
    let app = spawn_app().await;
    let org = app.organisation("CJG").await;
    let created = create(&app, &admin(), &parenting_course(&org)).await;
    let uri = format!(
        "/api/v1/provisions/{}",
        created.body["id"].as_str().expect("id")
    );
    let before = app.counts();
    let reply = app
        .call(Method::PATCH, &uri)
        .token(&editor("GM1674"))
        .json(&json!({"serviceAreas": [{"scope": "municipality", "code": "GM1674"}]}))
        .send()
        .await;
    reply.assert_problem(403);
    assert_eq!(app.counts(), before);
    assert_eq!(app.get(&uri).await.body["version"], 1);
}

#[actix_web::test]
async fn deleted_provisions_disappear_but_keep_their_history() {
    let app = spawn_app().await;
    let org = app.organisation("CJG").await;
    let created = create(&app, &admin(), &parenting_course(&org)).await;
    let id = created.body["id"].as_str().expect("id").to_owned();
    let uri = format!("/api/v1/provisions/{id}");
    app.call(Method::DELETE, &uri)
        .token(&editor("GM0748"))
        .header("If-Match", "\"7\"")
        .send()
        .await
        .assert_problem(412);
    let deleted = app
        .call(Method::DELETE, &uri)
        .token(&editor("GM0748"))
        .send()
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);
    app.get(&uri).await.assert_problem(404);
    let listed = app
        .get(&format!("/api/v1/provisions?organisation={org}"))
        .await;
    assert_eq!(listed.body["total"], 0);
    let mut conn = app.state.pool.get().expect("connection");
    let history =
        sociale_kaart::db::changes::history(&mut conn, "provision", &id).expect("history");
    assert_eq!(history.last().map(|c| c.action.as_str()), Some("delete"));
}

#[actix_web::test]
async fn lists_show_only_provisions_that_serve_the_municipality() {
    let app = spawn_app().await;
    let org = app.organisation("Welzijn").await;
    let mut only_roosendaal = parenting_course(&org);
    only_roosendaal["name"] = json!("Alleen voor Roosendaal");
    only_roosendaal["locations"] = json!([]);
    only_roosendaal["serviceAreas"] = json!([{"scope": "municipality", "code": "GM1674"}]);
    assert_eq!(create(&app, &admin(), &only_roosendaal).await.status, 201);

    let zundert = app
        .get(&format!(
            "/api/v1/provisions?municipality=GM0879&organisation={org}"
        ))
        .await;
    assert_eq!(zundert.body["total"], 0, "{}", zundert.text);
    let roosendaal = app
        .get(&format!(
            "/api/v1/provisions?municipality=GM1674&organisation={org}"
        ))
        .await;
    assert_eq!(roosendaal.body["total"], 1);
    let region = app
        .get(&format!(
            "/api/v1/provisions?region=JZ36&organisation={org}"
        ))
        .await;
    assert_eq!(region.body["total"], 1);
    let elsewhere = app
        .get(&format!(
            "/api/v1/provisions?region=JZ07&organisation={org}"
        ))
        .await;
    assert_eq!(elsewhere.body["total"], 0);

    // National provisions of the demo set serve every municipality.
    let all = app
        .get("/api/v1/provisions?municipality=GM0879&pageSize=100&view=full")
        .await;
    let items = all.body["items"].as_array().expect("items");
    assert!(
        items
            .iter()
            .any(|p| p["serviceAreas"][0]["scope"] == "national")
    );
    assert!(items.iter().all(|p| {
        p["serviceAreas"]
            .as_array()
            .expect("areas")
            .iter()
            .any(|s| {
                s["scope"] == "national"
                    || s["code"] == "GM0879"
                    || s["code"] == "JZ36"
                    || s["code"].as_str().is_some_and(|c| c.starts_with("WK0879"))
            })
    }));
}

#[actix_web::test]
async fn category_filters_include_descendants_and_combine_with_access() {
    let app = spawn_app().await;
    let parent = app
        .get("/api/v1/provisions?municipality=GM0748&category=opvoeden&pageSize=100")
        .await;
    let codes: Vec<&str> = parent.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .flat_map(|p| {
            p["categories"]
                .as_array()
                .expect("c")
                .iter()
                .filter_map(|c| c.as_str())
        })
        .collect();
    assert!(
        codes.contains(&"opvoedondersteuning") && codes.contains(&"jongerenwerk"),
        "{codes:?}"
    );
    assert!(codes.iter().all(|c| {
        [
            "opvoedondersteuning",
            "jgz",
            "jongerenwerk",
            "vroeg-en-voorschools",
            "lotgenoten",
        ]
        .contains(c)
    }));
    let indicated = app
        .get("/api/v1/provisions?municipality=GM0748&access=indicated&pageSize=100")
        .await;
    assert!(indicated.body["total"].as_i64().is_some_and(|n| n > 0));
    assert!(
        indicated.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|p| p["access"] == "indicated")
    );
    let none = app
        .get("/api/v1/provisions?category=specialistisch&access=open")
        .await;
    assert_eq!(none.body["total"], 0);
    let invalid = app
        .get("/api/v1/provisions?category=nope&access=free&status=gone&municipality=GM9999")
        .await;
    invalid.assert_problem(400);
    assert_eq!(
        invalid.invalid_fields(),
        ["category[0]", "municipality", "access", "status"]
    );
}

#[actix_web::test]
async fn the_demo_set_is_synthetic_and_covers_every_open_category_in_the_focus_regions() {
    let app = spawn_app().await;
    for category in [
        "sportvereniging",
        "bibliotheek",
        "schuldhulp",
        "poh-ggz-jeugd",
        "jeugdfonds-sport-cultuur",
        "online-hulp",
    ] {
        for municipality in ["GM0748", "GM0193", "GM0222", "GM0344"] {
            let reply = app
                .get(&format!(
                    "/api/v1/provisions?municipality={municipality}&category={category}"
                ))
                .await;
            assert!(
                reply.body["total"].as_i64().is_some_and(|n| n > 0),
                "{category} in {municipality}"
            );
            assert!(
                reply.body["items"]
                    .as_array()
                    .expect("items")
                    .iter()
                    .all(|p| p["source"] == "synthetic")
            );
        }
    }
    let online = app.get("/api/v1/provisions?category=online-hulp").await;
    assert!(
        online.body["items"][0]["locations"]
            .as_array()
            .is_some_and(Vec::is_empty)
    );
}
