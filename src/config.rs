//! Settings from the environment (each also a command-line flag); sensible embedded defaults.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct Settings {
    /// Database URL: `sqlite://path/to/file.db` (default under the data directory) or
    /// `postgres://user@host:port/database`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Directory for the embedded SQLite database and the development token secret.
    #[arg(long, env = "SOCIALE_KAART_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Shared secret for HS256 tokens. Without it a random development secret is kept in
    /// `<data dir>/jwt-secret` (created on first use).
    #[arg(long, env = "SOCIALE_KAART_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,

    /// A JWKS file (JSON Web Key Set, as an OpenID Connect provider publishes at its `jwks_uri`)
    /// with the public keys that verify RS256 and ES256 tokens; each key needs a `kid`. Read
    /// again when a token names an unknown key and the file has changed (key rotation). With
    /// it, HS256 tokens are accepted only when `--jwt-secret` is set explicitly.
    #[arg(long, env = "SOCIALE_KAART_JWKS_FILE")]
    pub jwks_file: Option<PathBuf>,

    /// The `iss` every token must carry (an OpenID Connect provider's issuer URL).
    #[arg(
        long,
        env = "SOCIALE_KAART_TOKEN_ISSUER",
        default_value = "sociale-kaart"
    )]
    pub token_issuer: String,

    /// The `aud` every token must carry (one of them, when it is a list).
    #[arg(
        long,
        env = "SOCIALE_KAART_TOKEN_AUDIENCE",
        default_value = "sociale-kaart"
    )]
    pub token_audience: String,

    /// Log format: `pretty` for a terminal, `json` for log collectors.
    #[arg(long, env = "SOCIALE_KAART_LOG_FORMAT", default_value = "pretty")]
    pub log_format: LogFormat,

    /// Database connections per instance.
    #[arg(long, env = "SOCIALE_KAART_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Args)]
pub struct ServeSettings {
    /// Address and port to listen on.
    #[arg(long, env = "SOCIALE_KAART_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,

    /// Largest request body accepted, in bytes (larger ones get 413).
    #[arg(
        long,
        env = "SOCIALE_KAART_MAX_BODY_BYTES",
        default_value_t = 1_048_576
    )]
    pub max_body_bytes: usize,

    /// Seed reference data and the synthetic demo set when the database is empty.
    #[arg(long, env = "SOCIALE_KAART_SEED_WHEN_EMPTY", default_value_t = true, action = clap::ArgAction::Set)]
    pub seed_when_empty: bool,

    /// Browser origins (`https://host[:port]`, comma-separated) allowed to write and to send
    /// tokens cross-origin; public reads (GET) are open to any origin.
    #[arg(
        long = "cors-origin",
        env = "SOCIALE_KAART_CORS_ORIGINS",
        value_delimiter = ','
    )]
    pub cors_origins: Vec<String>,

    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "SOCIALE_KAART_WORKERS")]
    pub workers: Option<usize>,
}

impl Settings {
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}",
                self.data_dir.join("sociale-kaart.db").display()
            )
        })
    }

    /// How tokens are verified. Without a JWKS file this is a development setup: HS256 with the
    /// configured secret or the development one. With a JWKS file, HS256 only with a secret
    /// configured explicitly.
    pub fn token_settings(&self) -> std::io::Result<crate::api::auth::TokenSettings> {
        let hs256_secret = match (&self.jwks_file, &self.jwt_secret) {
            (None, _) => Some(self.jwt_secret()?),
            (Some(_), Some(secret)) => Some(secret.as_bytes().to_vec()),
            (Some(_), None) => None,
        };
        Ok(crate::api::auth::TokenSettings {
            issuer: self.token_issuer.clone(),
            audience: self.token_audience.clone(),
            hs256_secret,
            jwks_file: self.jwks_file.clone(),
        })
    }

    /// The HS256 secret: configured, or the development one kept in the data directory.
    pub fn jwt_secret(&self) -> std::io::Result<Vec<u8>> {
        if let Some(secret) = &self.jwt_secret {
            return Ok(secret.as_bytes().to_vec());
        }
        let path = self.data_dir.join("jwt-secret");
        match std::fs::read_to_string(&path) {
            Ok(s) if !s.trim().is_empty() => Ok(s.trim().as_bytes().to_vec()),
            _ => {
                std::fs::create_dir_all(&self.data_dir)?;
                let secret = format!(
                    "{}{}",
                    uuid::Uuid::new_v4().simple(),
                    uuid::Uuid::new_v4().simple()
                );
                write_private(&path, &secret)?;
                Ok(secret.into_bytes())
            }
        }
    }
}

/// Writes a file only its owner can read (a secret).
fn write_private(path: &std::path::Path, content: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(content.as_bytes())
}
