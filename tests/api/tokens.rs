//! Tokens fit for deployment: RS256 and ES256 verified with the public keys of a JWKS file
//! (key ids, rotation), issuer, audience, expiry and not-before with a small leeway; HS256 only
//! with a secret configured explicitly.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use actix_web::http::Method;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sociale_kaart::api::auth::{TokenSettings, TokenVerifier};
use sociale_kaart::domain::access::Role;

use crate::helpers::{SECRET, admin, spawn_app};

const ISSUER: &str = "https://login.example.org/realms/gemeenten";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/jwt")
        .join(name)
}

fn settings(jwks: &Path, secret: Option<&str>) -> TokenSettings {
    TokenSettings {
        issuer: ISSUER.to_owned(),
        audience: "sociale-kaart".to_owned(),
        hs256_secret: secret.map(|s| s.as_bytes().to_vec()),
        jwks_file: Some(jwks.to_owned()),
    }
}

fn verifier(jwks: &Path) -> TokenVerifier {
    TokenVerifier::new(&settings(jwks, None)).expect("the JWKS file loads")
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims as an identity provider sends them: `aud` a list, a role and a scope claim.
fn claims() -> Value {
    json!({"sub": "f3a1c2d4", "iss": ISSUER, "aud": ["account", "sociale-kaart"],
        "iat": now(), "exp": now() + 300, "role": "municipality-editor",
        "municipalities": ["GM0748"]})
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

/// Signs `claims` with the key file `key` (an `rsa-*` or `ec-*` PKCS#8 PEM), naming `kid`.
fn sign(key: &str, kid: Option<&str>, claims: &Value) -> String {
    let pem = std::fs::read(fixture(&format!("{key}.pem"))).expect("key file");
    let (algorithm, encoding) = if key.starts_with("rsa") {
        (
            Algorithm::RS256,
            EncodingKey::from_rsa_pem(&pem).expect("RSA key"),
        )
    } else {
        (
            Algorithm::ES256,
            EncodingKey::from_ec_pem(&pem).expect("EC key"),
        )
    };
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &encoding).expect("sign")
}

fn refusal(v: &TokenVerifier, token: &str) -> String {
    match v.verify(token) {
        Ok(p) => panic!("accepted: {p:?}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn rs256_and_es256_tokens_verify_with_the_keys_of_the_jwks_file() {
    let v = verifier(&fixture("jwks.json"));
    let rsa = v
        .verify(&sign("rsa-1", Some("rsa-1"), &claims()))
        .expect("RS256");
    assert_eq!(rsa.role, Role::MunicipalityEditor);
    assert_eq!(rsa.subject, "f3a1c2d4");
    assert!(rsa.municipalities.contains("GM0748"));
    let ec = v
        .verify(&sign("ec-1", Some("ec-1"), &claims()))
        .expect("ES256");
    assert_eq!(ec.role, Role::MunicipalityEditor);
    let single_audience = with(claims(), "aud", json!("sociale-kaart"));
    v.verify(&sign("rsa-1", Some("rsa-1"), &single_audience))
        .expect("aud as a string");

    // Within the leeway of 30 seconds, and beyond it.
    let just_expired = with(claims(), "exp", json!(now() - 10));
    v.verify(&sign("rsa-1", Some("rsa-1"), &just_expired))
        .expect("expired 10 s ago: leeway");
    let almost_valid = with(claims(), "nbf", json!(now() + 10));
    v.verify(&sign("rsa-1", Some("rsa-1"), &almost_valid))
        .expect("valid in 10 s: leeway");

    let cases = [
        (
            sign(
                "rsa-1",
                Some("rsa-1"),
                &with(claims(), "exp", json!(now() - 120)),
            ),
            "expired",
        ),
        (
            sign(
                "rsa-1",
                Some("rsa-1"),
                &with(claims(), "nbf", json!(now() + 120)),
            ),
            "not valid yet",
        ),
        (
            sign(
                "rsa-1",
                Some("rsa-1"),
                &with(claims(), "iss", json!("https://elders.example.org")),
            ),
            "issuer",
        ),
        (
            sign(
                "rsa-1",
                Some("rsa-1"),
                &with(claims(), "aud", json!(["account"])),
            ),
            "audience",
        ),
        (sign("rsa-1", None, &claims()), "no key id"),
        (
            sign("rsa-1", Some("rsa-9"), &claims()),
            "'rsa-9' is not one of the configured keys",
        ),
        (
            sign("rsa-2", Some("rsa-1"), &claims()),
            "signature is not valid",
        ),
        (
            sign("rsa-1", Some("ec-1"), &claims()),
            "verifies ES256 tokens, not RS256",
        ),
        (
            sign(
                "rsa-1",
                Some("rsa-1"),
                &with(claims(), "role", json!("superuser")),
            ),
            "not a role",
        ),
    ];
    for (token, why) in cases {
        let message = refusal(&v, &token);
        assert!(message.contains(why), "{why}: {message}");
    }
    let mut no_exp = claims();
    no_exp.as_object_mut().expect("object").remove("exp");
    assert!(refusal(&v, &sign("rsa-1", Some("rsa-1"), &no_exp)).contains("required claim"));
    assert!(refusal(&v, "not.a.token").contains("could not be read"));
}

#[test]
fn hs256_is_accepted_beside_a_jwks_file_only_with_an_explicit_secret() {
    let hs256 = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims(),
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("sign");
    let without = verifier(&fixture("jwks.json"));
    assert!(refusal(&without, &hs256).contains("HS256 tokens are not accepted"));
    let with_secret = TokenVerifier::new(&settings(&fixture("jwks.json"), Some(SECRET)))
        .expect("the JWKS file loads");
    with_secret.verify(&hs256).expect("explicit secret");
    let only_secret = TokenVerifier::hs256(SECRET.as_bytes());
    assert!(
        refusal(&only_secret, &sign("rsa-1", Some("rsa-1"), &claims())).contains("no JWKS file")
    );
}

#[test]
fn a_rotated_key_is_found_once_the_jwks_file_has_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jwks = dir.path().join("jwks.json");
    std::fs::copy(fixture("jwks.json"), &jwks).expect("copy");
    let v = verifier(&jwks);
    let new_key = sign("rsa-2", Some("rsa-2"), &claims());
    assert!(refusal(&v, &new_key).contains("'rsa-2' is not one of the configured keys"));
    std::fs::copy(fixture("jwks-rotated.json"), &jwks).expect("rotate");
    v.verify(&new_key)
        .expect("the new key, read again from the changed file");
    v.verify(&sign("rsa-1", Some("rsa-1"), &claims()))
        .expect("the old key still works");
    // A broken file keeps the keys already read.
    std::fs::write(&jwks, "{not json").expect("break");
    v.verify(&new_key).expect("known keys keep working");
    assert!(
        refusal(&v, &sign("ec-1", Some("ec-9"), &claims()))
            .contains("not one of the configured keys")
    );
}

#[test]
fn a_jwks_file_that_cannot_verify_tokens_stops_the_start() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cases = [
        (
            "{\"keys\": [{\"kty\": \"oct\", \"kid\": \"h\", \"k\": \"c2VjcmV0\"}]}",
            "only RS256 and ES256",
        ),
        (
            "{\"keys\": [{\"kty\": \"EC\", \"crv\": \"P-256\", \"x\": \"AA\", \"y\": \"AA\"}]}",
            "no key id",
        ),
        ("[1, 2]", "not a JWK set"),
    ];
    for (i, (text, why)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("jwks-{i}.json"));
        std::fs::write(&path, text).expect("write");
        match TokenVerifier::new(&settings(&path, None)) {
            Ok(_) => panic!("{why}: accepted"),
            Err(e) => assert!(e.to_string().contains(why), "{why}: {e}"),
        }
    }
    let missing = TokenVerifier::new(&settings(&dir.path().join("absent.json"), None));
    assert!(missing.is_err_and(|e| e.to_string().contains("cannot read")));
}

#[actix_web::test]
async fn the_api_takes_identity_provider_tokens_and_refuses_development_ones() {
    let mut app = spawn_app().await;
    app.state.auth = Arc::new(verifier(&fixture("jwks.json")));
    let token = sign(
        "ec-1",
        Some("ec-1"),
        &with(claims(), "role", json!("admin")),
    );
    let created = app
        .call(Method::POST, "/api/v1/organisations")
        .token(&token)
        .json(&json!({"name": "Via Keycloak"}))
        .send()
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let before = app.counts();
    let refused = app
        .call(Method::POST, "/api/v1/organisations")
        .token(&admin())
        .json(&json!({"name": "Met ontwikkelsleutel"}))
        .send()
        .await;
    refused.assert_problem(401);
    assert!(
        refused.text.contains("HS256 tokens are not accepted"),
        "{}",
        refused.text
    );
    assert_eq!(app.counts(), before);
}
