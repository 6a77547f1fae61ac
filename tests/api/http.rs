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
