//! HTTP hygiene on every response: security headers, and CORS — public reads (GET, HEAD) from
//! any origin, everything else only from the configured origins (`--cors-origin`).

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};

use super::AppState;

/// Headers a browser client may read.
const EXPOSED: &str = "ETag, Location, API-Version, X-Request-Id";
/// Request headers a configured origin may send.
const ALLOWED_HEADERS: &str = "Authorization, Content-Type, If-Match, X-Request-Id";
const ALL_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";
const READ_METHODS: &str = "GET, HEAD";

fn is_read(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// The request's `Origin` when it is one of the configured ones.
fn configured_origin(req: &ServiceRequest) -> (Option<HeaderValue>, bool) {
    let origin = req.headers().get(header::ORIGIN).cloned();
    let listed = origin.as_ref().is_some_and(|o| {
        req.app_data::<web::Data<AppState>>()
            .is_some_and(|s| s.cors_origins.iter().any(|c| c.as_bytes() == o.as_bytes()))
    });
    (origin, listed)
}

fn set(res: &mut actix_web::http::header::HeaderMap, name: HeaderName, value: &'static str) {
    res.insert(name, HeaderValue::from_static(value));
}

pub async fn hygiene(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let (origin, listed) = configured_origin(&req);
    let preflight = req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    if preflight {
        let asked = req
            .headers()
            .get(header::ACCESS_CONTROL_REQUEST_METHOD)
            .and_then(|m| Method::from_bytes(m.as_bytes()).ok());
        let mut res = HttpResponse::new(StatusCode::NO_CONTENT);
        let headers = res.headers_mut();
        match (&origin, listed) {
            (Some(o), true) => {
                headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o.clone());
                set(headers, header::ACCESS_CONTROL_ALLOW_METHODS, ALL_METHODS);
                set(
                    headers,
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    ALLOWED_HEADERS,
                );
            }
            (Some(_), false) if asked.as_ref().is_some_and(is_read) => {
                set(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
                set(headers, header::ACCESS_CONTROL_ALLOW_METHODS, READ_METHODS);
                set(
                    headers,
                    header::ACCESS_CONTROL_ALLOW_HEADERS,
                    "X-Request-Id",
                );
            }
            // Not allowed: no CORS headers, so the browser refuses.
            _ => {}
        }
        set(headers, header::ACCESS_CONTROL_MAX_AGE, "600");
        set(headers, header::VARY, "Origin");
        security_headers(headers, false);
        return Ok(req.into_response(res).map_into_right_body());
    }
    let read = is_read(req.method());
    let docs = req.path().starts_with("/api/v1/docs");
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    match (origin, listed) {
        (Some(o), true) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, o);
            set(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED);
            headers.append(header::VARY, HeaderValue::from_static("Origin"));
        }
        (Some(_), false) if read => {
            set(headers, header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");
            set(headers, header::ACCESS_CONTROL_EXPOSE_HEADERS, EXPOSED);
        }
        _ => {}
    }
    security_headers(headers, docs);
    Ok(res.map_into_left_body())
}

/// No sniffing, no framing, no referrer; an API response may load nothing (the interactive
/// documentation keeps its own scripts and styles).
fn security_headers(headers: &mut actix_web::http::header::HeaderMap, docs: bool) {
    set(headers, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(headers, header::X_FRAME_OPTIONS, "DENY");
    set(headers, header::REFERRER_POLICY, "no-referrer");
    if !docs {
        set(
            headers,
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; frame-ancestors 'none'",
        );
    }
}
