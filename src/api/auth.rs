//! Bearer tokens (JWT): verification for requests, minting for development.

use std::collections::{BTreeSet, HashMap};
use std::future::{Ready, ready};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet, KeyAlgorithm};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

use super::AppState;
use crate::domain::access::{Principal, Role};
use crate::error::ApiError;

/// Issuer and audience of the tokens this service mints, and accepts unless configured otherwise.
pub const ISSUER: &str = "sociale-kaart";
pub const AUDIENCE: &str = "sociale-kaart";

/// Clock skew allowed on `exp` and `nbf`, in seconds.
const LEEWAY_S: u64 = 30;

/// The claims of a token this service mints.
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

/// What sociale-kaart reads of a verified token. `iss`, `aud` (a string or a list, as identity
/// providers send it), `exp` and `nbf` are checked by the validation before this is read.
#[derive(Debug, Deserialize)]
struct Grant {
    sub: String,
    role: String,
    #[serde(default)]
    municipalities: Vec<String>,
    #[serde(default)]
    regions: Vec<String>,
    #[serde(default)]
    organisation: Option<String>,
}

/// How tokens are verified: from the settings.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    pub issuer: String,
    pub audience: String,
    /// HS256 shared secret; `None` refuses HS256 tokens.
    pub hs256_secret: Option<Vec<u8>>,
    /// A JWKS file with the public keys of RS256 and ES256 tokens.
    pub jwks_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the JWKS file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the JWKS file {path} is not a JWK set: {source}")]
    Parse {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("key {index} of the JWKS file {path}: {why}")]
    Key {
        path: PathBuf,
        index: usize,
        why: String,
    },
}

/// The public keys of a JWKS file by key id, each with the one algorithm it verifies.
struct KeySet {
    keys: HashMap<String, (Algorithm, DecodingKey)>,
    /// Length and modification time of the file as read: a change means a rotation.
    stamp: Option<(u64, std::time::SystemTime)>,
}

fn file_stamp(path: &Path) -> Option<(u64, std::time::SystemTime)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.len(), meta.modified().ok()?))
}

impl KeySet {
    fn load(path: &Path) -> Result<Self, KeyError> {
        let stamp = file_stamp(path);
        let text = std::fs::read_to_string(path).map_err(|source| KeyError::Read {
            path: path.to_owned(),
            source,
        })?;
        let set: JwkSet = serde_json::from_str(&text).map_err(|source| KeyError::Parse {
            path: path.to_owned(),
            source,
        })?;
        let mut keys = HashMap::new();
        for (index, jwk) in set.keys.iter().enumerate() {
            let fail = |why: String| KeyError::Key {
                path: path.to_owned(),
                index,
                why,
            };
            let kid = jwk
                .common
                .key_id
                .clone()
                .ok_or_else(|| fail("it has no key id (kid)".into()))?;
            let algorithm = match (&jwk.algorithm, jwk.common.key_algorithm) {
                (_, Some(KeyAlgorithm::RS256)) | (AlgorithmParameters::RSA(_), None) => {
                    Algorithm::RS256
                }
                (_, Some(KeyAlgorithm::ES256)) | (AlgorithmParameters::EllipticCurve(_), None) => {
                    Algorithm::ES256
                }
                (_, other) => {
                    return Err(fail(format!(
                        "only RS256 and ES256 keys are accepted, not {}",
                        other.map_or("this key type".to_owned(), |a| a.to_string())
                    )));
                }
            };
            let key = DecodingKey::from_jwk(jwk).map_err(|e| fail(e.to_string()))?;
            if keys.insert(kid.clone(), (algorithm, key)).is_some() {
                return Err(fail(format!("the key id {kid} is used twice")));
            }
        }
        Ok(Self { keys, stamp })
    }
}

/// The JWKS file and the keys last read from it. A token with an unknown key id makes it read
/// the file again when the file has changed, so keys rotate without a restart.
struct Jwks {
    path: PathBuf,
    current: RwLock<Arc<KeySet>>,
}

impl Jwks {
    fn key(&self, kid: &str) -> Result<(Algorithm, DecodingKey), ApiError> {
        let current = self
            .current
            .read()
            .map(|k| k.clone())
            .map_err(|_| ApiError::Internal("the key set lock is poisoned".into()))?;
        if let Some(found) = current.keys.get(kid) {
            return Ok(found.clone());
        }
        if file_stamp(&self.path) != current.stamp {
            match KeySet::load(&self.path) {
                Ok(fresh) => {
                    tracing::info!(keys = fresh.keys.len(), "JWKS file read again");
                    let fresh = Arc::new(fresh);
                    if let Ok(mut slot) = self.current.write() {
                        *slot = fresh.clone();
                    }
                    if let Some(found) = fresh.keys.get(kid) {
                        return Ok(found.clone());
                    }
                }
                Err(e) => tracing::warn!(error = %e, "JWKS file not read again; the old keys stay"),
            }
        }
        Err(ApiError::Unauthorized(format!(
            "the token's key id '{kid}' is not one of the configured keys"
        )))
    }
}

/// Verifies bearer tokens: RS256 and ES256 with the public keys of a JWKS file (deployment),
/// HS256 with a shared secret (development, or when configured explicitly).
pub struct TokenVerifier {
    issuer: String,
    audience: String,
    hs256: Option<DecodingKey>,
    jwks: Option<Jwks>,
}

impl TokenVerifier {
    pub fn new(settings: &TokenSettings) -> Result<Self, KeyError> {
        let jwks = match &settings.jwks_file {
            Some(path) => Some(Jwks {
                current: RwLock::new(Arc::new(KeySet::load(path)?)),
                path: path.clone(),
            }),
            None => None,
        };
        Ok(Self {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            hs256: settings
                .hs256_secret
                .as_deref()
                .map(DecodingKey::from_secret),
            jwks,
        })
    }

    /// Only HS256 with `secret`, this service's issuer and audience (tests, tools).
    pub fn hs256(secret: &[u8]) -> Self {
        Self {
            issuer: ISSUER.to_owned(),
            audience: AUDIENCE.to_owned(),
            hs256: Some(DecodingKey::from_secret(secret)),
            jwks: None,
        }
    }

    fn key_for(&self, header: &Header) -> Result<(Algorithm, DecodingKey), ApiError> {
        match header.alg {
            Algorithm::HS256 => self.hs256.clone().map(|k| (Algorithm::HS256, k)).ok_or_else(|| {
                ApiError::Unauthorized(
                    "HS256 tokens are not accepted here; use a token of the identity provider (RS256 or ES256)".into(),
                )
            }),
            Algorithm::RS256 | Algorithm::ES256 => {
                let jwks = self.jwks.as_ref().ok_or_else(|| {
                    ApiError::Unauthorized(
                        "RS256 and ES256 tokens are not accepted: no JWKS file is configured".into(),
                    )
                })?;
                let kid = header.kid.as_deref().ok_or_else(|| {
                    ApiError::Unauthorized("the token's header has no key id (kid)".into())
                })?;
                let (algorithm, key) = jwks.key(kid)?;
                if algorithm != header.alg {
                    return Err(ApiError::Unauthorized(format!(
                        "key '{kid}' verifies {algorithm:?} tokens, not {:?}",
                        header.alg
                    )));
                }
                Ok((algorithm, key))
            }
            other => Err(ApiError::Unauthorized(format!(
                "{other:?} tokens are not accepted; use RS256 or ES256"
            ))),
        }
    }

    pub fn verify(&self, token: &str) -> Result<Principal, ApiError> {
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| ApiError::Unauthorized("the token could not be read".into()))?;
        let (algorithm, key) = self.key_for(&header)?;
        let mut validation = Validation::new(algorithm);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_S;
        let data = jsonwebtoken::decode::<Grant>(token, &key, &validation).map_err(|e| {
            use jsonwebtoken::errors::ErrorKind as K;
            let why = match e.kind() {
                K::ExpiredSignature => "the token has expired",
                K::InvalidSignature => "the token's signature is not valid",
                K::InvalidIssuer => "the token was not issued by the configured issuer",
                K::InvalidAudience => "the token is not meant for sociale-kaart (audience)",
                K::InvalidAlgorithm => "the token is not signed with an accepted algorithm",
                K::ImmatureSignature => "the token is not valid yet (nbf)",
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

fn principal_from(grant: Grant) -> Result<Principal, ApiError> {
    let role = Role::parse(&grant.role).map_err(ApiError::Unauthorized)?;
    Ok(Principal {
        subject: grant.sub,
        role,
        municipalities: grant.municipalities.into_iter().collect::<BTreeSet<_>>(),
        regions: grant.regions.into_iter().collect(),
        organisation: grant.organisation,
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
