use actix_web::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{SECRET, spawn_app};
use sociale_kaart::api::auth::claims_for;
use sociale_kaart::domain::access::Role;

fn signed(claims: &serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .expect("encode")
}

fn valid_claims() -> serde_json::Value {
    serde_json::to_value(claims_for("t", Role::Admin, vec![], vec![], None, 1)).expect("claims")
}

#[actix_web::test]
async fn writes_without_a_valid_token_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let body = json!({"name": "Stichting Zonder Token"});
    let before = app.counts();

    let mut expired = valid_claims();
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 3600);
    let mut wrong_audience = valid_claims();
    wrong_audience["aud"] = json!("someone-else");
    let mut unknown_role = valid_claims();
    unknown_role["role"] = json!("superuser");
    // alg "none": a header and claims without a signature.
    let b64 = |v: &serde_json::Value| {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
    };
    let alg_none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT"})),
        b64(&valid_claims())
    );

    for (case, token) in [
        ("expired", Some(signed(&expired, SECRET))),
        (
            "wrong signature",
            Some(signed(&valid_claims(), "another-secret")),
        ),
        ("wrong audience", Some(signed(&wrong_audience, SECRET))),
        ("unknown role", Some(signed(&unknown_role, SECRET))),
        ("alg none", Some(alg_none)),
        ("garbage", Some("not.a.token".to_owned())),
        ("missing", None),
    ] {
        let mut call = app.call(Method::POST, "/api/v1/organisations").json(&body);
        if let Some(t) = &token {
            call = call.token(t);
        }
        let reply = call.send().await;
        reply.assert_problem(401);
        assert_eq!(reply.header("www-authenticate"), Some("Bearer"), "{case}");
    }
    assert_eq!(app.counts(), before);
}

#[actix_web::test]
async fn public_reads_need_no_token() {
    let app = spawn_app().await;
    for uri in [
        "/api/v1/regions",
        "/api/v1/provisions",
        "/api/v1/contracts",
        "/api/v1/organisations",
        "/api/v1/categories",
    ] {
        assert_eq!(app.get(uri).await.status, 200, "{uri}");
    }
}
