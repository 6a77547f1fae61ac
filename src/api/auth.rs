//! Bearer tokens (JWT): verification for requests, minting for development.

use std::collections::BTreeSet;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::domain::access::{Principal, Role};
use crate::error::ApiError;

/// Issuer and audience of the tokens this service mints and accepts.
pub const ISSUER: &str = "sociale-kaart";
pub const AUDIENCE: &str = "sociale-kaart";

/// The claims sociale-kaart reads.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    pub role: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub municipalities: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<String>,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub exp: i64,
}

/// Verifies tokens signed with the configured HS256 secret.
pub struct TokenVerifier {
    key: DecodingKey,
    validation: Validation,
}

impl TokenVerifier {
    pub fn hs256(secret: &[u8]) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.leeway = 30;
        Self {
            key: DecodingKey::from_secret(secret),
            validation,
        }
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let data =
            jsonwebtoken::decode::<Claims>(token, &self.key, &self.validation).map_err(|e| {
                use jsonwebtoken::errors::ErrorKind as K;
                let why = match e.kind() {
                    K::ExpiredSignature => "the token has expired",
                    K::InvalidSignature => "the token's signature is not valid",
                    K::InvalidIssuer => "the token was not issued by sociale-kaart",
                    K::InvalidAudience => "the token is not meant for sociale-kaart",
                    K::InvalidAlgorithm => "the token is not signed with an accepted algorithm",
                    K::ImmatureSignature => "the token is not valid yet",
                    K::MissingRequiredClaim(_) => {
                        "the token lacks a required claim (sub, exp, iss, aud)"
                    }
                    _ => "the token could not be read",
                };
                ApiError::Unauthorized(why.into())
            })?;
        principal_from(data.claims)
    }
}

fn principal_from(claims: Claims) -> Result<Principal, ApiError> {
    let role = Role::parse(&claims.role).map_err(ApiError::Unauthorized)?;
    Ok(Principal {
        subject: claims.sub,
        role,
        municipalities: claims.municipalities.into_iter().collect::<BTreeSet<_>>(),
        regions: claims.regions.into_iter().collect(),
        organisation: claims.organisation,
    })
}

/// Signs a development token (HS256) for the `token` subcommand and the tests.
pub fn mint(secret: &[u8], claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
}

/// Claims for a new token valid for `hours`.
pub fn claims_for(
    subject: &str,
    role: Role,
    municipalities: Vec<String>,
    regions: Vec<String>,
    organisation: Option<String>,
    hours: i64,
) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: subject.to_owned(),
        role: role.as_str().to_owned(),
        municipalities,
        regions,
        organisation,
        iss: ISSUER.to_owned(),
        aud: AUDIENCE.to_owned(),
        iat: now,
        exp: now + hours * 3600,
    }
}

/// The authenticated caller of a write or non-public read. Extracting it is the authentication.
#[derive(Debug, Clone)]
pub struct Authenticated(pub Principal);

impl FromRequest for Authenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(authenticate(req).map(Authenticated))
    }
}

/// The caller of a public read that shows more to some: `None` without a token; a token that is
/// sent must be valid.
#[derive(Debug, Clone)]
pub struct MaybeAuthenticated(pub Option<Principal>);

impl FromRequest for MaybeAuthenticated {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().contains_key(header::AUTHORIZATION) {
            true => authenticate(req).map(|p| MaybeAuthenticated(Some(p))),
            false => Ok(MaybeAuthenticated(None)),
        })
    }
}

fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("application state missing".into()))?;
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::Unauthorized("this needs a bearer token (Authorization: Bearer …)".into())
    })?;
    let token = value
        .to_str()
        .ok()
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthorized("the Authorization header must be 'Bearer <token>'".into())
        })?;
    state.auth.verify(token)
}
