//! The Open Referral HSDS 3.0 facade: the mapping of the Dutch profile, the filters, the page
//! envelope, proximity search and the NDJSON stream. (Schema conformance of every answer is
//! crawled by `tests/hsds_conformance.py` in CI.)

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, spawn_app};

async fn hsds(app: &TestApp, path: &str) -> crate::helpers::Reply {
    app.get(&format!("/hsds/v3{path}")).await
}

fn ids(page: &Value) -> Vec<String> {
    page["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|c| c["id"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// An organisation with KvK and AGB, and a provision with two locations in Bergen op Zoom.
async fn setup(app: &TestApp) -> (String, String) {
    let org = app
        .call(Method::POST, "/api/v1/organisations")
        .token(&admin())
        .json(&json!({"name": "Zorgvuldig Jeugdhulp", "kvkNumber": "87654321", "agbCode": "12345678"}))
        .send()
        .await;
    assert_eq!(org.status, 201, "{}", org.text);
    let org = org.body["id"].as_str().expect("id").to_owned();
    let provision = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&json!({"organisationId": org, "name": "Opvoedspreekuur Zeldzaamwoord",
            "description": "Vragen over opvoeden", "categories": ["opvoedondersteuning"],
            "access": "open", "minAge": 0, "maxAge": 18, "freeOfCharge": true,
            "languages": ["nl", "tr"], "phone": "0164 123456", "website": "https://zorgvuldig.example.org",
            "openingHours": [{"day": "tuesday", "opens": "09:00", "closes": "12:00"}],
            "locations": [
                {"street": "Kade", "houseNumber": "1", "postcode": "4611 AA", "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870},
                {"street": "Ravelstraat", "houseNumber": "10", "postcode": "4614 XA", "city": "Bergen op Zoom", "lat": 51.5050, "lon": 4.3300}],
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}, {"scope": "area", "code": "WK167401"}]}))
        .send()
        .await;
    assert_eq!(provision.status, 201, "{}", provision.text);
    (org, provision.body["id"].as_str().expect("id").to_owned())
}

#[actix_web::test]
async fn a_provision_is_a_fully_nested_hsds_service() {
    let app = spawn_app().await;
    let (org, id) = setup(&app).await;
    for root in ["", "/"] {
        let r = hsds(&app, root).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(r.body["version"], "3.0");
        assert!(
            r.body["profile"]
                .as_str()
                .expect("profile")
                .ends_with("hsds-profile.md")
        );
    }
    let s = hsds(&app, &format!("/services/{id}")).await;
    assert_eq!(s.status, 200, "{}", s.text);
    let s = &s.body;
    assert_eq!(s["id"], id.as_str());
    assert_eq!(s["organization_id"], org.as_str());
    assert_eq!(s["status"], "active");
    assert_eq!(
        (s["minimum_age"].clone(), s["maximum_age"].clone()),
        (json!(0), json!(18))
    );
    assert_eq!(s["url"], "https://zorgvuldig.example.org");
    assert!(
        s.get("email").is_none(),
        "unknown fields are left out, not null"
    );
    let identifiers: Vec<(&str, &str)> = s["organization"]["organization_identifiers"]
        .as_array()
        .expect("identifiers")
        .iter()
        .map(|i| {
            (
                i["identifier_scheme"].as_str().unwrap_or(""),
                i["identifier"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        identifiers,
        [("NL-KVK", "87654321"), ("NL-AGB", "12345678")]
    );
    let terms: Vec<&str> = s["attributes"]
        .as_array()
        .expect("attributes")
        .iter()
        .map(|a| a["taxonomy_term"]["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(terms, ["opvoedondersteuning", "open"]);
    let codes: Vec<&str> = s["languages"]
        .as_array()
        .expect("languages")
        .iter()
        .map(|l| l["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["nl", "tr"]);
    assert_eq!(s["schedules"][0]["byday"], "TU");
    assert_eq!(s["schedules"][0]["opens_at"], "09:00");
    assert_eq!(s["phones"][0]["number"], "0164 123456");
    assert_eq!(s["cost_options"][0]["amount"], 0);
    let mut areas: Vec<(&str, &str)> = s["service_areas"]
        .as_array()
        .expect("areas")
        .iter()
        .map(|a| {
            (
                a["uri"].as_str().unwrap_or(""),
                a["name"].as_str().unwrap_or(""),
            )
        })
        .collect();
    areas.sort();
    assert_eq!(areas[0], ("urn:cbs:gemeente:GM0748", "Bergen op Zoom"));
    assert_eq!(areas[1].0, "urn:cbs:wijk:WK167401");
    let sal = s["service_at_locations"]
        .as_array()
        .expect("service_at_locations");
    assert_eq!(sal.len(), 2);
    assert_eq!(sal[0]["location"]["addresses"][0]["postal_code"], "4611AA");
    assert_eq!(sal[0]["location"]["addresses"][0]["country"], "NL");

    // The same answers again: derived ids are stable.
    assert_eq!(hsds(&app, &format!("/services/{id}")).await.body, *s);

    let o = hsds(&app, &format!("/organizations/{org}")).await;
    assert_eq!(o.status, 200, "{}", o.text);
    assert_eq!(ids(&json!({"contents": o.body["services"]})), [id.as_str()]);
    let location = sal[1]["id"].as_str().expect("id");
    let one = hsds(&app, &format!("/service_at_locations/{location}")).await;
    assert_eq!(one.status, 200, "{}", one.text);
    assert_eq!(one.body["service"]["id"], id.as_str());
    assert_eq!(
        one.body["location"]["addresses"][0]["address_1"],
        "Ravelstraat 10"
    );

    for path in [
        "/services/not-a-uuid".to_owned(),
        format!("/services/{}", uuid::Uuid::new_v4()),
        format!("/organizations/{}", uuid::Uuid::new_v4()),
        format!("/service_at_locations/{id}"),
        format!("/taxonomy_terms/{}", uuid::Uuid::new_v4()),
    ] {
        hsds(&app, &path).await.assert_problem(404);
    }
    // A deleted provision leaves the facade.
    let deleted = app
        .call(Method::DELETE, &format!("/api/v1/provisions/{id}"))
        .token(&admin())
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    hsds(&app, &format!("/services/{id}"))
        .await
        .assert_problem(404);
    hsds(&app, &format!("/service_at_locations/{location}"))
        .await
        .assert_problem(404);
}

#[actix_web::test]
async fn lists_filter_page_and_stream() {
    let app = spawn_app().await;
    let (org, id) = setup(&app).await;

    let found = hsds(&app, "/services?search=zeldzaamwoord").await;
    assert_eq!(ids(&found.body), [id.as_str()]);
    assert_eq!(
        hsds(&app, &format!("/services?organization_id={org}"))
            .await
            .body["total_items"],
        1
    );
    let future = hsds(&app, "/services?modified_after=2999-01-01T00:00:00Z").await;
    assert_eq!(future.body["total_items"], 0);
    assert_eq!(future.body["empty"], true);

    // A term stands for its category and the ones below it; access is a term too.
    let terms = hsds(
        &app,
        "/taxonomy_terms?search=opvoedondersteuning&per_page=100",
    )
    .await;
    let term = terms.body["contents"]
        .as_array()
        .expect("terms")
        .iter()
        .find(|t| t["code"] == "opvoedondersteuning")
        .expect("term")
        .clone();
    let parent = term["parent_id"].as_str().expect("parent");
    for (term_id, expect) in [(term["id"].as_str().expect("id"), true), (parent, true)] {
        let page = hsds(
            &app,
            &format!("/services?taxonomy_term_id={term_id}&per_page=100&search=zeldzaamwoord"),
        )
        .await;
        assert_eq!(ids(&page.body).contains(&id), expect, "{term_id}");
    }
    let access = hsds(
        &app,
        &format!(
            "/taxonomy_terms?taxonomy_id={}",
            term["taxonomy_id"].as_str().expect("taxonomy")
        ),
    )
    .await;
    assert!(access.body["total_items"].as_i64().expect("total") > 2);
    let taxonomies = hsds(&app, "/taxonomies").await;
    assert_eq!(taxonomies.body["total_items"], 2);
    let access_taxonomy = taxonomies.body["contents"][1]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let access_terms = hsds(
        &app,
        &format!("/taxonomy_terms?taxonomy_id={access_taxonomy}"),
    )
    .await;
    let indicated = access_terms.body["contents"]
        .as_array()
        .expect("terms")
        .iter()
        .find(|t| t["code"] == "indicated")
        .expect("indicated")["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let only_indicated = hsds(
        &app,
        &format!("/services?taxonomy_term_id={indicated}&search=zeldzaamwoord"),
    )
    .await;
    assert_eq!(only_indicated.body["total_items"], 0);
    assert_eq!(
        hsds(&app, &format!("/taxonomies/{access_taxonomy}"))
            .await
            .body["name"],
        "sociale-kaart toegang"
    );

    // The page envelope.
    let all = hsds(&app, "/services?per_page=7").await.body;
    let total = all["total_items"].as_i64().expect("total");
    let pages = (total + 6) / 7;
    assert_eq!(all["total_pages"], pages);
    assert_eq!(
        (
            all["first_page"].clone(),
            all["last_page"].clone(),
            all["size"].clone()
        ),
        (json!(true), json!(false), json!(7))
    );
    let last = hsds(&app, &format!("/services?per_page=7&page={pages}"))
        .await
        .body;
    assert_eq!(last["last_page"], true);
    assert_eq!(last["size"], total - 7 * (pages - 1));

    // Proximity: within 2 km of postcode 4611's centre, nearest first.
    let near = hsds(
        &app,
        "/service_at_locations?postcode=4611&proximity=2000&per_page=100",
    )
    .await;
    assert_eq!(near.status, 200, "{}", near.text);
    let services: Vec<&str> = near.body["contents"]
        .as_array()
        .expect("contents")
        .iter()
        .map(|c| c["service_id"].as_str().unwrap_or(""))
        .collect();
    assert!(services.contains(&id.as_str()));
    let far = hsds(&app, "/service_at_locations?postcode=0123&proximity=2000").await;
    far.assert_problem(400);
    let none = hsds(
        &app,
        "/service_at_locations?postcode=1011&proximity=500&search=zeldzaamwoord",
    )
    .await;
    assert_eq!(
        none.body["total_items"], 0,
        "Amsterdam is far from Bergen op Zoom"
    );

    // NDJSON: every matching service, one per line.
    let stream = hsds(
        &app,
        &format!("/services?format=ndjson&organization_id={org}"),
    )
    .await;
    assert_eq!(stream.status, 200);
    assert!(
        stream
            .header("content-type")
            .expect("type")
            .starts_with("application/x-ndjson")
    );
    let lines: Vec<Value> = stream
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["id"], id.as_str());
    assert_eq!(
        lines[0]["service_at_locations"].as_array().map(Vec::len),
        Some(2)
    );
    let everything = hsds(&app, "/services?format=ndjson").await;
    assert_eq!(
        everything.text.lines().count() as i64,
        total,
        "every service, in batches"
    );

    for bad in [
        "/services?per_page=0",
        "/services?per_page=101",
        "/services?page=0",
        "/services?format=xml",
        "/services?organization_id=nope",
        "/services?taxonomy_term_id=00000000-0000-0000-0000-000000000000",
        "/services?modified_after=yesterday",
        "/service_at_locations?proximity=500",
        "/service_at_locations?postcode=4611&proximity=far",
    ] {
        hsds(&app, bad).await.assert_problem(400);
    }
}

/// Every page of an HSDS list, one after the other.
async fn every_page(app: &TestApp, path: &str) -> Vec<Value> {
    let mut all = Vec::new();
    for page in 1.. {
        let sep = if path.contains('?') { '&' } else { '?' };
        let reply = hsds(app, &format!("{path}{sep}per_page=100&page={page}")).await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        all.extend(reply.body["contents"].as_array().expect("contents").clone());
        if reply.body["last_page"] == true {
            assert_eq!(reply.body["total_items"].as_u64(), Some(all.len() as u64));
            break;
        }
    }
    all
}

#[actix_web::test]
async fn service_at_locations_list_every_location_once_and_proximity_equals_brute_force() {
    use sociale_kaart::domain::location::NlPoint;
    let app = spawn_app().await;
    // Without an origin: every location once, across pages.
    let all = every_page(&app, "/service_at_locations").await;
    assert_eq!(all.len() as i64, app.count("provision_locations"));
    let mut seen: Vec<&str> = all.iter().map(|c| c["id"].as_str().expect("id")).collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), all.len(), "no location twice");

    // With an origin: exactly the locations within the distance, nearest first.
    let pc = &app.state.reference.postcodes["4611"];
    let centre = NlPoint::new(pc.lat, pc.lon).expect("centre");
    let distance = |c: &Value| {
        let l = &c["location"];
        let to = NlPoint::new(
            l["latitude"].as_f64().expect("lat"),
            l["longitude"].as_f64().expect("lon"),
        )
        .expect("point");
        centre.distance_m(to)
    };
    for proximity in [300.0, 2_000.0, 8_000.0, 40_000.0] {
        let mut expected: Vec<&str> = all
            .iter()
            .filter(|c| distance(c) <= proximity)
            .map(|c| c["id"].as_str().expect("id"))
            .collect();
        let near = every_page(
            &app,
            &format!("/service_at_locations?postcode=4611&proximity={proximity}"),
        )
        .await;
        let distances: Vec<f64> = near.iter().map(distance).collect();
        assert!(distances.windows(2).all(|w| w[0] <= w[1]), "nearest first");
        let mut got: Vec<&str> = near.iter().map(|c| c["id"].as_str().expect("id")).collect();
        expected.sort_unstable();
        got.sort_unstable();
        assert_eq!(got, expected, "within {proximity} m");
        assert!(!got.is_empty() || proximity < 1_000.0);
    }
}
