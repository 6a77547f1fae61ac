//! The access-team question, checked against the data it is computed from.

use sociale_kaart::db::registry::all_provisions;
use sociale_kaart::domain::location::NlPoint;
use sociale_kaart::domain::text::fold;

use crate::helpers::spawn_app;

#[actix_web::test]
async fn outpatient_care_need_lists_open_alternatives_by_their_reach_and_contracted_providers() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/alternatives?postcode=4611&need=ijw-45&age=9&date=2026-11-23")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let body = &reply.body;
    assert_eq!(body["place"]["municipality"]["code"], "GM0748");
    assert_eq!(body["place"]["region"]["code"], "JZ36");
    assert_eq!(body["need"]["access"], "indicated");
    assert_eq!(body["noOpenAlternativeWithinReach"], false);

    // Brute force: open provisions of the mapped categories, serving Bergen op Zoom, for age 9,
    // each within the reach of its own category.
    let reference = &app.state.reference;
    let mapped = reference.open_alternatives("ijw-45");
    assert!(
        !mapped.is_empty(),
        "ijw-45 has open alternatives in seed-data"
    );
    let open: Vec<String> = mapped
        .iter()
        .flat_map(|c| reference.category_with_descendants(c).iter().cloned())
        .collect();
    let pc = reference.postcodes.get("4611").expect("4611");
    let origin = NlPoint::new(pc.lat, pc.lon).expect("in NL");
    let records = {
        let mut conn = app.state.pool.get().expect("connection");
        all_provisions(&mut conn).expect("provisions")
    };
    let mut located = Vec::new();
    let mut unlocated = Vec::new();
    for r in &records {
        let matching: Vec<&String> = r.categories.iter().filter(|c| open.contains(c)).collect();
        let serves = r.service_areas.iter().any(|s| {
            s.scope == "national"
                || s.code == "JZ36"
                || s.code == "GM0748"
                || Some(&s.code) == pc.area_code.as_ref()
        });
        if matching.is_empty()
            || !serves
            || r.row.access != "open"
            || r.row.status != "active"
            || r.row.min_age > 9
            || r.row.max_age < 9
        {
            continue;
        }
        let reach = matching
            .iter()
            .filter_map(|c| reference.categories[c.as_str()].default_reach_m)
            .max()
            .map_or(10_000.0, f64::from);
        let key = (fold(&r.row.name), r.row.id.clone());
        match r
            .locations
            .iter()
            .map(|l| origin.distance_m(NlPoint::new(l.lat, l.lon).expect("NL")))
            .reduce(f64::min)
        {
            Some(d) if d <= reach => located.push((d, key)),
            Some(_) => {}
            None => unlocated.push(key),
        }
    }
    located.sort_by(|a, b| {
        a.0.partial_cmp(&b.0)
            .expect("finite")
            .then_with(|| a.1.cmp(&b.1))
    });
    unlocated.sort();
    let expected: Vec<String> = located
        .into_iter()
        .map(|(_, k)| k.1)
        .chain(unlocated.into_iter().map(|k| k.1))
        .collect();
    let ids = |body: &serde_json::Value| -> Vec<String> {
        body["openAlternatives"]
            .as_array()
            .expect("list")
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_owned())
            .collect()
    };
    assert!(expected.len() > 2, "enough to page through");
    assert_eq!(body["openAlternativesTotal"], expected.len());
    assert_eq!(body["pageSize"], 20);
    assert_eq!(ids(body), expected[..expected.len().min(20)]);
    // Every page, by following the links, lists the rest in order.
    let mut paged = Vec::new();
    let mut next = Some(
        "/api/v1/alternatives?postcode=4611&need=ijw-45&age=9&date=2026-11-23&pageSize=2"
            .to_owned(),
    );
    while let Some(href) = next {
        let page = app.get(&href).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert_eq!(page.body["openAlternativesTotal"], expected.len());
        paged.extend(ids(&page.body));
        next = page.body["_links"]["next"]["href"]
            .as_str()
            .map(str::to_owned);
    }
    assert_eq!(paged, expected);

    let providers: Vec<(String, String)> = body["contractedProviders"]
        .as_array()
        .expect("providers")
        .iter()
        .map(|p| {
            (
                p["scope"].as_str().unwrap_or_default().to_owned(),
                p["scopeCode"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert!(
        providers.contains(&("municipality".into(), "GM0748".into())),
        "{providers:?}"
    );
    assert!(
        providers.contains(&("region".into(), "JZ36".into())),
        "{providers:?}"
    );
    assert!(
        body["contractedProviders"]
            .as_array()
            .expect("p")
            .iter()
            .all(|p| p["categories"] == serde_json::json!(["ijw-45"]))
    );
}

#[actix_web::test]
async fn a_contract_counts_from_its_first_to_its_last_day() {
    let app = spawn_app().await;
    // The demo's municipal contract of Bergen op Zoom for ijw-45 runs through 2026.
    for (date, expected) in [
        ("2025-12-31", false),
        ("2026-01-01", true),
        ("2026-12-31", true),
        ("2027-01-01", false),
    ] {
        let reply = app
            .get(&format!(
                "/api/v1/alternatives?postcode=4611&need=ijw-45&date={date}"
            ))
            .await;
        let municipal = reply.body["contractedProviders"]
            .as_array()
            .expect("providers")
            .iter()
            .any(|p| p["scope"] == "municipality");
        assert_eq!(municipal, expected, "{date}");
    }
}

#[actix_web::test]
async fn nationally_contracted_care_is_offered_everywhere_and_other_regions_contracts_nowhere_else()
{
    let app = spawn_app().await;
    // Zwolle, in IJsselland.
    let reply = app
        .get("/api/v1/alternatives?postcode=8011&need=ijw-55&date=2026-11-23")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let providers = reply.body["contractedProviders"]
        .as_array()
        .expect("providers");
    assert!(providers.iter().any(|p| p["scope"] == "national"));
    let outpatient = app
        .get("/api/v1/alternatives?postcode=8011&need=ijw-45&date=2026-11-23")
        .await;
    assert!(
        outpatient.body["contractedProviders"]
            .as_array()
            .expect("p")
            .iter()
            .all(|p| p["scopeCode"] != "JZ36" && p["scopeCode"] != "GM0748")
    );
}

#[actix_web::test]
async fn a_family_far_from_any_open_provision_is_told_so_plainly() {
    let app = spawn_app().await;
    // Groningen: the demo set has no provisions there, and none of the mapped categories is national.
    let reply = app
        .get("/api/v1/alternatives?postcode=9711&need=ijw-41&date=2026-11-23")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["noOpenAlternativeWithinReach"], true);
    assert_eq!(reply.body["openAlternatives"], serde_json::json!([]));
    assert!(
        reply.body["message"]
            .as_str()
            .is_some_and(|m| m.contains("No freely accessible provision"))
    );
}

#[actix_web::test]
async fn an_open_need_searches_that_category_and_needs_no_contract() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/alternatives?area=WK074800&need=bibliotheek")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        reply.body["openCategories"],
        serde_json::json!(["bibliotheek"])
    );
    assert_eq!(reply.body["contractedProviders"], serde_json::json!([]));
    assert!(
        reply.body["openAlternatives"]
            .as_array()
            .is_some_and(|a| !a.is_empty())
    );
}

#[actix_web::test]
async fn alternatives_need_an_origin_and_a_known_need() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/alternatives?need=nope&age=40&pageSize=101")
        .await;
    reply.assert_problem(400);
    assert_eq!(
        reply.invalid_fields(),
        ["postcode", "need", "age", "pageSize"]
    );
    app.get("/api/v1/alternatives?postcode=4611")
        .await
        .assert_problem(400);
    app.get("/api/v1/alternatives?postcode=4611&need=ijw-45&date=2026-13-01")
        .await
        .assert_problem(400);
}
