use crate::helpers::{names, spawn_app};

#[actix_web::test]
async fn west_brabant_west_has_its_nine_municipalities() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/municipalities?region=JZ36").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("api-version"), Some("1.0.0"));
    assert_eq!(reply.body["total"], 9);
    assert_eq!(
        names(&reply.body["items"]),
        [
            "Bergen op Zoom",
            "Etten-Leur",
            "Halderberge",
            "Moerdijk",
            "Roosendaal",
            "Rucphen",
            "Steenbergen",
            "Woensdrecht",
            "Zundert"
        ]
    );
}

#[actix_web::test]
async fn regions_list_all_42_with_members_on_detail() {
    let app = spawn_app().await;
    let list = app.get("/api/v1/regions?pageSize=100").await;
    assert_eq!(list.body["total"], 42);
    let ijsselland = app.get("/api/v1/regions/JZ07").await;
    assert_eq!(ijsselland.status, 200);
    let members = names(&ijsselland.body["municipalities"]);
    assert_eq!(members.len(), 11);
    assert!(members.contains(&"Deventer".to_owned()));
    app.get("/api/v1/regions/JZ40").await.assert_problem(404);
    app.get("/api/v1/regions/Z36").await.assert_problem(400);
}

#[actix_web::test]
async fn municipality_lists_paginate_with_links() {
    let app = spawn_app().await;
    let first = app.get("/api/v1/municipalities?pageSize=100").await;
    assert_eq!(first.body["total"], 342);
    assert_eq!(first.body["items"].as_array().map(Vec::len), Some(100));
    assert_eq!(
        first.body["_links"]["next"]["href"],
        "/api/v1/municipalities?pageSize=100&page=2"
    );
    assert!(first.body["_links"].get("prev").is_none());
    let last = app.get("/api/v1/municipalities?pageSize=100&page=4").await;
    assert_eq!(last.body["items"].as_array().map(Vec::len), Some(42));
    assert!(last.body["_links"].get("next").is_none());
    let errors = app.get("/api/v1/municipalities?pageSize=101&page=0").await;
    errors.assert_problem(400);
    assert_eq!(errors.invalid_fields(), ["page", "pageSize"]);
    app.get("/api/v1/municipalities?page=abc")
        .await
        .assert_problem(400);
    app.get("/api/v1/municipalities?region=JZ99")
        .await
        .assert_problem(400);
}

#[actix_web::test]
async fn a_municipality_shows_its_polygon_only_when_asked() {
    let app = spawn_app().await;
    let plain = app.get("/api/v1/municipalities/GM0748").await;
    assert_eq!(plain.body["name"], "Bergen op Zoom");
    assert_eq!(plain.body["regionCode"], "JZ36");
    assert!(plain.body.get("geometry").is_none());
    let with = app.get("/api/v1/municipalities/GM0748?geometry=true").await;
    assert!(matches!(
        with.body["geometry"]["type"].as_str(),
        Some("Polygon" | "MultiPolygon")
    ));
    app.get("/api/v1/municipalities/GM9999")
        .await
        .assert_problem(404);
    app.get("/api/v1/municipalities/0748")
        .await
        .assert_problem(400);
}

#[actix_web::test]
async fn areas_filter_by_municipality_and_level() {
    let app = spawn_app().await;
    let reply = app
        .get("/api/v1/areas?municipality=GM0748&level=wijk&pageSize=100")
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let items = reply.body["items"].as_array().expect("items");
    assert!(!items.is_empty());
    assert!(
        items
            .iter()
            .all(|a| a["municipalityCode"] == "GM0748" && a["level"] == "wijk")
    );
    assert_eq!(app.get("/api/v1/areas?level=buurt").await.body["total"], 0);
    let amsterdam = app.get("/api/v1/areas/WK0363AF").await;
    assert_eq!(amsterdam.body["municipalityCode"], "GM0363");
    let invalid = app.get("/api/v1/areas?municipality=748&level=street").await;
    invalid.assert_problem(400);
    assert_eq!(invalid.invalid_fields(), ["municipality", "level"]);
    app.get("/api/v1/areas/WK999999").await.assert_problem(404);
}

#[actix_web::test]
async fn postcode_4611_lies_in_bergen_op_zoom_in_west_brabant_west() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/areas/lookup?postcode=4611").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["municipality"]["code"], "GM0748");
    assert_eq!(reply.body["municipality"]["name"], "Bergen op Zoom");
    assert_eq!(reply.body["region"]["code"], "JZ36");
    assert!(
        reply.body["wijk"]["code"]
            .as_str()
            .is_some_and(|c| c.starts_with("WK0748"))
    );
}

#[actix_web::test]
async fn a_point_is_placed_by_the_wijk_polygons() {
    let app = spawn_app().await;
    // The market square of Roosendaal.
    let reply = app.get("/api/v1/areas/lookup?lat=51.5308&lon=4.4653").await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.body["municipality"]["code"], "GM1674");
    assert_eq!(reply.body["region"]["code"], "JZ36");
    // North Sea, inside the Dutch bounding box but in no municipality.
    app.get("/api/v1/areas/lookup?lat=52.6&lon=3.5")
        .await
        .assert_problem(404);
    app.get("/api/v1/areas/lookup?lat=48.85&lon=2.35")
        .await
        .assert_problem(400);
}

#[actix_web::test]
async fn unreliable_unknown_and_malformed_postcodes_are_refused() {
    let app = spawn_app().await;
    // 1002 lies far from the other 10xx postcodes in the source: kept out of lookups.
    let unreliable = app.get("/api/v1/areas/lookup?postcode=1002").await;
    unreliable.assert_problem(404);
    assert!(
        unreliable.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("no reliable location"))
    );
    app.get("/api/v1/areas/lookup?postcode=46")
        .await
        .assert_problem(400);
    app.get("/api/v1/areas/lookup").await.assert_problem(400);
    app.get("/api/v1/areas/lookup?postcode=4611&lat=51.5")
        .await
        .assert_problem(400);
}

#[actix_web::test]
async fn categories_form_a_tree_with_the_ijw_product_categories() {
    let app = spawn_app().await;
    let reply = app.get("/api/v1/categories").await;
    let top = reply.body["items"].as_array().expect("items");
    let specialist = top
        .iter()
        .find(|c| c["code"] == "specialistisch")
        .expect("specialistisch");
    assert_eq!(specialist["access"], "indicated");
    let children: Vec<&str> = specialist["children"]
        .as_array()
        .expect("children")
        .iter()
        .filter_map(|c| c["code"].as_str())
        .collect();
    assert!(children.contains(&"ijw-45") && children.contains(&"ijw-55"));
    let opvoeden = top
        .iter()
        .find(|c| c["code"] == "opvoeden")
        .expect("opvoeden");
    assert_eq!(opvoeden["children"][0]["code"], "opvoedondersteuning");
    assert_eq!(opvoeden["children"][0]["defaultReachM"], 5000);
}
