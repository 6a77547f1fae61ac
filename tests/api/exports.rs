//! Bulk export: every live provision as CSV, native NDJSON or HSDS NDJSON, over HTTP and from
//! the command line.

use actix_web::http::Method;
use serde_json::{Value, json};
use sociale_kaart::api::exports::CSV_COLUMNS;

use crate::helpers::{TestApp, admin, spawn_app};

fn live(app: &TestApp) -> usize {
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    use diesel::RunQueryDsl;
    let mut conn = app.state.pool.get().expect("connection");
    let n = diesel::sql_query("SELECT COUNT(*) AS n FROM provisions WHERE deleted_at IS NULL")
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n;
    usize::try_from(n).expect("a count")
}

async fn export(app: &TestApp, format: &str) -> crate::helpers::Reply {
    app.get(&format!("/api/v1/exports/provisions?format={format}"))
        .await
}

#[actix_web::test]
async fn every_live_provision_is_exported_in_each_format() {
    let app = spawn_app().await;
    let org = app.organisation("Export Welzijn").await;
    let created = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(&json!({"organisationId": org, "name": "Exportcafé, \"De Kade\"",
            "description": "Twee regels:\nkoffie en advies", "categories": ["buurthuis", "maatschappelijk-werk"],
            "access": "open", "minAge": 4, "maxAge": 23, "freeOfCharge": false,
            "costDescription": "€ 2 per keer", "languages": ["nl", "ar"],
            "openingHours": [{"day": "monday", "opens": "09:00", "closes": "12:00"},
                             {"day": "friday", "opens": "13:30", "closes": "24:00"}],
            "locations": [
                {"street": "Kade", "houseNumber": "1a", "postcode": "4611 AA", "city": "Bergen op Zoom", "lat": 51.4950, "lon": 4.2870},
                {"street": "Ravelstraat", "houseNumber": "10", "postcode": "4614 XA", "city": "Bergen op Zoom", "lat": 51.5050, "lon": 4.3300}],
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}, {"scope": "area", "code": "WK074801"}]}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().expect("id").to_owned();
    let gone = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(
            &json!({"organisationId": org, "name": "Verdwenen", "categories": ["buurthuis"],
            "access": "open", "minAge": 0, "maxAge": 23, "freeOfCharge": true,
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]}),
        )
        .send()
        .await;
    let gone = gone.body["id"].as_str().expect("id").to_owned();
    let deleted = app
        .call(Method::DELETE, &format!("/api/v1/provisions/{gone}"))
        .token(&admin())
        .send()
        .await;
    assert_eq!(deleted.status, 204);
    let expected = live(&app);
    assert!(expected > 500, "the demo set and ours: {expected}");

    let csv = export(&app, "csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .expect("type")
            .starts_with("text/csv")
    );
    let mut reader = csv::Reader::from_reader(csv.text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("header")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(header, CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("a row")).collect();
    assert_eq!(rows.len(), expected, "one row per live provision");
    assert!(
        !rows.iter().any(|r| &r[0] == gone.as_str()),
        "deleted ones are left out"
    );
    let row = rows.iter().find(|r| &r[0] == id.as_str()).expect("our row");
    let cell =
        |name: &str| row[CSV_COLUMNS.iter().position(|c| *c == name).expect("column")].to_owned();
    assert_eq!(cell("name"), "Exportcafé, \"De Kade\"");
    assert_eq!(cell("description"), "Twee regels:\nkoffie en advies");
    assert_eq!(cell("organisationName"), "Export Welzijn");
    assert_eq!(cell("organisationKvkNumber"), "12345678");
    assert_eq!(cell("categories"), "buurthuis; maatschappelijk-werk");
    assert_eq!(cell("languages"), "nl; ar");
    assert_eq!(
        cell("openingHours"),
        "monday 09:00-12:00; friday 13:30-24:00"
    );
    assert_eq!(
        cell("serviceAreas"),
        "area:WK074801; municipality:GM0748",
        "as stored"
    );
    assert_eq!(cell("locationStreets"), "Kade; Ravelstraat");
    assert_eq!(cell("locationHouseNumbers"), "1a; 10");
    assert_eq!(cell("locationPoints"), "51.495 4.287; 51.505 4.33");
    assert_eq!(
        (cell("minAge"), cell("maxAge"), cell("freeOfCharge")),
        ("4".into(), "23".into(), "false".into())
    );

    let ndjson = export(&app, "ndjson").await;
    assert!(
        ndjson
            .header("content-type")
            .expect("type")
            .starts_with("application/x-ndjson")
    );
    let lines: Vec<Value> = ndjson
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(lines.len(), expected);
    let ours = lines.iter().find(|l| l["id"] == id.as_str()).expect("ours");
    assert_eq!(
        *ours,
        app.get(&format!("/api/v1/provisions/{id}")).await.body,
        "as GET gives it"
    );

    let hsds = export(&app, "hsds").await;
    let services: Vec<Value> = hsds
        .text
        .lines()
        .map(|l| serde_json::from_str(l).expect("JSON"))
        .collect();
    assert_eq!(services.len(), expected);
    let service = services
        .iter()
        .find(|s| s["id"] == id.as_str())
        .expect("ours");
    assert_eq!(
        service["service_at_locations"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(
        *service,
        app.get(&format!("/hsds/v3/services/{id}")).await.body
    );

    export(&app, "xml").await.assert_problem(400);
    app.get("/api/v1/exports/provisions")
        .await
        .assert_problem(400);
}

#[test]
fn the_command_line_exports_to_a_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("export.db");
    std::fs::copy(crate::helpers::sqlite_template(), &db).expect("copy the template");
    let out = dir.path().join("provisions.csv");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_sociale-kaart"))
        .args(["export", "--format", "csv", "--output"])
        .arg(&out)
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("SOCIALE_KAART_DATA_DIR", dir.path())
        .output()
        .expect("the binary runs");
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(run.status.success(), "{err}");
    let rows = csv::Reader::from_path(&out)
        .expect("the file")
        .records()
        .count();
    assert!(rows > 500, "{rows}");
    assert!(
        err.contains(&format!("exported {rows} provisions")),
        "{err}"
    );
    let stdout = std::process::Command::new(env!("CARGO_BIN_EXE_sociale-kaart"))
        .args(["export", "--format", "hsds"])
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("SOCIALE_KAART_DATA_DIR", dir.path())
        .output()
        .expect("the binary runs");
    assert_eq!(
        String::from_utf8_lossy(&stdout.stdout).lines().count(),
        rows
    );
}
