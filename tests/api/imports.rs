//! Bulk import from the export's CSV: all or nothing, problems per row and column, dry runs,
//! idempotent by id, probable duplicates, and an export → import round trip.

use actix_web::http::Method;
use diesel::connection::SimpleConnection;
use serde_json::Value;
use sociale_kaart::api::exports::CSV_COLUMNS;

use crate::helpers::{Reply, TestApp, admin, editor, spawn_app, token};

async fn import(app: &TestApp, csv: &str, query: &str, token: Option<&str>) -> Reply {
    let mut call = app.call(Method::POST, &format!("/api/v1/imports{query}"));
    if let Some(t) = token {
        call = call.token(t);
    }
    call.raw("text/csv", csv.to_owned()).send().await
}

/// Removes every organisation, provision, contract and referral: an empty registry with the
/// reference data.
fn empty_registry(app: &TestApp) {
    let mut conn = app.state.pool.get().expect("connection");
    conn.batch_execute(
        "DELETE FROM referrals; DELETE FROM contract_categories; DELETE FROM contracts;
         DELETE FROM provision_categories; DELETE FROM provision_locations;
         DELETE FROM provision_service_areas; DELETE FROM provisions; DELETE FROM organisations;",
    )
    .expect("empty the registry");
}

/// The export's rows without `verifiedAt` (importing is not verifying), sorted.
fn comparable(csv: &str) -> Vec<Vec<String>> {
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let skip = ["verifiedAt"];
    let keep: Vec<usize> = (0..CSV_COLUMNS.len())
        .filter(|i| !skip.contains(&CSV_COLUMNS[*i]))
        .collect();
    let mut rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| {
            let r = r.expect("a row");
            keep.iter().map(|&i| r[i].to_owned()).collect()
        })
        .collect();
    rows.sort();
    rows
}

fn template_row(id: &str, name: &str, postcode: &str, point: &str) -> String {
    format!(
        "{id},,Stichting Import,11223344,,{name},,opvoedondersteuning,open,active,0,18,true,,nl,,,,monday 09:00-12:00,municipality:GM0748,Kade,1,{postcode},Bergen op Zoom,{point},\n"
    )
}

fn header() -> String {
    format!("{}\n", CSV_COLUMNS.join(","))
}

#[actix_web::test]
async fn an_export_imported_into_an_empty_registry_gives_the_same_export() {
    let app = spawn_app().await;
    let exported = app.get("/api/v1/exports/provisions?format=csv").await.text;
    let before = comparable(&exported);
    assert!(before.len() > 500);
    empty_registry(&app);
    assert_eq!(
        comparable(&app.get("/api/v1/exports/provisions?format=csv").await.text).len(),
        0
    );

    let report = import(&app, &exported, "", Some(&admin())).await;
    assert_eq!(
        report.status,
        200,
        "{}",
        &report.text[..report.text.len().min(2000)]
    );
    assert_eq!(report.body["applied"], true);
    assert_eq!(report.body["created"].as_u64(), Some(before.len() as u64));
    let after = app.get("/api/v1/exports/provisions?format=csv").await.text;
    assert_eq!(
        comparable(&after),
        before,
        "the same provisions, field by field"
    );

    // Importing the same file again changes nothing.
    let changes = app.count("changes");
    let again = import(&app, &exported, "", Some(&admin())).await;
    assert_eq!(again.status, 200, "{}", again.text);
    assert_eq!(again.body["unchanged"].as_u64(), Some(before.len() as u64));
    assert_eq!(
        (again.body["created"].clone(), again.body["updated"].clone()),
        (Value::from(0), Value::from(0))
    );
    assert_eq!(app.count("changes"), changes, "not even a change-log row");
    // Search finds imported provisions at once.
    let found = app.get("/api/v1/provisions?postcode=4611").await;
    assert!(found.body["total"].as_i64().expect("total") > 0);

    // Rows are looked up and created in batches of 500: a change in the first batch and one in
    // the second, and a new row at the end, each land where they belong.
    let mut lines: Vec<String> = exported.lines().map(str::to_owned).collect();
    let name_column = CSV_COLUMNS.iter().position(|c| *c == "name").expect("name");
    let mut renamed = Vec::new();
    for line in [3, 700] {
        let mut record: Vec<String> =
            csv::Reader::from_reader(format!("{}\n{}\n", lines[0], lines[line]).as_bytes())
                .records()
                .next()
                .expect("a row")
                .expect("a row")
                .iter()
                .map(str::to_owned)
                .collect();
        record[name_column] = format!("Hernoemd {line}");
        renamed.push((record[0].clone(), record[name_column].clone()));
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(Vec::new());
        w.write_record(&record).expect("write");
        lines[line] = String::from_utf8(w.into_inner().expect("csv"))
            .expect("utf-8")
            .trim_end()
            .to_owned();
    }
    let mut changed = lines.join("\n") + "\n";
    changed.push_str(&template_row(
        "NIEUW-1",
        "Nieuw na de rest",
        "4611 AA",
        "51.495 4.287",
    ));
    let third = import(&app, &changed, "", Some(&admin())).await;
    assert_eq!(third.status, 200, "{}", third.text);
    assert_eq!(
        (
            third.body["created"].as_u64(),
            third.body["updated"].as_u64(),
            third.body["unchanged"].as_u64()
        ),
        (Some(1), Some(2), Some(before.len() as u64 - 2))
    );
    assert_eq!(
        app.count("changes"),
        changes + 2 + 1 + 1,
        "two updates, a new provision and its organisation"
    );
    for (id, name) in renamed {
        let got = app.get(&format!("/api/v1/provisions/{id}")).await;
        assert_eq!(got.body["name"], name.as_str());
    }
    let now = app.get("/api/v1/exports/provisions?format=csv").await.text;
    assert_eq!(comparable(&now).len(), before.len() + 1);

    // Two keys that name one provision (a key and its derived id) are refused, not merged.
    let derived = now
        .lines()
        .find(|l| l.contains("Nieuw na de rest"))
        .and_then(|l| l.split(',').next())
        .expect("the new row")
        .to_owned();
    let twice = format!(
        "{}{}{}",
        header(),
        template_row("NIEUW-1", "Een", "4611 AA", "51.495 4.287"),
        template_row(&derived, "Twee", "4611 AA", "51.495 4.287"),
    );
    let counts = app.counts();
    let reply = import(&app, &twice, "", Some(&admin())).await;
    reply.assert_problem(400);
    assert_eq!(reply.invalid_fields(), vec!["rows[3].id".to_owned()]);
    assert_eq!(app.counts(), counts);
}

#[actix_web::test]
async fn a_file_with_problems_is_refused_per_row_and_column_and_nothing_is_written() {
    let app = spawn_app().await;
    let before = app.counts();
    let bad = format!(
        "{}{}{}{}{}",
        header(),
        template_row("A-1", "Goed", "4611 AA", "51.495 4.287"),
        template_row("A-2", "Slechte postcode", "46", "51.495 4.287"),
        template_row("A-3", "Geen punt", "4611 AA", "hier"),
        template_row("A-1", "Dubbel", "4611 AA", "51.495 4.287"),
    )
    .replace(
        "A-3,,Stichting Import,11223344,,Geen punt,,opvoedondersteuning",
        "A-3,,Stichting Import,11223344,,Geen punt,,geen-categorie",
    );
    let reply = import(&app, &bad, "", Some(&admin())).await;
    reply.assert_problem(400);
    let fields = reply.invalid_fields();
    for expected in [
        "rows[3].locationPostcodes",
        "rows[4].locationPoints",
        "rows[4].categories",
        "rows[5].id",
    ] {
        assert!(
            fields.contains(&expected.to_owned()),
            "{expected} in {fields:?}"
        );
    }
    assert!(
        !fields.iter().any(|f| f.starts_with("rows[2].")),
        "row 2 is fine: {fields:?}"
    );
    assert_eq!(app.counts(), before, "nothing was written");

    let as_csv = app
        .call(Method::POST, "/api/v1/imports")
        .token(&admin())
        .header("Accept", "text/csv")
        .raw("text/csv", bad.clone())
        .send()
        .await;
    assert_eq!(as_csv.status, 400);
    assert!(
        as_csv.text.starts_with("row,column,message\n"),
        "{}",
        as_csv.text
    );
    assert!(
        as_csv.text.contains("3,locationPostcodes,"),
        "{}",
        as_csv.text
    );

    let unknown = import(&app, "id,name,shoeSize\n1,x,44\n", "", Some(&admin())).await;
    unknown.assert_problem(400);
    assert!(
        unknown
            .invalid_fields()
            .contains(&"rows[1].shoeSize".to_owned())
    );
    import(&app, &header(), "", Some(&admin()))
        .await
        .assert_problem(400);

    // Who may import.
    let good = format!(
        "{}{}",
        header(),
        template_row("B-1", "Inloop", "4611 AA", "51.495 4.287")
    );
    import(&app, &good, "", None).await.assert_problem(401);
    import(
        &app,
        &good,
        "",
        Some(&token(
            sociale_kaart::domain::access::Role::Professional,
            &["GM0748"],
        )),
    )
    .await
    .assert_problem(403);
    let elsewhere = import(&app, &good, "", Some(&editor("GM1674"))).await;
    elsewhere.assert_problem(400);
    assert!(
        elsewhere
            .invalid_fields()
            .contains(&"rows[2].serviceAreas".to_owned())
    );
    let wrong_type = app
        .call(Method::POST, "/api/v1/imports")
        .token(&admin())
        .raw("application/xml", "<provisions/>")
        .send()
        .await;
    wrong_type.assert_problem(415);
    assert_eq!(app.counts(), before, "still nothing written");

    // A dry run reports and writes nothing; then the editor of the municipality imports it.
    let dry = import(&app, &good, "?dryRun=true", Some(&editor("GM0748"))).await;
    assert_eq!(dry.status, 200, "{}", dry.text);
    assert_eq!(
        (
            dry.body["dryRun"].clone(),
            dry.body["applied"].clone(),
            dry.body["created"].clone()
        ),
        (Value::from(true), Value::from(false), Value::from(1))
    );
    assert_eq!(app.counts(), before);
    let done = import(&app, &good, "", Some(&editor("GM0748"))).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["organisationsCreated"], 1);
    let id = uuid::Uuid::new_v5(
        &uuid::Uuid::from_u128(0x3f6e_9b1c_0d42_4a7e_8c15_6b2d_e9a0_71c4),
        b"provision:B-1",
    );
    let stored = app.get(&format!("/api/v1/provisions/{id}")).await;
    assert_eq!(stored.status, 200, "the id is derived from the row's id");
    assert_eq!(
        stored.body["verifiedAt"],
        Value::Null,
        "importing is not checking"
    );
    assert_eq!(stored.body["source"], "import");
}

#[actix_web::test]
async fn probable_duplicates_are_reported() {
    let app = spawn_app().await;
    let template = app.get("/api/v1/imports/template.csv").await;
    assert_eq!(template.status, 200);
    let mut lines = template.text.lines();
    assert_eq!(lines.next(), Some(CSV_COLUMNS.join(",").as_str()));
    let first = import(&app, &template.text, "?dryRun=true", Some(&admin())).await;
    assert_eq!(
        first.status, 200,
        "the template's example imports: {}",
        first.text
    );

    let file = format!(
        "{}{}{}{}",
        header(),
        template_row("D-1", "Opvoedpunt De Kade", "4611 AA", "51.495 4.287"),
        template_row("D-2", "Opvoedpunt De Kade", "4611 AA", "51.495 4.287"),
        template_row("D-3", "Opvoedpunt Kade", "4611 AB", "51.4951 4.2871"),
    );
    let report = import(&app, &file, "", Some(&admin())).await;
    assert_eq!(report.status, 200, "{}", report.text);
    let dups: Vec<(u64, String, String)> = report.body["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .map(|d| {
            (
                d["row"].as_u64().unwrap_or(0),
                d["sameAs"].as_str().unwrap_or("").to_owned(),
                d["reason"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    assert!(
        dups.contains(&(
            3,
            "row 2".into(),
            "the same name at the same address".into()
        )),
        "{dups:?}"
    );
    assert!(
        dups.contains(&(4, "row 2".into(), "a similar name within 50 m".into())),
        "{dups:?}"
    );
    // Against what is stored: the same again under other ids.
    let again = file.replace("D-", "E-");
    let report = import(&app, &again, "?dryRun=true", Some(&admin())).await;
    let stored_matches = report.body["duplicates"]
        .as_array()
        .expect("duplicates")
        .iter()
        .filter(|d| d["sameAs"].as_str().is_some_and(|s| !s.starts_with("row")))
        .count();
    assert!(stored_matches >= 3, "{}", report.text);
}

#[test]
fn the_command_line_imports_with_a_dry_run_and_a_report() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("import.db");
    std::fs::copy(crate::helpers::sqlite_template(), &db).expect("copy the template");
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_sociale-kaart"))
            .args(args)
            .env("DATABASE_URL", format!("sqlite://{}", db.display()))
            .env("SOCIALE_KAART_DATA_DIR", dir.path())
            .output()
            .expect("the binary runs");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        format!(
            "{}{}",
            header(),
            template_row("C-1", "Inloop", "4611 AA", "51.495 4.287")
        ),
    )
    .expect("write");
    let (ok, out, err) = run(&["import", good.to_str().expect("path"), "--dry-run"]);
    assert!(ok, "{err}");
    assert!(
        out.contains("1 rows checked (dry run, nothing written): 1 created"),
        "{out}"
    );
    let (ok, out, err) = run(&["import", good.to_str().expect("path")]);
    assert!(ok, "{err}");
    assert!(out.contains("1 rows imported: 1 created"), "{out}");
    let (ok, out, _) = run(&["import", good.to_str().expect("path")]);
    assert!(ok && out.contains("1 unchanged"), "{out}");

    let bad = dir.path().join("bad.csv");
    let errors = dir.path().join("errors.csv");
    std::fs::write(
        &bad,
        format!(
            "{}{}",
            header(),
            template_row("C-2", "Fout", "46", "51.495 4.287")
        ),
    )
    .expect("write");
    let (ok, out, err) = run(&[
        "import",
        bad.to_str().expect("path"),
        "--report",
        errors.to_str().expect("path"),
    ]);
    assert!(!ok, "a file with problems fails: {out}");
    assert!(
        out.contains("NOT imported") && out.contains("row 2 locationPostcodes"),
        "{out}"
    );
    assert!(err.contains("1 problem(s)"), "{err}");
    let report = std::fs::read_to_string(&errors).expect("the report");
    assert!(
        report.starts_with("row,column,message\n2,locationPostcodes,"),
        "{report}"
    );
}

/// HSDS services by id, without what an import does not carry over: `assured_date` (importing
/// is not verifying), `last_modified`, and the ids of locations (each registry numbers its own
/// locations; the demo set's are random).
fn services(ndjson: &str) -> Vec<Value> {
    let mut out: Vec<Value> = ndjson
        .lines()
        .map(|l| {
            let mut s: Value = serde_json::from_str(l).expect("a JSON line");
            let o = s.as_object_mut().expect("an object");
            o.remove("assured_date");
            o.remove("last_modified");
            for sal in s["service_at_locations"]
                .as_array_mut()
                .into_iter()
                .flatten()
            {
                let sal = sal.as_object_mut().expect("an object");
                sal.remove("id");
                sal.remove("location_id");
                let location = sal["location"].as_object_mut().expect("a location");
                location.remove("id");
                for a in location["addresses"].as_array_mut().into_iter().flatten() {
                    a.as_object_mut().expect("an address").remove("id");
                    a.as_object_mut().expect("an address").remove("location_id");
                }
            }
            s
        })
        .collect();
    out.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    out
}

#[actix_web::test]
async fn an_hsds_export_imported_into_an_empty_registry_gives_the_same_services() {
    let app = spawn_app().await;
    let exported = app.get("/api/v1/exports/provisions?format=hsds").await.text;
    let before = services(&exported);
    assert!(before.len() > 500);
    empty_registry(&app);

    let ndjson = app
        .call(Method::POST, "/api/v1/imports")
        .token(&admin())
        .raw("application/x-ndjson", exported.clone())
        .send()
        .await;
    assert_eq!(
        ndjson.status,
        200,
        "{}",
        &ndjson.text[..ndjson.text.len().min(2000)]
    );
    assert_eq!(ndjson.body["created"].as_u64(), Some(before.len() as u64));
    let after = services(&app.get("/api/v1/exports/provisions?format=hsds").await.text);
    assert_eq!(after.len(), before.len());
    for (a, b) in after.iter().zip(&before) {
        let differing: Vec<(&String, &Value, &Value)> = a
            .as_object()
            .expect("object")
            .iter()
            .filter(|(k, v)| b.get(k.as_str()) != Some(v))
            .map(|(k, v)| (k, v, &b[k.as_str()]))
            .collect();
        assert!(
            differing.is_empty(),
            "{}: {:?}",
            a["id"],
            differing
                .iter()
                .map(|(k, x, y)| format!("{k}:\n{x}\n{y}"))
                .collect::<Vec<_>>()
        );
        assert_eq!(a, b, "the same service after the round trip");
    }

    // A JSON list and an HSDS page are read too; the same services change nothing.
    let list = format!(
        "[{}]",
        exported.lines().take(5).collect::<Vec<_>>().join(",")
    );
    // An HSDS page of fully nested services (list endpoints give services without locations).
    let page = format!(
        "{{\"total_items\": 3, \"contents\": [{}]}}",
        exported
            .lines()
            .skip(5)
            .take(3)
            .collect::<Vec<_>>()
            .join(",")
    );
    for (body, rows) in [(list, 5), (page, 3)] {
        let reply = app
            .call(Method::POST, "/api/v1/imports")
            .token(&admin())
            .raw("application/json", body)
            .send()
            .await;
        assert_eq!(reply.status, 200, "{}", reply.text);
        assert_eq!(reply.body["unchanged"], rows);
    }

    // Problems are named by row (the position) and the native field.
    let mut bad: Value =
        serde_json::from_str(exported.lines().next().expect("a line")).expect("JSON");
    bad["id"] = Value::from("hsds-bad-1");
    bad["service_areas"][0]["uri"] = Value::from("https://example.org/somewhere");
    bad["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] = Value::from("46");
    let reply = app
        .call(Method::POST, "/api/v1/imports")
        .token(&admin())
        .raw("application/json", format!("[{bad}]"))
        .send()
        .await;
    reply.assert_problem(400);
    let fields = reply.invalid_fields();
    assert!(
        fields.contains(&"rows[1].service_areas".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.contains(&"rows[1].locations[0].postcode".to_owned()),
        "{fields:?}"
    );
    let garbage = app
        .call(Method::POST, "/api/v1/imports")
        .token(&admin())
        .raw("application/json", "{\"a\": ")
        .send()
        .await;
    garbage.assert_problem(400);
}
