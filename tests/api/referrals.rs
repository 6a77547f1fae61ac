//! Referrals: only to contracted providers, only for the professional's own residents, never
//! with personal data; and the quarterly report with small counts hidden.

use actix_web::http::Method;
use serde_json::{Value, json};
use sociale_kaart::domain::access::Role;

use crate::helpers::{Reply, TestApp, admin, editor, region_admin, spawn_app, token};

fn professional(of: &[&str]) -> String {
    token(Role::Professional, of)
}

async fn post(app: &TestApp, token: &str, body: &Value) -> Reply {
    app.call(Method::POST, "/api/v1/referrals")
        .token(token)
        .json(body)
        .send()
        .await
}

fn referral(org: &str, municipality: &str, date: &str) -> Value {
    json!({
        "municipality": municipality,
        "need": "opvoedondersteuning",
        "ijwCategory": "ijw-45",
        "organisationId": org,
        "referrerType": "01",
        "date": date,
        "alternativesConsidered": [],
        "noFitReason": "none-within-reach"
    })
}

fn with(mut body: Value, key: &str, value: Value) -> Value {
    body[key] = value;
    body
}

async fn contract(
    app: &TestApp,
    org: &str,
    scope: &str,
    code: Option<&str>,
    from: &str,
    until: &str,
) {
    let reply = app
        .call(Method::POST, "/api/v1/contracts")
        .token(&admin())
        .json(
            &json!({"organisationId": org, "scope": scope, "scopeCode": code,
            "categories": ["ijw-45"], "validFrom": from, "validUntil": until}),
        )
        .send()
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
}

async fn provision(app: &TestApp, org: &str, access: &str, category: &str) -> String {
    let reply = app
        .call(Method::POST, "/api/v1/provisions")
        .token(&admin())
        .json(
            &json!({"organisationId": org, "name": format!("{access} {category}"),
            "categories": [category], "access": access, "minAge": 0, "maxAge": 23,
            "freeOfCharge": true, "locations": [],
            "serviceAreas": [{"scope": "municipality", "code": "GM0748"}]}),
        )
        .send()
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply.body["id"].as_str().expect("id").to_owned()
}

#[actix_web::test]
async fn a_referral_needs_a_contract_valid_on_that_day_for_the_residents_municipality() {
    let app = spawn_app().await;
    let local = app.organisation("Jeugdhulp Lokaal").await;
    let regional = app.organisation("Jeugdhulp Regio").await;
    let national = app.organisation("Landelijk Specialist").await;
    contract(
        &app,
        &local,
        "municipality",
        Some("GM0748"),
        "2026-01-01",
        "2026-06-30",
    )
    .await;
    contract(
        &app,
        &regional,
        "region",
        Some("JZ36"),
        "2026-01-01",
        "2026-12-31",
    )
    .await;
    contract(
        &app,
        &national,
        "national",
        None,
        "2026-03-01",
        "2026-12-31",
    )
    .await;
    let both = professional(&["GM0748", "GM1674"]);

    // The contract's first and last day count; the day after does not.
    for date in ["2026-01-01", "2026-06-30"] {
        let ok = post(&app, &both, &referral(&local, "GM0748", date)).await;
        assert_eq!(ok.status, 201, "{date}: {}", ok.text);
    }
    let ok = post(&app, &both, &referral(&local, "GM0748", "2026-06-30")).await;
    assert_eq!(
        ok.header("location"),
        Some(format!("/api/v1/referrals/{}", ok.body["id"].as_str().expect("id")).as_str())
    );
    assert_eq!(ok.body["municipality"], "GM0748");
    assert_eq!(ok.body["noFitReason"], "none-within-reach");
    let stored = app.count("referrals");

    let refusals = [
        (
            referral(&local, "GM0748", "2026-07-01"),
            "expired the day before",
        ),
        (
            referral(&local, "GM0748", "2025-12-31"),
            "starts the day after",
        ),
        (
            referral(&local, "GM1674", "2026-03-01"),
            "Bergen op Zoom's contract, resident of Roosendaal",
        ),
        (
            referral(&national, "GM0748", "2026-02-28"),
            "national contract not yet valid",
        ),
        (
            with(
                referral(&regional, "GM0748", "2026-03-01"),
                "ijwCategory",
                json!("ijw-46"),
            ),
            "category not contracted",
        ),
    ];
    for (body, why) in refusals {
        let reply = post(&app, &both, &body).await;
        reply.assert_problem(422);
        assert_eq!(reply.body["code"], "no-contract", "{why}");
        assert_eq!(reply.body["type"], "urn:sociale-kaart:problem:no-contract");
        assert!(
            reply.body["detail"]
                .as_str()
                .expect("detail")
                .contains("geen contract")
        );
    }
    assert_eq!(
        app.count("referrals"),
        stored,
        "a refused referral stores nothing"
    );

    // The region's contract covers every member; a national one covers everyone.
    let regional_ok = post(&app, &both, &referral(&regional, "GM1674", "2026-12-31")).await;
    assert_eq!(regional_ok.status, 201, "{}", regional_ok.text);
    let national_ok = post(&app, &both, &referral(&national, "GM1674", "2026-03-01")).await;
    assert_eq!(national_ok.status, 201, "{}", national_ok.text);

    // The most local contract is the one recorded.
    contract(
        &app,
        &regional,
        "municipality",
        Some("GM1674"),
        "2026-01-01",
        "2026-12-31",
    )
    .await;
    let reply = post(&app, &both, &referral(&regional, "GM1674", "2026-05-05")).await;
    let contract_id = reply.body["contractId"]
        .as_str()
        .expect("contract")
        .to_owned();
    let chosen = app.get(&format!("/api/v1/contracts/{contract_id}")).await;
    assert_eq!(chosen.body["scope"], "municipality");
}

#[actix_web::test]
async fn refused_referrals_say_why_and_store_nothing() {
    let app = spawn_app().await;
    let org = app.organisation("Jeugdhulp Zeker").await;
    contract(
        &app,
        &org,
        "municipality",
        Some("GM0748"),
        "2026-01-01",
        "2026-12-31",
    )
    .await;
    let open = provision(&app, &org, "open", "opvoedondersteuning").await;
    let indicated = provision(&app, &org, "indicated", "ijw-45").await;
    let pro = professional(&["GM0748"]);
    let good = with(
        referral(&org, "GM0748", "2026-05-01"),
        "alternativesConsidered",
        json!([open]),
    );
    let before = app.counts();

    // Personal data has no field to go in: any unknown field is refused.
    for (key, value) in [
        ("bsn", json!("123456782")),
        ("name", json!("Jan")),
        ("birthDate", json!("2015-02-03")),
        ("note", json!("vrije tekst")),
    ] {
        let reply = post(&app, &pro, &with(good.clone(), key, value)).await;
        reply.assert_problem(400);
        assert!(
            reply.body["detail"].as_str().expect("detail").contains(key),
            "{}",
            reply.text
        );
    }
    // Out of scope, the wrong role, no token.
    post(&app, &pro, &referral(&org, "GM1674", "2026-05-01"))
        .await
        .assert_problem(403);
    post(&app, &editor("GM0748"), &good)
        .await
        .assert_problem(403);
    post(&app, &region_admin(&["JZ36"]), &good)
        .await
        .assert_problem(403);
    app.call(Method::POST, "/api/v1/referrals")
        .json(&good)
        .send()
        .await
        .assert_problem(401);

    // Each invalid field is named.
    let missing = uuid::Uuid::new_v4().to_string();
    let cases = [
        (
            with(good.clone(), "alternativesConsidered", json!([missing])),
            "alternativesConsidered[0]",
        ),
        (
            with(
                good.clone(),
                "alternativesConsidered",
                json!([open, indicated]),
            ),
            "alternativesConsidered[1]",
        ),
        (
            with(good.clone(), "alternativesConsidered", json!([open, open])),
            "alternativesConsidered[1]",
        ),
        (
            with(good.clone(), "organisationId", json!(missing)),
            "organisationId",
        ),
        (with(good.clone(), "area", json!("WK167401")), "area"),
        (with(good.clone(), "need", json!("geen-categorie")), "need"),
        (
            with(good.clone(), "ijwCategory", json!("opvoedondersteuning")),
            "ijwCategory",
        ),
        (
            with(good.clone(), "referrerType", json!("99")),
            "referrerType",
        ),
        (
            with(good.clone(), "municipality", json!("GM9999")),
            "municipality",
        ),
        (with(good.clone(), "date", json!("2014-12-31")), "date"),
    ];
    for (body, field) in cases {
        let reply = post(&app, &pro, &body).await;
        reply.assert_problem(400);
        assert_eq!(
            reply.invalid_fields(),
            vec![field.to_owned()],
            "{}",
            reply.text
        );
    }
    let reason = post(
        &app,
        &pro,
        &with(good.clone(), "noFitReason", json!("geen zin")),
    )
    .await;
    reason.assert_problem(400);
    assert_eq!(app.counts(), before, "nothing was stored");

    let ok = post(&app, &pro, &with(good.clone(), "area", json!("WK074801"))).await;
    assert_eq!(ok.status, 201, "{}", ok.text);
    assert_eq!(ok.body["alternativesConsidered"], json!([open]));
    let path = ok.header("location").expect("location").to_owned();
    assert_eq!(
        app.call(Method::GET, &path).token(&pro).send().await.body,
        ok.body
    );
    let editor_view = app
        .call(Method::GET, &path)
        .token(&editor("GM0748"))
        .send()
        .await;
    assert_eq!(editor_view.status, 200, "{}", editor_view.text);
    app.call(Method::GET, &path)
        .token(&editor("GM1674"))
        .send()
        .await
        .assert_problem(403);
    app.call(Method::GET, &path)
        .token(&professional(&["GM1674"]))
        .send()
        .await
        .assert_problem(403);
    app.call(Method::GET, &path)
        .send()
        .await
        .assert_problem(401);
}

/// Records `n` referrals with the given provider, category, referrer type, wijk and whether an
/// alternative was considered.
#[allow(clippy::too_many_arguments)]
async fn record(
    app: &TestApp,
    n: usize,
    org: &str,
    municipality: &str,
    category: &str,
    referrer: &str,
    area: Option<&str>,
    considered: Option<&str>,
    date: &str,
) {
    for _ in 0..n {
        let mut body = referral(org, municipality, date);
        body["ijwCategory"] = json!(category);
        body["referrerType"] = json!(referrer);
        if let Some(a) = area {
            body["area"] = json!(a);
        }
        if let Some(p) = considered {
            body["alternativesConsidered"] = json!([p]);
            body["noFitReason"] = json!("tried-without-result");
        }
        let reply = post(app, &admin(), &body).await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
}

fn row<'a>(report: &'a Value, dimension: &str, code: &str) -> &'a Value {
    report[dimension]
        .as_array()
        .expect("rows")
        .iter()
        .find(|r| r["code"] == code)
        .map(|r| &r["referrals"])
        .unwrap_or(&Value::Null)
}

#[actix_web::test]
async fn the_quarterly_report_counts_and_hides_small_cells() {
    let app = spawn_app().await;
    let big = app.organisation("Groot Jeugdhulp").await;
    let small = app.organisation("Klein Jeugdhulp").await;
    for org in [&big, &small] {
        let body = json!({"organisationId": org, "scope": "region", "scopeCode": "JZ36",
            "categories": ["ijw-45", "ijw-46"], "validFrom": "2026-01-01"});
        let reply = app
            .call(Method::POST, "/api/v1/contracts")
            .token(&admin())
            .json(&body)
            .send()
            .await;
        assert_eq!(reply.status, 201, "{}", reply.text);
    }
    let open = provision(&app, &big, "open", "opvoedondersteuning").await;
    // Bergen op Zoom, Q2 2026: 6 + 2 + 1 referrals; one on the quarter's last day, one the day after.
    record(
        &app,
        6,
        &big,
        "GM0748",
        "ijw-45",
        "01",
        Some("WK074801"),
        Some(&open),
        "2026-04-01",
    )
    .await;
    record(
        &app,
        2,
        &small,
        "GM0748",
        "ijw-46",
        "02",
        None,
        None,
        "2026-06-30",
    )
    .await;
    record(
        &app,
        1,
        &big,
        "GM0748",
        "ijw-45",
        "02",
        Some("WK074802"),
        None,
        "2026-05-15",
    )
    .await;
    record(
        &app,
        1,
        &big,
        "GM0748",
        "ijw-45",
        "01",
        None,
        None,
        "2026-07-01",
    )
    .await;
    // Roosendaal, same quarter.
    record(
        &app,
        5,
        &small,
        "GM1674",
        "ijw-46",
        "03",
        None,
        None,
        "2026-05-01",
    )
    .await;

    let url = "/api/v1/municipalities/GM0748/referral-report?year=2026&quarter=2";
    let report = app
        .call(Method::GET, url)
        .token(&editor("GM0748"))
        .send()
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let r = &report.body;
    assert_eq!(r["subject"]["name"], "Bergen op Zoom");
    assert_eq!(
        (r["from"].clone(), r["until"].clone()),
        (json!("2026-04-01"), json!("2026-06-30"))
    );
    assert_eq!(r["referrals"], 9);
    assert_eq!(r["alternativesConsidered"], 6);
    assert_eq!(
        r["alternativesConsideredPercent"],
        Value::Null,
        "3 without: a small cell"
    );
    assert_eq!(row(r, "byIjwCategory", "ijw-45"), 7);
    assert_eq!(row(r, "byIjwCategory", "ijw-46"), "<5");
    assert_eq!(row(r, "byProvider", &big), 7);
    assert_eq!(row(r, "byProvider", &small), "<5");
    assert_eq!(row(r, "byReferrerType", "01"), 6);
    assert_eq!(row(r, "byReferrerType", "02"), "<5");
    assert_eq!(row(r, "byArea", "WK074801"), 6);
    assert_eq!(row(r, "byArea", "WK074802"), "<5");
    let names: Vec<&str> = r["byProvider"]
        .as_array()
        .expect("rows")
        .iter()
        .map(|p| p["name"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        names,
        ["Groot Jeugdhulp", "Klein Jeugdhulp"],
        "largest first"
    );
    assert!(r.get("byMunicipality").is_none());

    let csv = app
        .call(Method::GET, url)
        .token(&admin())
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type")
            .expect("type")
            .starts_with("text/csv")
    );
    for line in [
        "dimension,code,name,referrals",
        "total,GM0748,Bergen op Zoom,9",
        "provider,",
        ",Klein Jeugdhulp,<5",
    ] {
        assert!(csv.text.contains(line), "{line} in {}", csv.text);
    }

    let region = app
        .call(
            Method::GET,
            "/api/v1/regions/JZ36/referral-report?year=2026&quarter=2",
        )
        .token(&region_admin(&["JZ36"]))
        .send()
        .await;
    assert_eq!(region.status, 200, "{}", region.text);
    let g = &region.body;
    assert_eq!(g["referrals"], 14);
    assert_eq!(row(g, "byMunicipality", "GM0748"), 9);
    assert_eq!(row(g, "byMunicipality", "GM1674"), 5);
    assert_eq!(row(g, "byIjwCategory", "ijw-46"), 7);
    assert_eq!(g["alternativesConsideredPercent"], 43, "6 of 14, rounded");

    let empty = app
        .call(
            Method::GET,
            "/api/v1/municipalities/GM0748/referral-report?year=2026&quarter=1",
        )
        .token(&admin())
        .send()
        .await;
    assert_eq!(empty.body["referrals"], 0);
    assert_eq!(empty.body["byProvider"], json!([]));

    // Who may read which report.
    let cases = [
        (url, Some(region_admin(&["JZ36"])), 200),
        (url, Some(editor("GM1674")), 403),
        (url, Some(region_admin(&["JZ07"])), 403),
        (url, Some(professional(&["GM0748"])), 403),
        (url, None, 401),
        (
            "/api/v1/regions/JZ36/referral-report?year=2026&quarter=2",
            Some(editor("GM0748")),
            403,
        ),
        (
            "/api/v1/regions/JZ36/referral-report?year=2026&quarter=2",
            Some(region_admin(&["JZ07"])),
            403,
        ),
        (
            "/api/v1/regions/JZ36/referral-report?year=2026&quarter=2",
            Some(admin()),
            200,
        ),
        (
            "/api/v1/municipalities/GM0748/referral-report?year=2026&quarter=5",
            Some(admin()),
            400,
        ),
        (
            "/api/v1/municipalities/GM0748/referral-report?year=2026",
            Some(admin()),
            400,
        ),
        (
            "/api/v1/municipalities/GM9999/referral-report?year=2026&quarter=2",
            Some(admin()),
            404,
        ),
        (
            "/api/v1/regions/JZ99/referral-report?year=2026&quarter=2",
            Some(admin()),
            404,
        ),
    ];
    for (path, tok, status) in cases {
        let mut call = app.call(Method::GET, path);
        if let Some(t) = &tok {
            call = call.token(t);
        }
        let reply = call.send().await;
        assert_eq!(reply.status, status, "{path}: {}", reply.text);
    }
}

/// One HTTP/1.1 request over a fresh connection, with `X-Request-Id: <request_id>`; the status
/// and the body.
fn http(
    port: u16,
    request_id: &str,
    (method, path): (&str, &str),
    token: &str,
    body: &Value,
) -> (u16, Value) {
    use std::io::{Read, Write};
    let body = body.to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Request-Id: {request_id}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut answer = String::new();
    stream.read_to_string(&mut answer).expect("read");
    let status = answer[9..12].parse().expect("status");
    let json = answer
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, json)
}

#[test]
fn logs_hold_no_token_and_no_referral_content() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("logs.db");
    std::fs::copy(crate::helpers::sqlite_template(), &db).expect("copy the template");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_sociale-kaart"))
        .arg("serve")
        .env("DATABASE_URL", format!("sqlite://{}", db.display()))
        .env("SOCIALE_KAART_DATA_DIR", dir.path())
        .env("SOCIALE_KAART_BIND", format!("127.0.0.1:{port}"))
        .env("SOCIALE_KAART_JWT_SECRET", crate::helpers::SECRET)
        .env("SOCIALE_KAART_LOG_FORMAT", "json")
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start the server");
    let ready = (0..300).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(100));
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    });
    assert!(ready, "the server did not start");

    let admin = admin();
    let post = |id: &str, path: &str, token: &str, body: &Value| {
        http(port, id, ("POST", path), token, body)
    };
    let (status, org) = post(
        "log-check-org",
        "/api/v1/organisations",
        &admin,
        &json!({"name": "Logvrij Jeugdhulp"}),
    );
    assert_eq!(status, 201, "{org}");
    let org = org["id"].as_str().expect("id").to_owned();
    let contract = json!({"organisationId": org, "scope": "municipality", "scopeCode": "GM0748",
        "categories": ["ijw-45"], "validFrom": "2026-01-01"});
    let contracted = post("log-check-contract", "/api/v1/contracts", &admin, &contract);
    assert_eq!(contracted.0, 201);
    let pro = professional(&["GM0748"]);
    let mut body = referral(&org, "GM0748", "2026-09-17");
    body["area"] = json!("WK074803");
    body["referrerType"] = json!("05");
    body["noFitReason"] = json!("family-declined");
    let (status, recorded) = post("log-check-1", "/api/v1/referrals", &pro, &body);
    assert_eq!(status, 201, "{recorded}");
    let mut personal = body.clone();
    personal["bsn"] = json!("999999990");
    assert_eq!(
        post("log-check-2", "/api/v1/referrals", &pro, &personal).0,
        400
    );
    let refused = referral(&org, "GM0748", "2025-02-14");
    assert_eq!(
        post("log-check-3", "/api/v1/referrals", &pro, &refused).0,
        422
    );
    let forged = format!("{pro}x");
    assert_eq!(
        post("log-check-4", "/api/v1/referrals", &forged, &body).0,
        401
    );

    server.kill().expect("stop the server");
    let out = server.wait_with_output().expect("the server's output");
    let logs = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Every request was logged once with its request id (and every line logged while serving a
    // request carries it), so the checks below look at real lines.
    for (id, status) in [
        ("log-check-1", 201),
        ("log-check-2", 400),
        ("log-check-3", 422),
        ("log-check-4", 401),
    ] {
        let request_lines: Vec<&str> = logs
            .lines()
            .filter(|l| l.contains(id) && l.contains("\"http.status\""))
            .collect();
        assert_eq!(request_lines.len(), 1, "{id}:\n{logs}");
        let line = request_lines[0];
        assert!(
            line.contains("\"http.route\":\"/api/v1/referrals\""),
            "{line}"
        );
        assert!(
            line.contains(&format!("\"http.status\":{status}")),
            "{line}"
        );
    }
    for line in logs.lines().filter(|l| l.contains("\"span\"")) {
        assert!(
            line.contains("\"request.id\""),
            "a line without its request id: {line}"
        );
    }
    let signature = pro.rsplit('.').next().expect("signature");
    for secret in [
        pro.as_str(),
        signature,
        admin.rsplit('.').next().expect("signature"),
        crate::helpers::SECRET,
        "999999990",
        "WK074803",
        "family-declined",
        "2026-09-17",
        "2025-02-14",
        recorded["id"].as_str().expect("id"),
    ] {
        assert!(!logs.contains(secret), "the logs hold {secret}:\n{logs}");
    }
}
