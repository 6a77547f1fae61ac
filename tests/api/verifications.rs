//! Freshness: editors mark provisions as checked, and list what has not been checked for a
//! while, oldest first.

use actix_web::http::Method;
use diesel::RunQueryDsl;
use serde_json::{Value, json};
use sociale_kaart::domain::access::Role;

use crate::helpers::{TestApp, admin, editor, region_admin, spawn_app, token};

async fn provision(
    app: &TestApp,
    org: &str,
    name: &str,
    located_in_roosendaal: bool,
    serving: Value,
) -> String {
    let (postcode, city, lat, lon) = if located_in_roosendaal {
        ("4701 AA", "Roosendaal", 51.5310, 4.4650)
    } else {
        ("4611 AA", "Bergen op Zoom", 51.4950, 4.2870)
    };
    let reply = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(
            &json!({"organisationId": org, "name": name, "categories": ["buurthuis"],
            "access": "open", "minAge": 0, "maxAge": 23, "freeOfCharge": true,
            "locations": [{"street": "Markt", "houseNumber": "1", "postcode": postcode,
                "city": city, "lat": lat, "lon": lon}],
            "serviceAreas": serving}),
        )
        .send()
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

/// Sets when a provision was last verified, `days` ago (`None`: never).
fn verified_days_ago(app: &TestApp, id: &str, days: Option<i64>) {
    let at = days.map(|d| {
        (chrono::Utc::now() - chrono::Duration::days(d))
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    });
    let sql = match at {
        Some(at) => format!("UPDATE provisions SET verified_at = '{at}' WHERE id = '{id}'"),
        None => format!("UPDATE provisions SET verified_at = NULL WHERE id = '{id}'"),
    };
    let mut conn = app.state.pool.get().expect("connection");
    diesel::sql_query(sql).execute(&mut conn).expect("update");
}

async fn stale(app: &TestApp, query: &str, token: Option<&str>) -> crate::helpers::Reply {
    let mut call = app.call(Method::GET, &format!("/api/v1/reports/stale?{query}"));
    if let Some(t) = token {
        call = call.token(t);
    }
    call.send().await
}

fn names(reply: &crate::helpers::Reply) -> Vec<String> {
    crate::helpers::names(&reply.body["items"])
}

#[actix_web::test]
async fn editors_list_what_was_not_checked_for_a_while_and_verify_it() {
    let app = spawn_app().await;
    let org = app.organisation("Vers Welzijn").await;
    let bergen = json!([{"scope": "municipality", "code": "GM0748"}]);
    let old = provision(&app, &org, "Oud buurthuis", false, bergen.clone()).await;
    let never = provision(&app, &org, "Nooit gecontroleerd", false, bergen.clone()).await;
    let half = provision(&app, &org, "Half jaar", false, bergen.clone()).await;
    let by_wijk = provision(
        &app,
        &org,
        "Vanuit Roosendaal voor een wijk",
        true,
        json!([{"scope": "area", "code": "WK074801"}]),
    )
    .await;
    let elsewhere = provision(
        &app,
        &org,
        "Alleen Roosendaal",
        true,
        json!([{"scope": "municipality", "code": "GM1674"}]),
    )
    .await;
    let gone = provision(&app, &org, "Verwijderd", false, bergen.clone()).await;
    for (id, days) in [
        (&old, Some(400)),
        (&never, None),
        (&half, Some(200)),
        (&by_wijk, Some(150)),
        (&elsewhere, Some(900)),
        (&gone, Some(900)),
    ] {
        verified_days_ago(&app, id, days);
    }
    let deleted = app
        .call(Method::DELETE, &format!("/api/v1/provisions/{gone}"))
        .token(&admin())
        .send()
        .await;
    assert_eq!(deleted.status, 204, "{}", deleted.text);

    let ed = editor("GM0748");
    let list = stale(&app, "municipality=GM0748&olderThanDays=100", Some(&ed)).await;
    assert_eq!(list.status, 200, "{}", list.text);
    assert_eq!(
        names(&list),
        [
            "Nooit gecontroleerd",
            "Oud buurthuis",
            "Half jaar",
            "Vanuit Roosendaal voor een wijk"
        ]
    );
    assert_eq!(list.body["total"], 4);
    assert_eq!(list.body["items"][0]["verifiedAt"], Value::Null);
    assert_eq!(list.body["items"][0]["daysSinceVerified"], Value::Null);
    assert_eq!(list.body["items"][1]["daysSinceVerified"], 400);
    assert_eq!(list.body["items"][1]["organisationName"], "Vers Welzijn");
    assert_eq!(
        names(&stale(&app, "municipality=GM0748&olderThanDays=300", Some(&ed)).await),
        ["Nooit gecontroleerd", "Oud buurthuis"]
    );
    let paged = stale(
        &app,
        "municipality=GM0748&olderThanDays=100&pageSize=3&page=2",
        Some(&ed),
    )
    .await;
    assert_eq!(names(&paged), ["Vanuit Roosendaal voor een wijk"]);
    assert!(paged.body["_links"]["prev"]["href"].as_str().is_some());

    // Verifying: the same roles and scope as a change; a refusal changes nothing.
    let path = format!("/api/v1/provisions/{old}/verifications");
    let before = app.counts();
    for (tok, status) in [
        (Some(editor("GM1674")), 403),
        (Some(token(Role::Professional, &["GM0748"])), 403),
        (Some(region_admin(&["JZ36"])), 403),
        (None, 401),
    ] {
        let mut call = app.call(Method::POST, &path);
        if let Some(t) = &tok {
            call = call.token(t);
        }
        call.send().await.assert_problem(status);
    }
    let current = app.get(&format!("/api/v1/provisions/{old}")).await;
    app.call(Method::POST, &path)
        .token(&ed)
        .header("If-Match", "\"999\"")
        .send()
        .await
        .assert_problem(412);
    app.call(
        Method::POST,
        &format!("/api/v1/provisions/{}/verifications", uuid::Uuid::new_v4()),
    )
    .token(&ed)
    .send()
    .await
    .assert_problem(404);
    assert_eq!(
        app.counts(),
        before,
        "refused verifications changed nothing"
    );
    assert_eq!(
        app.get(&format!("/api/v1/provisions/{old}")).await.body,
        current.body
    );

    let verified = app
        .call(Method::POST, &path)
        .token(&ed)
        .header("If-Match", current.header("etag").expect("etag"))
        .send()
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text);
    let at = chrono::DateTime::parse_from_rfc3339(
        verified.body["verifiedAt"].as_str().expect("verifiedAt"),
    )
    .expect("time");
    assert!((chrono::Utc::now() - at.with_timezone(&chrono::Utc)).num_seconds() < 60);
    assert_eq!(
        verified.body["version"],
        current.body["version"].as_i64().expect("version") + 1
    );
    assert_eq!(
        verified.body["name"], "Oud buurthuis",
        "nothing else changes"
    );
    assert_eq!(
        names(&stale(&app, "municipality=GM0748&olderThanDays=300", Some(&ed)).await),
        ["Nooit gecontroleerd"]
    );
    let history = app.get(&format!("/api/v1/provisions/{old}/history")).await;
    let last = history.body["items"]
        .as_array()
        .expect("items")
        .last()
        .cloned()
        .expect("a change");
    assert_eq!(last["action"], "verify");
    // Search shows the new date at once.
    let found = app
        .get("/api/v1/provisions?q=Oud%20buurthuis&postcode=4611")
        .await;
    let hit = found.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|i| i["id"] == old.as_str())
        .cloned()
        .expect("found");
    assert_eq!(hit["verifiedAt"], verified.body["verifiedAt"]);

    // Who may read the list, and bad input.
    for (query, tok, status) in [
        ("municipality=GM0748", Some(region_admin(&["JZ36"])), 200),
        ("municipality=GM0748", Some(admin()), 200),
        ("municipality=GM0748", Some(editor("GM1674")), 403),
        ("municipality=GM0748", Some(region_admin(&["JZ07"])), 403),
        (
            "municipality=GM0748",
            Some(token(Role::Professional, &["GM0748"])),
            403,
        ),
        ("municipality=GM0748", None, 401),
        ("municipality=GM9999", Some(admin()), 400),
        ("municipality=GM0748&olderThanDays=-1", Some(admin()), 400),
        ("municipality=GM0748&pageSize=500", Some(admin()), 400),
        ("olderThanDays=10", Some(admin()), 400),
    ] {
        let reply = stale(&app, query, tok.as_deref()).await;
        assert_eq!(reply.status, status, "{query}: {}", reply.text);
    }
}
