//! The change history of provisions, organisations and contracts, and who may see who.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, editor, spawn_app};

async fn history(app: &TestApp, path: &str, token: Option<&str>) -> crate::helpers::Reply {
    let mut call = app.call(Method::GET, path);
    if let Some(t) = token {
        call = call.token(t);
    }
    call.send().await
}

fn subjects(reply: &crate::helpers::Reply) -> Vec<Value> {
    reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["actor"].get("subject").cloned().unwrap_or(Value::Null))
        .collect()
}

#[actix_web::test]
async fn history_lists_every_change_and_shows_who_only_to_admins_and_editors_in_scope() {
    let app = spawn_app().await;
    let org = app.organisation("Historie").await;
    let created = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&editor("GM0748"))
        .json(
            &json!({"organisationId": org, "name": "Inloop De Kade", "categories": ["buurthuis"],
            "access": "open", "minAge": 0, "maxAge": 23, "freeOfCharge": true,
            "locations": [{"street": "Kade", "houseNumber": "1", "postcode": "4611 AA",
                "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870}],
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]}),
        )
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let path = format!("/api/v1/provisions/{id}");
    let patched = app
        .call(Method::PATCH, &path)
        .token(&editor("GM0748"))
        .header("If-Match", created.header("etag").expect("etag"))
        .raw(
            "application/merge-patch+json",
            json!({"name": "Inloop Het Kadehuis"}).to_string(),
        )
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);

    let public = history(&app, &format!("{path}/history"), None).await;
    assert_eq!(public.status, 200, "{}", public.text);
    assert_eq!(public.body["total"], 2);
    let items = public.body["items"].as_array().expect("items");
    assert_eq!(items[0]["action"], "create");
    assert_eq!(items[1]["action"], "update");
    assert_eq!(items[1]["actor"]["role"], "municipality-editor");
    let fields = items[1]["changes"].as_array().expect("changes");
    assert!(
        fields.contains(
            &json!({"field": "name", "old": "Inloop De Kade", "new": "Inloop Het Kadehuis"})
        ),
        "{fields:?}"
    );
    assert!(
        fields
            .iter()
            .all(|f| f["field"] == "name" || f["field"] == "verifiedAt"),
        "only what changed (an edit also marks the provision verified): {fields:?}"
    );
    assert!(items[0]["seq"].as_i64() < items[1]["seq"].as_i64());
    assert_eq!(
        subjects(&public),
        [Value::Null, Value::Null],
        "no subject for the public"
    );

    let who = json!("tester");
    for (token, expected) in [
        (admin(), vec![who.clone(), who.clone()]),
        (editor("GM0748"), vec![who.clone(), who.clone()]),
        (editor("GM1674"), vec![Value::Null, Value::Null]),
    ] {
        let reply = history(&app, &format!("{path}/history"), Some(&token)).await;
        assert_eq!(reply.status, 200);
        assert_eq!(subjects(&reply), expected);
    }
    history(&app, &format!("{path}/history"), Some("not-a-token"))
        .await
        .assert_problem(401);
    let page = history(&app, &format!("{path}/history?pageSize=1&page=2"), None).await;
    assert_eq!(page.body["items"][0]["action"], "update");

    let unknown = uuid::Uuid::new_v4();
    for kind in ["provisions", "organisations", "contracts"] {
        history(&app, &format!("/api/v1/{kind}/{unknown}/history"), None)
            .await
            .assert_problem(404);
        history(&app, &format!("/api/v1/{kind}/nope/history"), None)
            .await
            .assert_problem(404);
    }
    let org_history = history(
        &app,
        &format!("/api/v1/organisations/{org}/history"),
        Some(&admin()),
    )
    .await;
    assert_eq!(org_history.body["items"][0]["action"], "create");
    assert_eq!(org_history.body["items"][0]["actor"]["role"], "admin");

    let contract = app
        .call(Method::POST, "/api/v1/contracts")
        .token(&admin())
        .json(
            &json!({"organisationId": org, "scope": "municipality", "scopeCode": "GM0748",
            "categories": ["ijw-45"], "validFrom": "2026-01-01"}),
        )
        .send()
        .await;
    assert_eq!(contract.status, 201, "{}", contract.text);
    let cid = contract.body["id"].as_str().expect("id");
    let deleted = app
        .call(Method::DELETE, &format!("/api/v1/contracts/{cid}"))
        .token(&admin())
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    let contract_history = history(
        &app,
        &format!("/api/v1/contracts/{cid}/history"),
        Some(&editor("GM0748")),
    )
    .await;
    let actions: Vec<&str> = contract_history.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|e| e["action"].as_str().expect("action"))
        .collect();
    assert_eq!(
        actions,
        ["create", "delete"],
        "a deleted contract keeps its history"
    );
    assert_eq!(
        subjects(&contract_history),
        [Value::Null, Value::Null],
        "who changed a deleted resource: admins only"
    );
}
