//! Search compared with a brute-force computation over the same data, and its edge cases.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, spawn_app};
use sociale_kaart::api::read_model;
use sociale_kaart::db::registry::{ProvisionRecord, all_provisions};
use sociale_kaart::domain::location::NlPoint;
use sociale_kaart::domain::text::fold;
use sociale_kaart::index::ProvisionIndex;
use sociale_kaart::index::provisions::{Hit, Reach, Resident, SearchQuery};

pub struct Expect<'a> {
    pub origin: (f64, f64),
    pub radius: f64,
    pub municipality: &'a str,
    pub region: &'a str,
    pub area: Option<&'a str>,
    pub categories: Option<Vec<String>>,
    pub age: Option<i32>,
    pub access: Option<&'a str>,
}

/// The search, computed the slow and obvious way.
pub fn brute_force(records: &[ProvisionRecord], x: &Expect<'_>) -> Vec<(String, Option<i64>)> {
    let origin = NlPoint::new(x.origin.0, x.origin.1).expect("origin");
    let mut located = Vec::new();
    let mut unlocated = Vec::new();
    for r in records {
        let covers = r.service_areas.iter().any(|s| match s.scope.as_str() {
            "national" => true,
            "region" => s.code == x.region,
            "municipality" => s.code == x.municipality,
            _ => x.area == Some(s.code.as_str()),
        });
        let matches = r.row.status == "active"
            && covers
            && x.categories
                .as_ref()
                .is_none_or(|cs| r.categories.iter().any(|c| cs.contains(c)))
            && x.age
                .is_none_or(|a| r.row.min_age <= a && a <= r.row.max_age)
            && x.access.is_none_or(|a| r.row.access == a);
        if !matches {
            continue;
        }
        let key = (fold(&r.row.name), r.row.id.clone());
        if r.locations.is_empty() {
            unlocated.push((key, None));
        } else {
            let d = r
                .locations
                .iter()
                .map(|l| origin.distance_m(NlPoint::new(l.lat, l.lon).expect("in NL")))
                .fold(f64::INFINITY, f64::min);
            if d <= x.radius {
                located.push((key, Some(d)));
            }
        }
    }
    located.sort_by(|a, b| {
        a.1.partial_cmp(&b.1)
            .expect("finite")
            .then_with(|| a.0.cmp(&b.0))
    });
    unlocated.sort_by(|a, b| a.0.cmp(&b.0));
    located
        .into_iter()
        .chain(unlocated)
        .map(|((_, id), d)| (id, d.map(|d: f64| d.round() as i64)))
        .collect()
}

async fn all_hits(app: &TestApp, query: &str) -> Vec<(String, Option<i64>)> {
    let mut out = Vec::new();
    for page in 1.. {
        let reply = app
            .get(&format!(
                "/api/v1/provisions?{query}&pageSize=100&page={page}"
            ))
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        let items = reply.body["items"].as_array().expect("items").clone();
        out.extend(items.iter().map(|p| {
            (
                p["id"].as_str().expect("id").to_owned(),
                p["distanceM"].as_f64().map(|d| d.round() as i64),
            )
        }));
        if items.len() < 100 {
            break;
        }
    }
    out
}

pub fn records(app: &TestApp) -> Vec<ProvisionRecord> {
    let mut conn = app.state.pool.get().expect("connection");
    all_provisions(&mut conn).expect("provisions")
}

#[actix_web::test]
async fn search_around_a_postcode_equals_a_brute_force_search() {
    let app = spawn_app().await;
    let records = records(&app);
    let pc = app
        .state
        .reference
        .postcodes
        .get("4611")
        .expect("4611")
        .clone();
    let area = pc.area_code.clone();
    let expand = |c: &str| app.state.reference.category_with_descendants(c).to_vec();
    for (query, categories, radius, age, access) in [
        ("postcode=4611", None, 10_000.0, None, None),
        ("postcode=4611&radius=25000", None, 25_000.0, None, None),
        (
            "postcode=4611&category=opvoeden",
            Some(expand("opvoeden")),
            10_000.0,
            None,
            None,
        ),
        (
            "postcode=4611&category=sportvereniging&category=bibliotheek",
            Some([expand("sportvereniging"), expand("bibliotheek")].concat()),
            5_000.0,
            None,
            None,
        ),
        (
            "postcode=4611&radius=40000&age=3",
            None,
            40_000.0,
            Some(3),
            None,
        ),
        (
            "postcode=4611&radius=60000&access=indicated",
            None,
            60_000.0,
            None,
            Some("indicated"),
        ),
    ] {
        let expected = brute_force(
            &records,
            &Expect {
                origin: (pc.lat, pc.lon),
                radius,
                municipality: "GM0748",
                region: "JZ36",
                area: area.as_deref(),
                categories,
                age,
                access,
            },
        );
        assert!(!expected.is_empty(), "{query} should find something");
        assert_eq!(all_hits(&app, query).await, expected, "{query}");
    }
}

#[actix_web::test]
async fn a_provision_for_roosendaal_is_never_offered_to_a_family_in_zundert() {
    let app = spawn_app().await;
    let org = app.organisation("Welzijn Roosendaal").await;
    // Located in Zundert itself, but only for residents of Roosendaal.
    let body = json!({
        "organisationId": org, "name": "Alleen Roosendalers", "categories": ["maatschappelijk-werk"], "access": "open",
        "minAge": 0, "maxAge": 23, "freeOfCharge": true,
        "locations": [{"street": "Markt", "houseNumber": "1", "postcode": "4881 AA", "city": "Zundert", "lat": 51.4715, "lon": 4.6559}],
        "serviceAreas": [{"scope": "municipality", "code": "GM1674"}]
    });
    let created = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&body)
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let zundert = all_hits(&app, "lat=51.4715&lon=4.6559&category=maatschappelijk-werk").await;
    assert!(zundert.iter().all(|(i, _)| *i != id), "offered to Zundert");
    let roosendaler_in_zundert = all_hits(
        &app,
        "lat=51.4715&lon=4.6559&municipality=GM1674&category=maatschappelijk-werk",
    )
    .await;
    assert_eq!(
        roosendaler_in_zundert.first().map(|h| h.0.clone()),
        Some(id),
        "nearest for a resident of Roosendaal"
    );
}

async fn provision(app: &TestApp, name: &str, extra: Value) -> String {
    let org = app.organisation("Test").await;
    let mut body = json!({
        "organisationId": org, "name": name, "categories": ["buurthuis"], "access": "open",
        "minAge": 4, "maxAge": 12, "freeOfCharge": true,
        "locations": [{"street": "Kerkstraat", "houseNumber": "1", "postcode": "4611 AA", "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870}],
        "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]
    });
    for (k, v) in extra.as_object().expect("object") {
        body[k] = v.clone();
    }
    let created = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&body)
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_str().expect("id").to_owned()
}

async fn found(app: &TestApp, query: &str, id: &str) -> bool {
    all_hits(app, query).await.iter().any(|(i, _)| i == id)
}

#[actix_web::test]
async fn every_shape_of_service_area_serves_exactly_its_residents() {
    // A family at postcode 4611: wijk WK074800 of Bergen op Zoom (GM0748), region JZ36. Each
    // provision is located there; only its service area decides.
    let app = spawn_app().await;
    let mut expected = Vec::new();
    let mut names = Vec::new();
    for (name, areas, served) in [
        (
            "Wijk 00",
            json!([{"scope": "area", "code": "WK074800"}]),
            true,
        ),
        (
            "Wijk 03",
            json!([{"scope": "area", "code": "WK074803"}]),
            false,
        ),
        (
            "Regio JZ36",
            json!([{"scope": "region", "code": "JZ36"}]),
            true,
        ),
        (
            "Regio JZ07",
            json!([{"scope": "region", "code": "JZ07"}]),
            false,
        ),
        (
            "Gemeente",
            json!([{"scope": "municipality", "code": "GM0748"}]),
            true,
        ),
        (
            "Gemeente Zundert",
            json!([{"scope": "municipality", "code": "GM0879"}]),
            false,
        ),
        ("Landelijk", json!([{"scope": "national"}]), true),
        (
            "Lijst met eigen gemeente",
            json!([{"scope": "municipality", "code": "GM0879"}, {"scope": "municipality", "code": "GM0748"}]),
            true,
        ),
        (
            "Lijst met eigen wijk",
            json!([{"scope": "area", "code": "WK087900"}, {"scope": "area", "code": "WK074800"}]),
            true,
        ),
        (
            "Lijst zonder eigen plek",
            json!([{"scope": "area", "code": "WK074803"}, {"scope": "region", "code": "JZ07"}]),
            false,
        ),
    ] {
        let id = provision(
            &app,
            &format!("Vormtoets {name}"),
            json!({"serviceAreas": areas}),
        )
        .await;
        if served {
            expected.push(id.clone());
        }
        names.push((id, name));
    }
    expected.sort();
    for query in [
        "postcode=4611&q=vormtoets",
        "postcode=4611&category=buurthuis&age=5",
    ] {
        let mut hits: Vec<String> = all_hits(&app, query)
            .await
            .into_iter()
            .map(|(id, _)| id)
            .filter(|id| names.iter().any(|(n, _)| n == id))
            .collect();
        hits.sort();
        let name = |ids: &[String]| -> Vec<&str> {
            ids.iter()
                .filter_map(|id| names.iter().find(|(n, _)| n == id).map(|(_, x)| *x))
                .collect()
        };
        assert_eq!(name(&hits), name(&expected), "{query}");
    }
}

#[actix_web::test]
async fn age_bounds_are_inclusive() {
    let app = spawn_app().await;
    let id = provision(&app, "Kinderclub", json!({})).await;
    for (age, expected) in [(3, false), (4, true), (12, true), (13, false)] {
        assert_eq!(
            found(&app, &format!("postcode=4611&age={age}"), &id).await,
            expected,
            "age {age}"
        );
    }
    let invalid = app
        .get("/api/v1/provisions?age=28&radius=0&postcode=4611")
        .await;
    invalid.assert_problem(400);
    assert_eq!(invalid.invalid_fields(), ["age", "radius"]);
}

#[actix_web::test]
async fn opening_hours_include_the_opening_minute_and_exclude_the_closing_one() {
    let app = spawn_app().await;
    let id = provision(
        &app,
        "Avondinloop",
        json!({"openingHours": [{"day": "monday", "opens": "19:00", "closes": "24:00"}, {"day": "tuesday", "opens": "00:00", "closes": "01:00"}]}),
    )
    .await;
    // 2026-11-23 is a Monday; Dutch winter time is UTC+1.
    for (at, expected) in [
        ("2026-11-23T18:59:00%2B01:00", false),
        ("2026-11-23T19:00:00%2B01:00", true),
        ("2026-11-23T23:59:00%2B01:00", true),
        ("2026-11-24T00:00:00%2B01:00", true),
        ("2026-11-24T00:59:00%2B01:00", true),
        ("2026-11-24T01:00:00%2B01:00", false),
        ("2026-11-23T18:30:00Z", true),
        ("2026-11-25T20:00:00%2B01:00", false),
    ] {
        assert_eq!(
            found(&app, &format!("postcode=4611&openAt={at}"), &id).await,
            expected,
            "{at}"
        );
    }
}

#[actix_web::test]
async fn text_search_folds_accents_matches_plurals_and_prefixes() {
    let app = spawn_app().await;
    let cafe = provision(&app, "Café de Jeugd", json!({})).await;
    let library = provision(
        &app,
        "Bibliotheek aan Zee",
        json!({"categories": ["bibliotheek"]}),
    )
    .await;
    assert!(found(&app, "q=cafe", &cafe).await);
    assert!(found(&app, "q=CAF%C3%89%20jeugd", &cafe).await);
    assert!(
        !found(&app, "q=cafe%20bibliotheek", &cafe).await,
        "all words must match"
    );
    assert!(found(&app, "q=bibliotheken", &library).await);
    assert!(found(&app, "q=biblio", &library).await);
    let parenting = all_hits(&app, "q=opvoe&municipality=GM0748").await;
    assert!(
        !parenting.is_empty(),
        "type-ahead finds Opvoedondersteuning"
    );
}

#[actix_web::test]
async fn provisions_without_a_location_come_last_without_a_distance() {
    let app = spawn_app().await;
    let hits = all_hits(&app, "postcode=4611&radius=3000").await;
    let first_unlocated = hits
        .iter()
        .position(|h| h.1.is_none())
        .expect("national online help");
    assert!(first_unlocated > 0);
    assert!(hits[first_unlocated..].iter().all(|h| h.1.is_none()));
    assert!(hits[..first_unlocated].windows(2).all(|w| w[0].1 <= w[1].1));
    let reply = app
        .get("/api/v1/provisions?postcode=4611&radius=3000")
        .await;
    assert_eq!(reply.body["place"]["municipality"]["code"], "GM0748");
    assert_eq!(reply.body["radiusM"], 3000.0);
}

#[actix_web::test]
async fn a_new_provision_is_found_at_once_and_a_deleted_one_no_longer() {
    let app = spawn_app().await;
    let id = provision(&app, "Nieuw Buurthuis", json!({})).await;
    assert!(found(&app, "q=nieuw%20buurthuis", &id).await);
    let gone = app
        .call(Method::DELETE, &format!("/api/v1/provisions/{id}"))
        .token(&admin())
        .send()
        .await;
    assert_eq!(gone.status, 204);
    assert!(!found(&app, "q=nieuw%20buurthuis", &id).await);
}

#[actix_web::test]
async fn search_refuses_conflicting_or_invalid_origins() {
    let app = spawn_app().await;
    for (query, field) in [
        ("postcode=4611&lat=51.5&lon=4.3", "postcode"),
        ("lat=51.5", "lat"),
        ("postcode=1002", "postcode"),
        ("area=WK999999", "area"),
        ("radius=500", "radius"),
        ("language=NL", "language"),
        ("openAt=2026-11-23T19:00:00Z&openNow=true", "openNow"),
    ] {
        let reply = app.get(&format!("/api/v1/provisions?{query}")).await;
        reply.assert_problem(400);
        assert_eq!(reply.invalid_fields(), [field], "{query}");
    }
}

/// The provision as a search hit, without the distance.
async fn as_hit(app: &TestApp, query: &str, id: &str) -> Value {
    let reply = app.get(&format!("/api/v1/provisions?{query}")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let mut hit = reply.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|h| h["id"] == id)
        .cloned()
        .expect("found");
    hit.as_object_mut().expect("object").remove("distanceM");
    hit
}

#[actix_web::test]
async fn search_serves_what_get_serves_after_every_write_and_for_unrendered_rows() {
    let app = spawn_app().await;
    let id = provision(&app, "Speeltuin De Wip", json!({})).await;
    let get = app.get(&format!("/api/v1/provisions/{id}")).await;
    assert_eq!(as_hit(&app, "postcode=4611&view=full", &id).await, get.body);
    assert_eq!(
        as_hit(&app, "postcode=4611", &id).await,
        summary_of(&get.body),
        "a summary by default"
    );

    let patched = app
        .call(Method::PATCH, &format!("/api/v1/provisions/{id}"))
        .token(&admin())
        .header("If-Match", get.header("etag").expect("etag"))
        .raw(
            "application/merge-patch+json",
            json!({"name": "Speeltuin De Wipwap", "minAge": 2}).to_string(),
        )
        .send()
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let hit = as_hit(&app, "postcode=4611&view=full", &id).await;
    assert_eq!(hit["name"], "Speeltuin De Wipwap");
    assert_eq!(hit, patched.body);
    assert_eq!(
        as_hit(&app, "postcode=4611&view=summary", &id).await,
        summary_of(&patched.body)
    );

    // A row written without its document (the generator, an older version) is rendered by the
    // index build, identically; and stored by the next start.
    let mut conn = app.state.pool.get().expect("connection");
    sociale_kaart::db::registry::set_document(&mut conn, &id, None).expect("clear");
    let index = read_model::load(&mut conn, &app.state.reference).expect("index");
    let hits = index.search(&SearchQuery {
        text: Some("wipwap".into()),
        ..Default::default()
    });
    assert_eq!(hits.len(), 1);
    let rendered: Value =
        serde_json::from_str(&index.json(hits[0].entry).expect("details")).expect("json");
    assert_eq!(rendered, patched.body);
    assert_eq!(
        read_model::store_missing_documents(&mut conn).expect("store"),
        1
    );
    assert_eq!(
        read_model::store_missing_documents(&mut conn).expect("store"),
        0
    );
}

/// The members of a `ProvisionSummary`, as the OpenAPI document lists them.
const SUMMARY_MEMBERS: [&str; 17] = [
    "id",
    "organisationId",
    "name",
    "categories",
    "access",
    "status",
    "minAge",
    "maxAge",
    "freeOfCharge",
    "languages",
    "website",
    "email",
    "phone",
    "locations",
    "verifiedAt",
    "source",
    "_links",
];

/// A provision's summary members.
fn summary_of(provision: &Value) -> Value {
    let all = provision.as_object().expect("object");
    Value::Object(
        SUMMARY_MEMBERS
            .iter()
            .map(|m| ((*m).to_owned(), all.get(*m).cloned().expect(m)))
            .collect(),
    )
}

#[actix_web::test]
async fn every_summary_is_the_provision_cut_at_its_summary_members() {
    let app = spawn_app().await;
    // Quotes, a backslash and the word "description" in a name and a location must not cut it.
    provision(
        &app,
        r#"Het "description": huis \ van \"ons\""#,
        json!({"description": "\"description\": ook hier"}),
    )
    .await;
    let index = app.state.read_model.index();
    let hits = index.search(&SearchQuery::default());
    assert!(hits.len() > 500);
    for hit in &hits {
        let json = index.json(hit.entry).expect("details");
        let full: Value = serde_json::from_str(&json).expect("json");
        let summary: Value =
            serde_json::from_str(&format!("{}}}", index.summary_json(hit.entry))).expect("json");
        assert_eq!(summary, summary_of(&full), "{json}");
    }

    // Over HTTP: summaries by default, every member with view=full, for search and alternatives.
    let keys = |item: &Value| -> Vec<String> {
        let mut k: Vec<String> = item.as_object().expect("item").keys().cloned().collect();
        k.sort();
        k
    };
    let mut expected: Vec<String> = SUMMARY_MEMBERS.iter().map(|m| (*m).to_owned()).collect();
    expected.push("distanceM".into());
    expected.sort();
    for path in [
        "/api/v1/provisions?postcode=4611",
        "/api/v1/alternatives?postcode=4611&need=ijw-45&age=9",
    ] {
        let field = if path.contains("alternatives") {
            "openAlternatives"
        } else {
            "items"
        };
        let summary = app.get(path).await;
        let full = app.get(&format!("{path}&view=full")).await;
        let (summary, full) = (
            summary.body[field].as_array().expect("items").clone(),
            full.body[field].as_array().expect("items").clone(),
        );
        assert!(!summary.is_empty(), "{path}");
        assert_eq!(summary.len(), full.len());
        for (s, f) in summary.iter().zip(&full) {
            assert_eq!(keys(s), expected, "{path}");
            let mut f = f.clone();
            f.as_object_mut().expect("item").remove("distanceM");
            let mut s = s.clone();
            s.as_object_mut().expect("item").remove("distanceM");
            assert_eq!(s, summary_of(&f));
            assert!(f.get("openingHours").is_some() && f.get("version").is_some());
        }
        let bad = app.get(&format!("{path}&view=kort")).await;
        bad.assert_problem(400);
        assert_eq!(bad.invalid_fields(), ["view"]);
    }
}

/// `(id, distance in whole metres)` of each hit.
pub fn listed(index: &ProvisionIndex, hits: &[Hit]) -> Vec<(String, Option<i64>)> {
    hits.iter()
        .map(|h| {
            let json: Value =
                serde_json::from_str(&index.json(h.entry).expect("details")).expect("json");
            let id = json["id"].as_str().expect("id").to_owned();
            (id, h.distance_m.map(|d| d.round() as i64))
        })
        .collect()
}

/// Writes a provision with a merge patch, as admin.
async fn patch(app: &TestApp, path: &str, patch: Value) {
    let get = app.get(path).await;
    let reply = app
        .call(Method::PATCH, path)
        .token(&admin())
        .header("If-Match", get.header("etag").expect("etag"))
        .raw("application/merge-patch+json", patch.to_string())
        .send()
        .await;
    assert_eq!(reply.status, 200, "{path}: {}", reply.text);
}

#[actix_web::test]
async fn after_writes_the_index_answers_as_a_full_rebuild_and_the_brute_force_do() {
    let app = spawn_app().await;
    let before = records(&app);
    let near: Vec<&ProvisionRecord> = before
        .iter()
        .filter(|r| {
            r.row.status == "active"
                && r.locations
                    .iter()
                    .any(|l| l.municipality_code.as_deref() == Some("GM0748"))
        })
        .collect();
    assert!(
        near.len() >= 3,
        "the demo set has provisions in Bergen op Zoom"
    );
    let pc = app.state.reference.postcodes["4611"].clone();
    let at_origin = |number: &str| {
        json!([{"street": "Markt", "houseNumber": number, "postcode": "4611 AA",
            "city": "Bergen op Zoom", "lat": pc.lat, "lon": pc.lon}])
    };
    // Changed: renamed to sort first and moved to the origin; deleted; and its organisation
    // renamed.
    patch(
        &app,
        &format!("/api/v1/provisions/{}", near[0].row.id),
        json!({"name": "Aaa Eerste", "locations": at_origin("1"),
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]}),
    )
    .await;
    let deleted = app
        .call(
            Method::DELETE,
            &format!("/api/v1/provisions/{}", near[1].row.id),
        )
        .token(&admin())
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    let renamed = near[2].row.organisation_id.clone();
    patch(
        &app,
        &format!("/api/v1/organisations/{renamed}"),
        json!({"name": "Gezinsplein Wipwap"}),
    )
    .await;
    // New: two of one name at one place (ties by id), one at a changed provision's place, one
    // without a location, and one changed twice.
    let twin = json!({"name": "Zelfde Naam"});
    provision(&app, "Zelfde Naam", twin.clone()).await;
    provision(&app, "Zelfde Naam", twin).await;
    provision(
        &app,
        "Buurtkamer Markt",
        json!({"locations": at_origin("2")}),
    )
    .await;
    provision(
        &app,
        "Chat met de Buurt",
        json!({"locations": [], "serviceAreas": [{"scope": "national"}]}),
    )
    .await;
    let twice = provision(&app, "Eerst Zo", json!({})).await;
    patch(
        &app,
        &format!("/api/v1/provisions/{twice}"),
        json!({"name": "Daarna Anders", "minAge": 0}),
    )
    .await;

    let index = app.state.read_model.index();
    assert!(
        (1..index.len()).contains(&index.recent_len()),
        "the writes went into the small segment"
    );
    let mut conn = app.state.pool.get().expect("connection");
    let rebuilt = read_model::load(&mut conn, &app.state.reference).expect("index");
    assert_eq!(index.len(), rebuilt.len());
    let origin = NlPoint::new(pc.lat, pc.lon).ok();
    let resident = Resident {
        municipality: "GM0748".into(),
        region: "JZ36".into(),
        area: pc.area_code.clone(),
    };
    let queries = [
        SearchQuery {
            origin,
            reach: Some(Reach::Radius(10_000.0)),
            resident: Some(resident.clone()),
            active: Some(true),
            ..Default::default()
        },
        SearchQuery {
            origin,
            reach: Some(Reach::Radius(50_000.0)),
            text: Some("wipwap".into()),
            ..Default::default()
        },
        SearchQuery {
            text: Some("buurt".into()),
            ..Default::default()
        },
        SearchQuery::default(),
        SearchQuery {
            region: Some("JZ36".into()),
            age: Some(2),
            ..Default::default()
        },
    ];
    for (n, q) in queries.iter().enumerate() {
        let all = listed(&rebuilt, &rebuilt.search(q));
        assert!(!all.is_empty(), "query {n} finds something");
        assert_eq!(listed(&index, &index.search(q)), all, "query {n}");
        for window in [0..20, 3..23, 40..60, all.len() - 2..all.len() + 5] {
            let (a, b) = (
                index.search_window(q, window.clone()),
                rebuilt.search_window(q, window.clone()),
            );
            assert_eq!(a.total, all.len(), "query {n} total");
            assert_eq!(
                listed(&index, &a.hits),
                listed(&rebuilt, &b.hits),
                "query {n} {window:?}"
            );
        }
    }
    let wipwap = listed(&index, &index.search(&queries[1]));
    let of_renamed = records(&app)
        .iter()
        .filter(|r| r.row.organisation_id == renamed)
        .count();
    assert_eq!(
        wipwap.len(),
        of_renamed,
        "the new organisation name is searchable"
    );

    let after = records(&app);
    let expected = brute_force(
        &after,
        &Expect {
            origin: (pc.lat, pc.lon),
            radius: 10_000.0,
            municipality: "GM0748",
            region: "JZ36",
            area: pc.area_code.as_deref(),
            categories: None,
            age: None,
            access: None,
        },
    );
    assert_eq!(all_hits(&app, "postcode=4611").await, expected);
    assert_eq!(
        expected[0].0, near[0].row.id,
        "the moved provision is nearest"
    );
}

#[actix_web::test]
async fn a_provision_of_several_categories_is_found_once_within_its_widest_reach() {
    let app = spawn_app().await;
    let pc = app.state.reference.postcodes["4611"].clone();
    // Due north of the postcode: 1 degree of latitude is 111.2 km.
    let at_km = |km: f64| {
        json!([{"street": "Noordweg", "houseNumber": "1", "postcode": "4611 AA",
            "city": "Bergen op Zoom", "lat": pc.lat + km / 111.2, "lon": pc.lon}])
    };
    // Youth work reaches 3 km, peer groups 10 km (the taxonomy).
    let both = json!(["jongerenwerk", "lotgenoten"]);
    let near_both = provision(
        &app,
        "Beide dichtbij",
        json!({"categories": both, "locations": at_km(2.0)}),
    )
    .await;
    let far_both = provision(
        &app,
        "Beide verder",
        json!({"categories": both, "locations": at_km(7.0)}),
    )
    .await;
    let far_youth_work = provision(
        &app,
        "Jongerenwerk verder",
        json!({"categories": ["jongerenwerk"], "locations": at_km(7.0)}),
    )
    .await;
    let ours = [
        (near_both, "both at 2 km"),
        (far_both, "both at 7 km"),
        (far_youth_work, "youth work at 7 km"),
    ];
    let index = app.state.read_model.index();
    let search = |categories: &[&str], reach: Reach| -> Vec<&str> {
        let hits = index.search(&SearchQuery {
            origin: NlPoint::new(pc.lat, pc.lon).ok(),
            reach: Some(reach),
            categories: Some(categories.iter().map(|c| c.to_string()).collect()),
            ..Default::default()
        });
        listed(&index, &hits)
            .into_iter()
            .filter_map(|(id, _)| ours.iter().find(|(i, _)| *i == id).map(|(_, n)| *n))
            .collect()
    };
    let per_category = Reach::PerCategory {
        default_m: 10_000.0,
        max_m: 10_000.0,
    };
    assert_eq!(
        search(&["jongerenwerk", "lotgenoten"], per_category),
        ["both at 2 km", "both at 7 km"],
        "each once, within the wider reach of the two"
    );
    assert_eq!(
        search(&["lotgenoten", "jongerenwerk"], per_category),
        ["both at 2 km", "both at 7 km"]
    );
    assert_eq!(
        search(&["jongerenwerk"], per_category),
        ["both at 2 km"],
        "within the reach of the category asked for"
    );
    assert_eq!(
        search(&["jongerenwerk", "lotgenoten"], Reach::Radius(10_000.0)),
        ["both at 2 km", "both at 7 km", "youth work at 7 km"],
        "one radius for all: each once"
    );
    assert_eq!(
        search(&["jongerenwerk", "lotgenoten"], Reach::Radius(5_000.0)),
        ["both at 2 km"]
    );
}
