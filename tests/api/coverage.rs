//! Basic sets and region coverage: the set's versions and who may write it, coverage compared
//! with a brute-force computation over the same data, and its edge cases.

use actix_web::http::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, admin, editor, region_admin, spawn_app};
use sociale_kaart::db::registry::{ProvisionRecord, all_provisions};
use sociale_kaart::domain::coverage::Thresholds;
use sociale_kaart::domain::location::NlPoint;
use sociale_kaart::index::Reference;

async fn put_set(app: &TestApp, region: &str, token: &str, body: &Value) -> crate::helpers::Reply {
    app.call(Method::PUT, &format!("/api/v1/regions/{region}/basic-set"))
        .token(token)
        .json(body)
        .send()
        .await
}

#[actix_web::test]
async fn a_basic_set_is_versioned_and_written_only_by_admins_and_its_region_admins() {
    let app = spawn_app().await;
    let shipped = app.get("/api/v1/regions/JZ36/basic-set").await;
    assert_eq!(shipped.status, 200, "{}", shipped.text);
    assert_eq!(shipped.body["version"], 1);
    assert_eq!(shipped.body["illustrative"], true);
    assert!(
        shipped.body["notice"]
            .as_str()
            .expect("notice")
            .contains("not an official agreement")
    );
    assert_eq!(shipped.header("etag"), Some("\"1\""));
    let ten = shipped.body["categories"].as_array().expect("categories");
    assert_eq!(ten.len(), 10);
    assert!(
        ten.iter()
            .any(|c| c["category"] == "opvoedondersteuning" && c["reachM"] == 5000)
    );

    let body = json!({"adoptedOn": "2026-11-01", "note": "Vastgesteld door het regionaal overleg",
        "categories": [{"category": "opvoedondersteuning", "reachM": 4000},
                       {"category": "zwemles", "adoptedOn": "2026-10-01"}]});
    let before = app.counts();
    for (token, status) in [
        (None, 401),
        (Some(editor("GM0748")), 403),
        (Some(region_admin(&["JZ07"])), 403),
    ] {
        let mut call = app
            .call(Method::PUT, "/api/v1/regions/JZ36/basic-set")
            .json(&body);
        if let Some(t) = &token {
            call = call.token(t);
        }
        call.send().await.assert_problem(status);
        assert_eq!(app.counts(), before, "a refused write changes nothing");
    }
    for (bad, field) in [
        (
            json!({"adoptedOn": "2026-11-01", "categories": [{"category": "nope"}]}),
            "categories[0].category",
        ),
        (
            json!({"adoptedOn": "2026-11-01", "categories": [{"category": "ijw-45"}]}),
            "categories[0].category",
        ),
        (
            json!({"adoptedOn": "2026-11-01", "categories": [{"category": "jgz"}, {"category": "jgz"}]}),
            "categories[1].category",
        ),
        (
            json!({"adoptedOn": "2026-11-01", "categories": [{"category": "jgz", "reachM": 50}]}),
            "categories[0].reachM",
        ),
        (
            json!({"adoptedOn": "1 november", "categories": [{"category": "jgz"}]}),
            "adoptedOn",
        ),
        (
            json!({"adoptedOn": "2026-11-01", "categories": []}),
            "categories",
        ),
    ] {
        let reply = put_set(&app, "JZ36", &admin(), &bad).await;
        reply.assert_problem(400);
        assert_eq!(reply.invalid_fields(), [field], "{bad}");
        assert_eq!(app.counts(), before, "an invalid set changes nothing");
    }
    put_set(
        &app,
        "JZ36",
        &admin(),
        &json!({"adoptedOn": "2026-11-01", "categories": [{"category": "jgz"}], "bsn": "1"}),
    )
    .await
    .assert_problem(400);
    let stale = app
        .call(Method::PUT, "/api/v1/regions/JZ36/basic-set")
        .token(&admin())
        .header("If-Match", "\"7\"")
        .json(&body)
        .send()
        .await;
    stale.assert_problem(412);
    assert_eq!(app.counts(), before);

    let stored = app
        .call(Method::PUT, "/api/v1/regions/JZ36/basic-set")
        .token(&region_admin(&["JZ36"]))
        .header("If-Match", "\"1\"")
        .json(&body)
        .send()
        .await;
    assert_eq!(stored.status, 200, "{}", stored.text);
    assert_eq!(stored.body["version"], 2);
    assert_eq!(stored.body["illustrative"], false);
    assert!(stored.body.get("notice").is_none());
    assert_eq!(stored.body["versions"], json!([1, 2]));
    let categories = &stored.body["categories"];
    assert_eq!(categories[0]["category"], "opvoedondersteuning");
    assert_eq!(categories[0]["reachM"], 4000);
    assert_eq!(
        categories[0]["adoptedOn"], "2025-01-01",
        "a category kept from the previous version keeps its adoption date"
    );
    assert_eq!(categories[1]["category"], "zwemles");
    assert_eq!(categories[1]["reachM"], 5000, "the taxonomy's reach");
    assert_eq!(categories[1]["adoptedOn"], "2026-10-01");
    assert_eq!(app.count("changes"), before[before.len() - 1] + 1, "logged");

    let first = app.get("/api/v1/regions/JZ36/basic-set?version=1").await;
    assert_eq!(first.body["version"], 1);
    assert_eq!(first.body["illustrative"], true);
    assert_eq!(
        app.get("/api/v1/regions/JZ36/basic-set").await.body["version"],
        2
    );
    app.get("/api/v1/regions/JZ36/basic-set?version=9")
        .await
        .assert_problem(404);
    app.get("/api/v1/regions/JZ01/basic-set")
        .await
        .assert_problem(404);
    app.get("/api/v1/regions/JZ01/coverage")
        .await
        .assert_problem(404);
    app.get("/api/v1/regions/JZ99/basic-set")
        .await
        .assert_problem(404);
    app.get("/api/v1/regions/XX/basic-set")
        .await
        .assert_problem(400);

    let created = put_set(&app, "JZ01", &admin(), &body).await;
    assert_eq!(created.status, 201, "a region's first set");
    assert_eq!(created.body["version"], 1);
}

/// What coverage should say for one municipality and category, computed the obvious way.
#[derive(Debug, PartialEq)]
struct Expected {
    provisions: u32,
    share: f64,
    share_0_to_14: f64,
    /// Gap wijken, most inhabitants first.
    gaps: Vec<String>,
}

fn round(share: f64) -> f64 {
    (share * 10_000.0).round() / 10_000.0
}

/// Coverage of `category` with `reach_m` in municipality `m`, without the index: every live
/// provision is tested against every wijk.
fn brute_force(
    records: &[ProvisionRecord],
    reference: &Reference,
    m: &str,
    category: &str,
    reach_m: f64,
) -> (Expected, f64) {
    let region = &reference.municipalities[m].region_code;
    let wanted = reference.category_with_descendants(category);
    let offers: Vec<&ProvisionRecord> = records
        .iter()
        .filter(|r| {
            r.row.status == "active"
                && r.row.access == "open"
                && r.categories.iter().any(|c| wanted.contains(c))
        })
        .collect();
    let in_m = |code: &str| code.get(2..6) == m.get(2..6);
    let provisions = offers
        .iter()
        .filter(|r| {
            r.service_areas.iter().any(|s| match s.scope.as_str() {
                "national" => true,
                "region" => &s.code == region,
                _ => in_m(&s.code),
            })
        })
        .count() as u32;
    let mut wijken: Vec<_> = reference
        .areas
        .values()
        .filter(|a| a.municipality_code == m && a.level == "wijk" && !a.is_water)
        .collect();
    wijken.sort_by(|a, b| {
        b.population
            .max(0)
            .cmp(&a.population.max(0))
            .then(a.code.cmp(&b.code))
    });
    let (mut all, mut reached, mut young, mut young_reached) = (0, 0, 0, 0);
    let mut gaps = Vec::new();
    for w in wijken {
        let label = NlPoint::new(w.label.0, w.label.1).expect("label in NL");
        let reachable = offers.iter().any(|r| {
            let serves = r.service_areas.iter().any(|s| match s.scope.as_str() {
                "national" => true,
                "region" => &s.code == region,
                "municipality" => s.code == m,
                _ => {
                    s.code == w.code
                        || (s.code.starts_with("BU") && s.code.get(2..8) == w.code.get(2..8))
                }
            });
            serves
                && (r.locations.is_empty()
                    || r.locations.iter().any(|l| {
                        let d = label.distance_m(NlPoint::new(l.lat, l.lon).expect("in NL"));
                        d.round() <= reach_m
                    }))
        });
        let (p, y) = (w.population.max(0), w.population_0_14.max(0));
        all += p;
        young += y;
        if reachable {
            reached += p;
            young_reached += y;
        } else {
            gaps.push(w.code.clone());
        }
    }
    let share = |a: i64, b: i64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let raw = share(reached, all);
    (
        Expected {
            provisions,
            share: round(raw),
            share_0_to_14: round(share(young_reached, young)),
            gaps,
        },
        raw,
    )
}

fn as_expected(cell: &Value) -> Expected {
    Expected {
        provisions: cell["provisions"].as_u64().expect("provisions") as u32,
        share: cell["share"].as_f64().expect("share"),
        share_0_to_14: cell["share0To14"].as_f64().expect("share0To14"),
        gaps: cell["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .map(|g| g["code"].as_str().expect("code").to_owned())
            .collect(),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Compares every cell and median of a region's coverage with the brute force.
async fn assert_matches_brute_force(app: &TestApp, region: &str) {
    let reply = app.get(&format!("/api/v1/regions/{region}/coverage")).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let records = {
        let mut conn = app.state.pool.get().expect("connection");
        all_provisions(&mut conn).expect("provisions")
    };
    let reference = &app.state.reference;
    let thresholds = Thresholds::default();
    let municipalities = reply.body["municipalities"]
        .as_array()
        .expect("municipalities");
    assert_eq!(
        municipalities.len(),
        reference.regions[region].members.len()
    );
    for (k, category) in reply.body["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .enumerate()
    {
        let code = category["category"].as_str().expect("category");
        let reach = category["reachM"].as_f64().expect("reach");
        let mut regional = Vec::new();
        for m in municipalities {
            let mcode = m["code"].as_str().expect("code");
            let (expected, raw) = brute_force(&records, reference, mcode, code, reach);
            let cell = &m["cells"][k];
            assert_eq!(cell["category"], code);
            assert_eq!(as_expected(cell), expected, "{mcode} {code}");
            assert_eq!(
                cell["status"],
                thresholds.status(expected.provisions, raw).as_str(),
                "{mcode} {code}"
            );
            regional.push(raw);
        }
        assert_eq!(
            category["regionMedian"].as_f64(),
            Some(round(median(regional))),
            "{code}"
        );
        let national: Vec<f64> = reference
            .municipalities
            .keys()
            .filter(|m| {
                reference.areas.values().any(|a| {
                    &a.municipality_code == *m
                        && a.level == "wijk"
                        && !a.is_water
                        && a.population > 0
                })
            })
            .map(|m| brute_force(&records, reference, m, code, reach).1)
            .collect();
        assert_eq!(
            category["nationalMedian"].as_f64(),
            Some(round(median(national))),
            "{code}"
        );
    }
}

#[actix_web::test]
async fn region_coverage_equals_a_brute_force_computation() {
    let app = spawn_app().await;
    assert_matches_brute_force(&app, "JZ36").await;
    assert_matches_brute_force(&app, "JZ07").await;
    let csv = app
        .call(Method::GET, "/api/v1/regions/JZ36/coverage")
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .expect("type")
            .starts_with("text/csv")
    );
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(
        lines[0].starts_with("region,municipality,municipalityName,category,reachM,provisions")
    );
    assert_eq!(
        lines.len(),
        1 + 9 * 10,
        "one row per municipality and category"
    );
}

/// A provision of `category` at `(lat, lon)` (or without a location), serving `areas`.
async fn offer(
    app: &TestApp,
    name: &str,
    category: &str,
    at: Option<(f64, f64)>,
    areas: Value,
) -> String {
    let org = app.organisation("Dekking").await;
    let locations = match at {
        Some((lat, lon)) => {
            json!([{"street": "Dorpsstraat", "houseNumber": "1", "postcode": "9999 ZZ",
            "city": "Ergens", "lat": lat, "lon": lon}])
        }
        None => json!([]),
    };
    let reply = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&json!({"organisationId": org, "name": name, "categories": [category], "access": "open",
            "minAge": 0, "maxAge": 23, "freeOfCharge": true, "locations": locations, "serviceAreas": areas}))
        .send()
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

fn cell<'a>(coverage: &'a Value, municipality: &str, category: &str) -> &'a Value {
    let m = coverage["municipalities"]
        .as_array()
        .expect("municipalities")
        .iter()
        .find(|m| m["code"] == municipality)
        .expect("municipality");
    m["cells"]
        .as_array()
        .expect("cells")
        .iter()
        .find(|c| c["category"] == category)
        .expect("cell")
}

#[actix_web::test]
async fn coverage_edges_no_provisions_no_location_a_neighbour_only_and_exactly_at_the_reach() {
    let app = spawn_app().await;
    let reference = app.state.reference.clone();
    // A region without demo provisions; two of its municipalities.
    let region = &reference.regions["JZ01"];
    let (a, b) = (
        &reference.municipalities[&region.members[0]],
        &reference.municipalities[&region.members[1]],
    );
    let wijk = reference
        .areas
        .values()
        .filter(|w| {
            w.municipality_code == a.code && w.level == "wijk" && !w.is_water && w.population > 0
        })
        .max_by_key(|w| w.population)
        .expect("a wijk with inhabitants");
    let label = NlPoint::new(wijk.label.0, wijk.label.1).expect("label");
    let other = reference
        .areas
        .values()
        .filter(|w| w.municipality_code == a.code && w.level == "wijk" && w.code != wijk.code)
        .map(|w| {
            (
                w,
                label.distance_m(NlPoint::new(w.label.0, w.label.1).expect("label")),
            )
        })
        .filter(|(_, d)| (500.0..20_000.0).contains(d))
        .min_by(|x, y| x.1.total_cmp(&y.1))
        .expect("another wijk within 20 km")
        .0;
    // At another wijk's label point; the reach is the distance between the two in whole
    // metres (from the location as stored), so the first wijk is exactly at the reach.
    let pool = offer(
        &app,
        "Zwembad",
        "zwemles",
        Some(other.label),
        json!([{"scope": "municipality", "code": a.code}]),
    )
    .await;
    let stored = app.get(&format!("/api/v1/provisions/{pool}")).await.body["locations"][0].clone();
    let at = NlPoint::new(
        stored["lat"].as_f64().expect("lat"),
        stored["lon"].as_f64().expect("lon"),
    )
    .expect("in NL");
    let reach = label.distance_m(at).round();
    let created = put_set(
        &app,
        "JZ01",
        &admin(),
        &json!({"adoptedOn": "2026-11-01", "categories": [
            {"category": "zwemles", "reachM": reach as u32},
            {"category": "taalhuis", "reachM": 3000},
            {"category": "huiswerkbegeleiding", "reachM": 3000}]}),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    // Located in `a`, serving only its neighbour `b`.
    offer(
        &app,
        "Taalhuis voor de buren",
        "taalhuis",
        Some((wijk.label.0, wijk.label.1)),
        json!([{"scope": "municipality", "code": b.code}]),
    )
    .await;
    // Without a location, serving `b`.
    offer(
        &app,
        "Huiswerkhulp online",
        "huiswerkbegeleiding",
        None,
        json!([{"scope": "municipality", "code": b.code}]),
    )
    .await;
    // Outside the set.
    offer(
        &app,
        "Buurthuis",
        "buurthuis",
        Some((wijk.label.0, wijk.label.1)),
        json!([{"scope": "municipality", "code": a.code}]),
    )
    .await;

    let coverage = app.get("/api/v1/regions/JZ01/coverage").await;
    assert_eq!(coverage.status, 200, "{}", coverage.text);
    let swim = cell(&coverage.body, &a.code, "zwemles");
    assert_eq!(swim["provisions"], 1);
    assert!(
        !swim["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .any(|g| g["code"] == wijk.code),
        "a wijk exactly at the reach is within it"
    );
    let taal = cell(&coverage.body, &a.code, "taalhuis");
    assert_eq!(
        taal["provisions"], 0,
        "serving only the neighbour does not count"
    );
    assert_eq!(taal["share"], 0.0);
    assert_eq!(taal["status"], "missing");
    assert_eq!(cell(&coverage.body, &b.code, "taalhuis")["provisions"], 1);
    let online = cell(&coverage.body, &b.code, "huiswerkbegeleiding");
    assert_eq!(
        online["share"], 1.0,
        "a provision without location reaches every wijk it serves"
    );
    assert_eq!(online["gaps"], json!([]));
    let nothing = cell(&coverage.body, &region.members[2], "huiswerkbegeleiding");
    assert_eq!(
        nothing["provisions"], 0,
        "a municipality with no provisions at all"
    );
    assert_eq!(nothing["status"], "missing");
    assert!(!nothing["gaps"].as_array().expect("gaps").is_empty());
    assert!(
        coverage.body["categories"]
            .as_array()
            .expect("categories")
            .iter()
            .all(|c| c["category"] != "buurthuis"),
        "a category outside the set is not shown"
    );
    assert_matches_brute_force(&app, "JZ01").await;

    // One metre less reach and the wijk is a gap.
    let smaller = put_set(
        &app,
        "JZ01",
        &admin(),
        &json!({"adoptedOn": "2026-11-02", "categories": [
        {"category": "zwemles", "reachM": reach as u32 - 1}]}),
    )
    .await;
    assert_eq!(smaller.status, 200, "{}", smaller.text);
    let coverage = app.get("/api/v1/regions/JZ01/coverage").await;
    let swim = cell(&coverage.body, &a.code, "zwemles");
    let gap = swim["gaps"]
        .as_array()
        .expect("gaps")
        .iter()
        .find(|g| g["code"] == wijk.code)
        .unwrap_or_else(|| panic!("now a gap: {swim}"));
    assert_eq!(gap["nearestM"], reach);
    assert_matches_brute_force(&app, "JZ01").await;

    // The wijk detail and thresholds.
    let detail = app
        .get(&format!(
            "/api/v1/municipalities/{}/coverage?coveredAt=0.5&partialAt=0.1",
            a.code
        ))
        .await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    let w = detail.body["wijken"]
        .as_array()
        .expect("wijken")
        .iter()
        .find(|w| w["code"] == wijk.code)
        .expect("wijk");
    assert_eq!(w["categories"][0]["reachable"], false);
    assert_eq!(w["categories"][0]["nearestM"], reach);
    assert_eq!(detail.body["thresholds"]["coveredAt"], 0.5);
    let lower = app
        .get("/api/v1/regions/JZ01/coverage?coveredAt=0.4&partialAt=0.6")
        .await;
    lower.assert_problem(400);
    assert_eq!(lower.invalid_fields(), ["partialAt"]);
    let above = app.get("/api/v1/regions/JZ01/coverage?coveredAt=2").await;
    above.assert_problem(400);
    assert_eq!(above.invalid_fields(), ["coveredAt"]);

    // A reach beyond 25 km: a provision for the whole region reaches wijken far away.
    offer(
        &app,
        "Jeugdvereniging voor de regio",
        "jeugdvereniging",
        Some(other.label),
        json!([{"scope": "region", "code": "JZ01"}]),
    )
    .await;
    let far = reference
        .areas
        .values()
        .filter(|w| {
            region.members.contains(&w.municipality_code) && w.level == "wijk" && !w.is_water
        })
        .find(|w| {
            let d = at.distance_m(NlPoint::new(w.label.0, w.label.1).expect("label"));
            (30_000.0..90_000.0).contains(&d)
        })
        .expect("a wijk of the region 30-90 km away");
    let wide = put_set(
        &app,
        "JZ01",
        &admin(),
        &json!({"adoptedOn": "2026-11-03", "categories": [
            {"category": "jeugdvereniging", "reachM": 100_000}]}),
    )
    .await;
    assert_eq!(wide.status, 200, "{}", wide.text);
    let coverage = app.get("/api/v1/regions/JZ01/coverage").await;
    let club = cell(&coverage.body, &far.municipality_code, "jeugdvereniging");
    assert!(
        !club["gaps"]
            .as_array()
            .expect("gaps")
            .iter()
            .any(|g| g["code"] == far.code),
        "{} is within 100 km: {club}",
        far.code
    );
    assert_matches_brute_force(&app, "JZ01").await;
}

#[actix_web::test]
async fn the_coverage_map_is_an_svg_with_legend_borders_points_and_attribution() {
    let app = spawn_app().await;
    let map = app
        .get("/api/v1/regions/JZ36/coverage/map.svg?category=opvoedondersteuning")
        .await;
    assert_eq!(map.status, 200);
    assert!(
        map.header("content-type")
            .expect("type")
            .starts_with("image/svg+xml")
    );
    let svg = &map.text;
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(svg.ends_with("</svg>"));
    assert!(svg.contains("Opvoedondersteuning in West Brabant West"));
    assert!(svg.contains("CBS/Kadaster, CC BY 4.0"));
    assert!(svg.contains("within reach"), "legend");
    assert!(svg.contains("<circle"), "provision points");
    assert!(svg.contains("Bergen op Zoom"), "municipality names");
    // Every non-water wijk of the region is drawn.
    let wijken = app.state.reference.regions["JZ36"]
        .members
        .iter()
        .flat_map(|m| app.state.reference.areas_of(m))
        .filter(|c| app.state.reference.areas[*c].level == "wijk")
        .filter(|c| app.state.reference.wijk_shape(c).is_some())
        .count();
    assert_eq!(
        svg.matches("<path d=").count(),
        wijken + 9,
        "wijken and 9 borders"
    );
    app.get("/api/v1/regions/JZ36/coverage/map.svg?category=ijw-45")
        .await
        .assert_problem(400);
    app.get("/api/v1/regions/JZ36/coverage/map.svg")
        .await
        .assert_problem(400);
}
