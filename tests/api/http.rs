//! HTTP conventions: problem+json for every error, API-Version, no trailing slashes.

use actix_web::http::Method;

use crate::helpers::{MAX_BODY, admin, spawn_app};

#[actix_web::test]
async fn unknown_routes_and_trailing_slashes_are_problems() {
    let app = spawn_app().await;
    for uri in [
        "/api/v1/nothing-here",
        "/api/v1/regions/",
        "/api/v2/regions",
        "/",
    ] {
        let reply = app.get(uri).await;
        reply.assert_problem(404);
        assert_eq!(reply.body["instance"], uri.split('?').next().unwrap_or(uri));
        assert_eq!(reply.header("api-version"), Some("1.0.0"));
    }
}

#[actix_web::test]
async fn unsupported_methods_get_405() {
    let app = spawn_app().await;
    app.call(Method::DELETE, "/api/v1/regions")
        .token(&admin())
        .send()
        .await
        .assert_problem(405);
    app.call(Method::POST, "/api/v1/municipalities/GM0748")
        .send()
        .await
        .assert_problem(405);
}

#[actix_web::test]
async fn malformed_json_wrong_content_type_and_oversized_bodies_are_refused() {
    let app = spawn_app().await;
    let before = app.counts();
    let post = || {
        app.call(Method::POST, "/api/v1/organisations")
            .token(&admin())
    };
    post()
        .raw("application/json", "{\"name\": ")
        .send()
        .await
        .assert_problem(400);
    post()
        .raw("application/json", "[1, 2]")
        .send()
        .await
        .assert_problem(400);
    post()
        .raw("text/plain", "name=x")
        .send()
        .await
        .assert_problem(415);
    let huge = format!("{{\"name\": \"{}\"}}", "x".repeat(MAX_BODY + 1));
    post()
        .raw("application/json", huge)
        .send()
        .await
        .assert_problem(413);
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn health_endpoints_answer() {
    let app = spawn_app().await;
    assert_eq!(app.get("/health/live").await.body["status"], "up");
    assert_eq!(app.get("/health/ready").await.body["status"], "up");
}

#[actix_web::test]
async fn every_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let replies = [
        app.get("/api/v1/regions").await,
        app.get("/api/v1/nothing-here").await,
        app.call(Method::POST, "/api/v1/organisations").send().await,
        app.get("/api/v1/regions/JZ36/coverage/map.svg?category=jgz")
            .await,
    ];
    for reply in &replies {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
        assert_eq!(reply.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(
            reply.header("content-security-policy"),
            Some("default-src 'none'; frame-ancestors 'none'")
        );
        assert!(reply.header("x-request-id").is_some());
    }
}

#[actix_web::test]
async fn public_reads_are_open_to_any_origin_and_writes_only_to_configured_ones() {
    let mut app = spawn_app().await;
    app.state.cors_origins = vec!["https://kaart.example.nl".to_owned()].into();
    let read = app
        .call(Method::GET, "/api/v1/regions")
        .header("Origin", "https://elders.example.org")
        .send()
        .await;
    assert_eq!(read.status, 200);
    assert_eq!(read.header("access-control-allow-origin"), Some("*"));
    assert!(
        read.header("access-control-expose-headers")
            .is_some_and(|h| h.contains("ETag"))
    );

    let preflight = |origin: &'static str, method: &'static str| {
        app.call(Method::OPTIONS, "/api/v1/provisions")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", method)
    };
    let get = preflight("https://elders.example.org", "GET").send().await;
    assert_eq!(get.status, 204);
    assert_eq!(get.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        get.header("access-control-allow-methods"),
        Some("GET, HEAD")
    );
    let post = preflight("https://elders.example.org", "POST").send().await;
    assert_eq!(
        post.header("access-control-allow-origin"),
        None,
        "not a configured origin"
    );
    let own = preflight("https://kaart.example.nl", "POST").send().await;
    assert_eq!(own.status, 204);
    assert_eq!(
        own.header("access-control-allow-origin"),
        Some("https://kaart.example.nl")
    );
    assert!(
        own.header("access-control-allow-methods")
            .is_some_and(|m| m.contains("POST"))
    );
    assert!(
        own.header("access-control-allow-headers")
            .is_some_and(|h| h.contains("Authorization"))
    );

    let before = app.counts();
    let write = app
        .call(Method::POST, "/api/v1/organisations")
        .header("Origin", "https://elders.example.org")
        .token(&admin())
        .json(&serde_json::json!({"name": "Elders"}))
        .send()
        .await;
    assert_eq!(
        write.header("access-control-allow-origin"),
        None,
        "a browser does not show another origin's write its answer"
    );
    let own_write = app
        .call(Method::POST, "/api/v1/organisations")
        .header("Origin", "https://kaart.example.nl")
        .token(&admin())
        .json(&serde_json::json!({"name": "Eigen"}))
        .send()
        .await;
    assert_eq!(own_write.status, 201, "{}", own_write.text);
    assert_eq!(
        own_write.header("access-control-allow-origin"),
        Some("https://kaart.example.nl")
    );
    assert_eq!(
        app.counts()[0],
        before[0] + 2,
        "CORS is for browsers; the server still authorises"
    );
}
