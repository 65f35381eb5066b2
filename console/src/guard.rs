//! Request guards shared by the officers' API ([`crate::api`]) and the gate API
//! ([`crate::gate_api`]): who may call (a session and its CSRF token, the bearer token, the
//! officer's role) and the checks on what a request names (a JSON body, a gate, a photo of
//! the passage in progress), each with the JSON error it answers. The handlers call these
//! rather than spelling the checks out, so both APIs answer a given fault with the same
//! status and code.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;

use crate::auth::{self, Officer, Role};
use crate::link::{GateLink, GateStatus, LinkError, PhotoKind};
use crate::{ApiError, AppState, SESSION_COOKIE};

/// The session token from the request's cookie, if any.
pub fn session_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_string())
}

/// Middleware for everything under `/api` but login and the OpenAPI document: a live session
/// (401 otherwise) and, on any method but GET/HEAD, the session's CSRF token in
/// `X-CSRF-Token` (403 otherwise). Puts the [`Officer`] into the request. Only a request
/// that changes something (an officer's action) refreshes the session's idle time; the
/// page's own GETs (polls, the event stream) do not.
pub async fn require_session(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let reading = req.method() == Method::GET || req.method() == Method::HEAD;
    let officer = session_token(req.headers()).and_then(|t| {
        if reading {
            app.sessions.peek(&t)
        } else {
            app.sessions.get(&t)
        }
    });
    let Some(officer) = officer else {
        return ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "log in first")
            .into_response();
    };
    if req.method() != Method::GET && req.method() != Method::HEAD {
        let given = req
            .headers()
            .get("x-csrf-token")
            .map(|v| v.as_bytes())
            .unwrap_or(b"");
        if !auth::ct_eq(given, officer.csrf.as_bytes()) {
            return ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf",
                "missing or wrong X-CSRF-Token header",
            )
            .into_response();
        }
    }
    req.extensions_mut().insert(officer);
    next.run(req).await
}

/// Middleware for the gate API: 404 when it is off, 401 (with `WWW-Authenticate: Bearer`)
/// unless `Authorization: Bearer <token>` matches.
pub async fn require_token(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let Some(token) = app.gate_api_token.as_ref() else {
        return ApiError::new(StatusCode::NOT_FOUND, "not_found", "gate API off").into_response();
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    if !auth::ct_eq(given.as_bytes(), token.as_bytes()) {
        let mut r = ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", "bearer token")
            .into_response();
        r.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return r;
    }
    next.run(req).await
}

/// 403 unless the officer's role `may` (one of the permission checks in [`auth`]).
pub fn role(officer: &Officer, may: impl FnOnce(Role) -> bool) -> Result<(), ApiError> {
    if may(officer.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden_role(officer.role))
    }
}

/// Parses a JSON body after checking its content type (415) and shape (400/422).
pub fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim();
    if !mime.eq_ignore_ascii_case("application/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send Content-Type: application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        let status = if e.is_data() {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            StatusCode::BAD_REQUEST
        };
        ApiError::new(status, "bad_json", &format!("request body: {e}"))
    })
}

/// The link of the gate a request names (404 `unknown_gate` otherwise).
pub fn gate(app: &AppState, id: &str) -> Result<Arc<dyn GateLink>, ApiError> {
    app.hub
        .link(id)
        .map(Arc::clone)
        .ok_or_else(|| ApiError::unknown_gate(id))
}

/// The status of the gate a request names (404 `unknown_gate`, 502 `gate_unreachable`).
pub fn gate_status(app: &AppState, id: &str) -> Result<GateStatus, ApiError> {
    gate(app, id)?.status().map_err(unreachable)
}

/// 502 `gate_unreachable`: the gate did not answer or refused.
pub fn unreachable(e: LinkError) -> ApiError {
    ApiError::new(StatusCode::BAD_GATEWAY, "gate_unreachable", &e.to_string())
}

/// An answer that carries personal data (a photo, a referral's DG1): never cached, by the
/// browser or anything between (RFC 9111 §5.2.2.5 `no-store`; `Pragma` for HTTP/1.0 caches).
pub fn never_cached(body: impl IntoResponse, content_type: Option<&'static str>) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    if let Some(ct) = content_type {
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("no-store, max-age=0"),
    );
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    r
}

/// The photo of the passage in progress a request names: `kind` is `chip` or `live` (404
/// `unknown_photo` otherwise), then the gate (404 `unknown_gate`), then the photo, fetched
/// from the gate on a blocking thread (404 `no_passage` outside a passage).
pub async fn passage_photo(app: &AppState, id: &str, kind: &str) -> Result<Vec<u8>, ApiError> {
    let kind = match kind {
        "chip" => PhotoKind::Chip,
        "live" => PhotoKind::Live,
        _ => {
            return Err(ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_photo",
                "chip or live",
            ))
        }
    };
    let link = gate(app, id)?;
    tokio::task::spawn_blocking(move || link.photo(kind))
        .await
        .map_err(|_| ApiError::internal("photo fetch failed"))?
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "no_passage",
                "no passage in progress",
            )
        })
}
