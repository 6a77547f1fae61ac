//! The committed OpenAPI document is the one the code generates, and it is served.

use crate::helpers::spawn_app;

#[test]
fn committed_openapi_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json"))
            .expect("openapi/openapi.json");
    let generated = sociale_kaart::api::docs::openapi_json();
    assert!(
        committed == generated,
        "openapi/openapi.json is out of date: regenerate it with `cargo run -- openapi --output openapi/openapi.json`"
    );
}

#[actix_web::test]
async fn the_document_and_the_offline_docs_page_are_served() {
    let app = spawn_app().await;
    let doc = app.get("/api/v1/openapi.json").await;
    assert_eq!(doc.status, 200);
    assert!(
        doc.body["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1"))
    );
    assert_eq!(doc.body["servers"][0]["url"], "/api/v1");
    assert!(doc.body["paths"]["/provisions/{id}"]["patch"].is_object());
    let page = app.get("/api/v1/docs/").await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("swagger-ui"));
    let script = app.get("/api/v1/docs/swagger-ui-bundle.js").await;
    assert_eq!(
        script.status, 200,
        "Swagger UI assets must be served from the binary"
    );
}

#[test]
fn every_operation_documents_its_errors_as_problems() {
    let doc: serde_json::Value =
        serde_json::from_str(&sociale_kaart::api::docs::openapi_json()).expect("json");
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("item") {
            let responses = op["responses"].as_object().expect("responses");
            assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            for (status, response) in responses {
                if status.starts_with('2') {
                    assert!(
                        response["headers"]["API-Version"].is_object(),
                        "{method} {path} {status}"
                    );
                } else {
                    assert!(
                        response["content"]["application/problem+json"].is_object(),
                        "{method} {path} {status}"
                    );
                }
            }
            if method != "get" {
                assert!(
                    responses.contains_key("401") && responses.contains_key("403"),
                    "{method} {path}"
                );
            }
        }
    }
}
