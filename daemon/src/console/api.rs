//! The officers' HTTP API under `/api`: login and session, gates, commands, alarms, photos,
//! statistics and the event stream. Every handler answers a JSON error with a 4xx for bad
//! input; none panics on it.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use crate::bank::{OfficerAction, OfficerCommand, PhotoKind};

use super::auth::{self, Officer, Role};
use super::tls::Peer;
use super::{ApiError, AppState, SESSION_COOKIE};

/// Longest comment accepted (characters).
pub const MAX_COMMENT: usize = 500;

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

/// A comment as kept: control characters removed, length checked.
fn clean_comment(c: Option<String>, required: bool) -> Result<Option<String>, ApiError> {
    let c = c.map(|s| {
        s.chars()
            .filter(|ch| !ch.is_control())
            .collect::<String>()
            .trim()
            .to_string()
    });
    match c {
        Some(s) if s.chars().count() > MAX_COMMENT => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment_too_long",
            &format!("a comment has at most {MAX_COMMENT} characters"),
        )),
        Some(s) if s.is_empty() && required => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment_required",
            "say what was done about it",
        )),
        Some(s) if s.is_empty() => Ok(None),
        None if required => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment_required",
            "say what was done about it",
        )),
        other => Ok(other),
    }
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
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
/// `X-CSRF-Token` (403 otherwise). Puts the [`Officer`] into the request.
pub async fn require_session(
    State(app): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let Some(officer) = cookie_token(req.headers()).and_then(|t| app.sessions.get(&t)) else {
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    user: String,
    password: String,
}

fn session_json(o: &Officer) -> serde_json::Value {
    let actions: Vec<OfficerAction> = super::ALL_ACTIONS
        .into_iter()
        .filter(|a| auth::may_command(o.role, *a))
        .collect();
    json!({
        "user": o.id,
        "role": o.role,
        "csrf": o.csrf,
        "may": {
            "commands": actions,
            "ack_alarms": auth::may_ack(o.role),
            "photos": auth::may_see_photos(o.role),
        }
    })
}

/// `POST /api/login`
pub async fn login(
    State(app): State<AppState>,
    peer: Option<Extension<Peer>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let b: LoginBody = json_body(&headers, &body)?;
    if b.user.len() > 64 || b.password.len() > 1024 {
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong user or password",
        ));
    }
    let mut keys = vec![format!("u:{}", b.user)];
    if let Some(Extension(Peer(addr))) = peer {
        keys.push(format!("ip:{}", addr.ip()));
    }
    if let Some(wait) = app.limiter.blocked(&keys) {
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            &format!("too many failed logins; try again in {wait} s"),
        )
        .into_response();
        if let Ok(v) = HeaderValue::from_str(&wait.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return Ok(r);
    }
    let users = Arc::clone(&app.users);
    let (user, pw) = (b.user.clone(), zeroize::Zeroizing::new(b.password));
    let role = tokio::task::spawn_blocking(move || users.verify(&user, &pw))
        .await
        .map_err(|_| ApiError::internal("login check failed"))?;
    let Some(role) = role else {
        app.limiter.fail(&keys);
        app.audit("officer_login_failed", json!({ "officer": b.user }));
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong user or password",
        ));
    };
    app.limiter.succeed(&keys[0]);
    let (token, officer) = app.sessions.create(&b.user, role);
    app.audit(
        "officer_login",
        json!({ "officer": officer.id, "role": role }),
    );
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age={}",
        app.session_lifetime.as_secs()
    );
    let mut r = Json(session_json(&officer)).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        r.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(r)
}

/// `POST /api/logout`
pub async fn logout(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    headers: HeaderMap,
) -> Response {
    if let Some(t) = cookie_token(&headers) {
        app.sessions.remove(&t);
    }
    app.audit("officer_logout", json!({ "officer": o.id }));
    let mut r = StatusCode::NO_CONTENT.into_response();
    r.headers_mut().insert(
        header::SET_COOKIE,
        HeaderValue::from_static(
            "egate_session=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0",
        ),
    );
    r
}

/// `GET /api/session`
pub async fn session(Extension(o): Extension<Officer>) -> Json<serde_json::Value> {
    Json(session_json(&o))
}

/// `GET /api/gates`
pub async fn gates(State(app): State<AppState>) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = app
        .hub
        .links()
        .iter()
        .map(|l| match l.status() {
            Ok(s) => json!({ "id": l.id(), "reachable": true, "status": s }),
            Err(e) => json!({ "id": l.id(), "reachable": false, "error": e.to_string() }),
        })
        .collect();
    Json(json!({ "gates": list }))
}

/// `GET /api/gates/{gate}`
pub async fn gate(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let l = app
        .hub
        .link(&id)
        .ok_or_else(|| ApiError::unknown_gate(&id))?;
    let s = l
        .status()
        .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "gate_unreachable", &e.to_string()))?;
    Ok(Json(json!({ "id": id, "reachable": true, "status": s })))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    #[serde(default)]
    comment: Option<String>,
}

/// `POST /api/gates/{gate}/commands/{action}`
pub async fn command(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((id, action)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let action: OfficerAction = serde_json::from_value(serde_json::Value::String(action.clone()))
        .map_err(|_| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_action",
            &format!("no command {action:?}"),
        )
    })?;
    if !auth::may_command(o.role, action) {
        return Err(ApiError::forbidden_role(o.role));
    }
    let link = app
        .hub
        .link(&id)
        .ok_or_else(|| ApiError::unknown_gate(&id))?;
    let b: CommentBody = if body.is_empty() {
        CommentBody::default()
    } else {
        json_body(&headers, &body)?
    };
    let comment = clean_comment(b.comment, false)?;
    // The command counts only once recorded: an unrecordable command is not sent.
    app.audit_required(
        "officer_command",
        json!({ "officer": o.id, "role": o.role, "gate": id, "action": action, "comment": comment }),
    )
    .await?;
    link.command(OfficerCommand {
        officer: o.id.clone(),
        action,
        comment,
    })
    .map_err(|e| ApiError::new(StatusCode::BAD_GATEWAY, "gate_unreachable", &e.to_string()))?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "gate": id, "action": action, "sent": true })),
    )
        .into_response())
}

/// `GET /api/alarms`
pub async fn alarms(State(app): State<AppState>) -> Json<serde_json::Value> {
    Json(json!({ "alarms": app.hub.alarms() }))
}

/// `POST /api/alarms/{alarm}/ack`
pub async fn ack(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    if !auth::may_ack(o.role) {
        return Err(ApiError::forbidden_role(o.role));
    }
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "unknown_alarm", "no such alarm"))?;
    if !app.hub.alarm_exists(id) {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_alarm",
            "no such alarm",
        ));
    }
    let b: CommentBody = json_body(&headers, &body)?;
    let comment = clean_comment(b.comment, true)?.unwrap_or_default();
    let alarm = app.hub.ack(id, &o.id, &comment).map_err(|unknown| {
        if unknown {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_alarm", "no such alarm")
        } else {
            ApiError::new(
                StatusCode::CONFLICT,
                "already_acknowledged",
                "already acknowledged",
            )
        }
    })?;
    app.audit_required(
        "alarm_acknowledged",
        json!({ "officer": o.id, "gate": alarm.gate, "alarm": alarm.gate_alarm_id,
                "reason": alarm.reason, "comment": comment }),
    )
    .await?;
    Ok(Json(json!({ "alarm": alarm })))
}

/// `GET /api/gates/{gate}/photo/{kind}`: the photo of the passage in progress, never cached.
pub async fn photo(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    if !auth::may_see_photos(o.role) {
        return Err(ApiError::forbidden_role(o.role));
    }
    let kind = match kind.as_str() {
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
    let link = Arc::clone(
        app.hub
            .link(&id)
            .ok_or_else(|| ApiError::unknown_gate(&id))?,
    );
    let jpeg = tokio::task::spawn_blocking(move || link.photo(kind))
        .await
        .map_err(|_| ApiError::internal("photo fetch failed"))?;
    let Some(jpeg) = jpeg else {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "no_passage",
            "no passage in progress",
        ));
    };
    Ok((
        [
            (header::CONTENT_TYPE, "image/jpeg"),
            (header::CACHE_CONTROL, "no-store, max-age=0"),
            (header::PRAGMA, "no-cache"),
        ],
        jpeg,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
/// Query of `/api/stats`.
pub struct StatsQuery {
    /// One gate, or the whole bank when absent.
    pub gate: Option<String>,
}

/// `GET /api/stats[?gate=ID]`
pub async fn stats(
    State(app): State<AppState>,
    q: Result<Query<StatsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let Query(q) =
        q.map_err(|e| ApiError::new(StatusCode::BAD_REQUEST, "bad_query", &e.body_text()))?;
    if let Some(g) = &q.gate {
        if app.hub.link(g).is_none() {
            return Err(ApiError::unknown_gate(g));
        }
    }
    Ok(Json(json!(app
        .hub
        .stats(q.gate.as_deref(), super::hub::now_ms()))))
}

/// `GET /api/events`: Server-Sent Events, one JSON [`super::hub::PageMessage`] per message.
pub async fn events(State(app): State<AppState>) -> Response {
    let rx = app.hub.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let ev = match rx.recv().await {
            Ok(s) => Event::default().data(&*s),
            // The page missed messages: it reloads its snapshot.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                Event::default().data(r#"{"kind":"resync"}"#)
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok::<_, Infallible>(ev), rx))
    });
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// Which roles may call a state-changing endpoint (for tests and the OpenAPI document).
pub fn roles_for_action(action: OfficerAction) -> Vec<Role> {
    Role::ALL
        .into_iter()
        .filter(|r| auth::may_command(*r, action))
        .collect()
}
