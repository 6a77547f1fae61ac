//! Several instances on one database: a write through one is found by search on the other.

use std::time::{Duration, Instant};

use actix_web::http::Method;
use serde_json::json;

use crate::helpers::{admin, spawn_app};
use sociale_kaart::api::read_model::spawn_poller;

#[actix_web::test]
async fn a_provision_created_on_one_instance_is_found_on_the_other_within_two_seconds() {
    let first = spawn_app().await;
    let second = first.second_instance().await;
    spawn_poller(second.state.clone());
    let org = first.organisation("Twee Instanties").await;
    let created = first
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&json!({
            "organisationId": org, "name": "Gedeelde Inloop", "categories": ["buurthuis"], "access": "open",
            "minAge": 0, "maxAge": 23, "freeOfCharge": true,
            "locations": [{"street": "Markt", "houseNumber": "1", "postcode": "4611 AA", "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870}],
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]
        }))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let written = Instant::now();
    loop {
        let reply = second
            .get("/api/v1/provisions?postcode=4611&q=gedeelde%20inloop")
            .await;
        if reply.body["items"]
            .as_array()
            .is_some_and(|items| items.iter().any(|p| p["id"] == id.as_str()))
        {
            break;
        }
        assert!(
            written.elapsed() < Duration::from_secs(2),
            "not visible on the second instance after 2 s"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn a_contract_write_refreshes_the_contracts_but_not_the_search_index() {
    let app = spawn_app().await;
    let before = app.state.read_model.index().seq;
    let org = app.organisation("Contractant").await;
    let after_organisation = app.state.read_model.index().seq;
    assert!(
        after_organisation > before,
        "an organisation's name is searchable"
    );
    let contract = app
        .call(Method::POST, "/api/v1/contracts")
        .token(&admin())
        .json(&json!({"organisationId": org, "scope": "national", "categories": ["ijw-55"], "validFrom": "2026-01-01"}))
        .send()
        .await;
    assert_eq!(contract.status, 201, "{}", contract.text);
    let refreshed = app
        .state
        .read_model
        .refresh(&app.state.pool, &app.state.reference)
        .await
        .expect("refresh");
    assert!(
        !refreshed.provisions && !refreshed.contracts,
        "the contract write refreshed the contracts before it answered, and only them"
    );
    assert_eq!(app.state.read_model.index().seq, after_organisation);
    assert!(app.state.read_model.contracts().seq > after_organisation);
}
