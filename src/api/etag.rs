//! Optimistic concurrency: `ETag` from the resource version, `If-Match` on writes.

use actix_web::HttpRequest;
use actix_web::http::header;

use crate::error::ApiError;

pub fn etag(version: i64) -> String {
    format!("\"{version}\"")
}

/// The `If-Match` precondition of a request, read before the work moves to a worker thread.
#[derive(Debug, Clone, Default)]
pub struct IfMatch(Option<String>);

impl IfMatch {
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        match req.headers().get(header::IF_MATCH) {
            None => Ok(IfMatch(None)),
            Some(v) => v
                .to_str()
                .map(|s| IfMatch(Some(s.to_owned())))
                .map_err(|_| ApiError::BadRequest("If-Match is not readable text".into())),
        }
    }

    /// Passes when absent, `*`, or naming the current version. If-Match compares strongly
    /// (RFC 9110 §13.1.1), so a weak tag `W/"n"` never matches.
    pub fn check(&self, current: i64) -> Result<(), ApiError> {
        let Some(value) = &self.0 else {
            return Ok(());
        };
        let matches = value
            .split(',')
            .map(str::trim)
            .any(|tag| tag == "*" || tag == etag(current));
        if matches {
            Ok(())
        } else {
            Err(ApiError::PreconditionFailed(format!(
                "the resource has changed: its current version is {current} (ETag {}); fetch it again and reapply your change",
                etag(current)
            )))
        }
    }
}
