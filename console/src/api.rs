//! The officers' HTTP API under `/api`: login and session, gates, commands, alarms, photos,
//! statistics and the event stream. Every handler answers a JSON error with a 4xx for bad
//! input; none panics on it. The session, CSRF and role checks and the checks on what a
//! request names are in [`crate::guard`], shared with the gate API; the routes and who may
//! call each are in [`crate::routes`].

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::json;

use gate::OfficerCommand;

use crate::auth::{self, Officer};
use crate::link::OfficerRequest;
use crate::tls::Peer;
use crate::{guard, ApiError, AppState, SESSION_COOKIE};

/// Longest comment accepted (characters).
pub const MAX_COMMENT: usize = 500;

/// Whether a character may stay in a comment: not a control character, and not an invisible
/// format character (bidirectional overrides and isolates, zero-width characters, the BOM, the
/// soft hyphen) that would make a comment read differently from what it holds (the
/// "Trojan Source" reordering, CVE-2021-42574).
pub fn comment_char(ch: char) -> bool {
    !ch.is_control()
        && !matches!(ch,
            '\u{00AD}' | '\u{061C}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}')
}

/// A comment as kept: control and format characters removed, length checked.
fn clean_comment(c: Option<String>, required: bool) -> Result<Option<String>, ApiError> {
    // The limit is on what was sent (the documented maxLength), before anything is removed.
    if c.as_ref().is_some_and(|s| s.chars().count() > MAX_COMMENT) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "comment_too_long",
            &format!("a comment has at most {MAX_COMMENT} characters"),
        ));
    }
    let c = c.map(|s| {
        s.chars()
            .filter(|ch| comment_char(*ch))
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginBody {
    user: String,
    password: String,
}

fn session_json(o: &Officer) -> serde_json::Value {
    let actions: Vec<OfficerCommand> = crate::ALL_ACTIONS
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
            "referrals": auth::may_handle_referrals(o.role),
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
    let b: LoginBody = guard::json_body(&headers, &body)?;
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
    // Counted before the password is checked: a burst of parallel attempts is limited as
    // one sent after another would be.
    if let Err(wait) = app.limiter.begin(&keys) {
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
    let role = app
        .checker
        .check(
            Arc::clone(&app.users),
            b.user.clone(),
            zeroize::Zeroizing::new(b.password),
        )
        .await;
    let role = match role {
        Ok(r) => r,
        Err(auth::Busy) => {
            let mut r = ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "busy",
                "too many logins at once; try again",
            )
            .into_response();
            r.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
            return Ok(r);
        }
    };
    let Some(role) = role else {
        // A typed id that names no account may be a mistyped password: it is recorded only
        // as a pseudonym.
        let who = if app.users.exists(&b.user) {
            json!({ "officer": b.user })
        } else {
            json!({ "unknown_id": app.typed_ids.pseudonym("login", &b.user) })
        };
        app.audit("officer_login_failed", who);
        return Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "bad_credentials",
            "wrong user or password",
        ));
    };
    app.limiter.succeed(&keys);
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
    if let Some(t) = guard::session_token(&headers) {
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
pub async fn gates(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
) -> Json<serde_json::Value> {
    let list: Vec<serde_json::Value> = app
        .hub
        .links()
        .iter()
        .map(|l| match l.status() {
            Ok(s) => json!({ "id": l.id(), "reachable": true, "status": s }),
            Err(e) => json!({ "id": l.id(), "reachable": false, "error": e.to_string() }),
        })
        .collect();
    let mut v = json!({ "gates": list });
    auth::redact_for(o.role, &mut v);
    Json(v)
}

/// `GET /api/gates/{gate}`
pub async fn gate(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let s = guard::gate_status(&app, &id)?;
    let mut v = json!({ "id": id, "reachable": true, "status": s });
    auth::redact_for(o.role, &mut v);
    Ok(Json(v))
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
    let action: OfficerCommand = serde_json::from_value(serde_json::Value::String(action.clone()))
        .map_err(|_| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "unknown_action",
                &format!("no command {action:?}"),
            )
        })?;
    guard::role(&o, |r| auth::may_command(r, action))?;
    let link = guard::gate(&app, &id)?;
    let b: CommentBody = if body.is_empty() {
        CommentBody::default()
    } else {
        guard::json_body(&headers, &body)?
    };
    let comment = clean_comment(b.comment, false)?;
    // The command counts only once recorded: an unrecordable command is not sent.
    app.audit_required(
        "officer_command",
        json!({ "officer": o.id, "role": o.role, "gate": id, "action": action, "comment": comment }),
    )
    .await?;
    link.command(OfficerRequest {
        officer: o.id.clone(),
        role: o.role,
        action,
        comment,
    })
    .map_err(guard::unreachable)?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({ "gate": id, "action": action, "sent": true })),
    )
        .into_response())
}

/// `GET /api/referrals`: the open referrals of every gate, without their detail.
pub async fn referrals(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
) -> Json<serde_json::Value> {
    let all: Vec<_> = app.hub.links().iter().flat_map(|l| l.referrals()).collect();
    let mut v = json!({ "referrals": all });
    auth::redact_for(o.role, &mut v);
    Json(v)
}

fn referral_error(e: crate::link::ReferralError) -> ApiError {
    use crate::link::ReferralError as E;
    match e {
        E::NotFound => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_referral",
            "no such open referral",
        ),
        E::TakenByOther => ApiError::new(
            StatusCode::FORBIDDEN,
            "referral_taken",
            "another officer handles this referral",
        ),
        E::NotTaken => ApiError::new(
            StatusCode::CONFLICT,
            "referral_not_taken",
            "take the referral first",
        ),
    }
}

/// The gate link and the referral a referral route names, for an officer who may handle
/// referrals (403, then 404 `unknown_gate`, then 404 for an id that is not a number).
fn referral_of(
    app: &AppState,
    o: &Officer,
    gate: &str,
    id: &str,
) -> Result<(Arc<dyn crate::link::GateLink>, u64), ApiError> {
    guard::role(o, auth::may_handle_referrals)?;
    let link = guard::gate(app, gate)?;
    let id = id
        .parse()
        .map_err(|_| referral_error(crate::link::ReferralError::NotFound))?;
    Ok((link, id))
}

/// `POST /api/gates/{gate}/referrals/{referral}/take`: the officer handles it from now on.
pub async fn take_referral(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((gate, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (link, id) = referral_of(&app, &o, &gate, &id)?;
    let summary = link.take_referral(id, &o.id).map_err(referral_error)?;
    app.audit_required(
        "referral_taken",
        json!({ "officer": o.id, "gate": gate, "referral": id }),
    )
    .await?;
    Ok(Json(json!({ "referral": summary })))
}

/// `GET /api/gates/{gate}/referrals/{referral}`: the required action and DG1, for the
/// officer who took the referral only; never cached.
pub async fn referral(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((gate, id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let (link, id) = referral_of(&app, &o, &gate, &id)?;
    let detail = link.referral_detail(id, &o.id).map_err(referral_error)?;
    Ok(guard::never_cached(
        Json(json!({ "referral": detail })),
        None,
    ))
}

/// `POST /api/gates/{gate}/referrals/{referral}/close`: the officer who took it closes it;
/// its action and DG1 are zeroized.
pub async fn close_referral(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((gate, id)): Path<(String, String)>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (link, id) = referral_of(&app, &o, &gate, &id)?;
    // Only its holder may close it: checked before the trail records a closing.
    link.referral_detail(id, &o.id).map_err(referral_error)?;
    app.audit_required(
        "referral_closed",
        json!({ "officer": o.id, "gate": gate, "referral": id }),
    )
    .await?;
    let summary = link.close_referral(id, &o.id).map_err(referral_error)?;
    Ok(Json(json!({ "referral": summary })))
}

/// `GET /api/alarms`
pub async fn alarms(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
) -> Json<serde_json::Value> {
    let mut v = json!({ "alarms": app.hub.alarms() });
    auth::redact_for(o.role, &mut v);
    Json(v)
}

/// `POST /api/alarms/{alarm}/ack`
pub async fn ack(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    guard::role(&o, auth::may_ack)?;
    let id: u64 = id
        .parse()
        .map_err(|_| ApiError::new(StatusCode::NOT_FOUND, "unknown_alarm", "no such alarm"))?;
    let unknown = || ApiError::new(StatusCode::NOT_FOUND, "unknown_alarm", "no such alarm");
    let already = || {
        ApiError::new(
            StatusCode::CONFLICT,
            "already_acknowledged",
            "already acknowledged",
        )
    };
    let pending = app
        .hub
        .alarms()
        .into_iter()
        .find(|a| a.id == id)
        .ok_or_else(unknown)?;
    if pending.ack.is_some() {
        return Err(already());
    }
    let b: CommentBody = guard::json_body(&headers, &body)?;
    let comment = clean_comment(b.comment, true)?.unwrap_or_default();
    // Recorded first: an acknowledgement that the trail cannot hold never shows as given.
    app.audit_required(
        "alarm_acknowledged",
        json!({ "officer": o.id, "gate": pending.gate, "alarm": pending.gate_alarm_id,
                "reason": pending.reason, "comment": comment }),
    )
    .await?;
    let alarm =
        app.hub
            .ack(id, &o.id, &comment)
            .map_err(|unknown_id| if unknown_id { unknown() } else { already() })?;
    Ok(Json(json!({ "alarm": alarm })))
}

/// `GET /api/gates/{gate}/photo/{kind}`: the photo of the passage in progress, never cached.
pub async fn photo(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    guard::role(&o, auth::may_see_photos)?;
    let jpeg = guard::passage_photo(&app, &id, &kind).await?;
    Ok(guard::never_cached(jpeg, Some("image/jpeg")))
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
        guard::gate(&app, g)?;
    }
    Ok(Json(json!(app
        .hub
        .stats(q.gate.as_deref(), crate::hub::now_ms()))))
}

/// How often an open event stream checks that its session is still alive.
const STREAM_SESSION_CHECK: Duration = Duration::from_millis(500);

/// `GET /api/events`: Server-Sent Events, one JSON [`crate::hub::PageMessage`] per message.
/// The stream ends when its session does (logout, expiry, idle timeout).
pub async fn events(
    State(app): State<AppState>,
    Extension(o): Extension<Officer>,
    headers: HeaderMap,
) -> Response {
    let role = o.role;
    let rx = app.hub.subscribe();
    let token = guard::session_token(&headers).unwrap_or_default();
    let sessions = Arc::clone(&app.sessions);
    let mut tick = tokio::time::interval(STREAM_SESSION_CHECK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let stream = futures_util::stream::unfold(
        (rx, tick, sessions, token),
        move |(mut rx, mut tick, sessions, token)| async move {
            loop {
                let ev = tokio::select! {
                    r = rx.recv() => match r {
                        Ok(s) if auth::may_see_referral_reasons(role) => Event::default().data(&*s),
                        Ok(s) => {
                            let mut v: serde_json::Value =
                                serde_json::from_str(&s).unwrap_or_default();
                            auth::redact_for(role, &mut v);
                            Event::default().data(v.to_string())
                        }
                        // The page missed messages: it reloads its snapshot.
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                            Event::default().data(r#"{"kind":"resync"}"#)
                        }
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    },
                    _ = tick.tick() => {
                        sessions.peek(&token)?;
                        continue;
                    }
                };
                sessions.peek(&token)?;
                return Some((Ok::<_, Infallible>(ev), (rx, tick, sessions, token)));
            }
        },
    );
    let mut r = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
        .into_response();
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Found by Schemathesis: a space and 500 characters passed, as the length was counted
    /// after trimming; the documented maxLength is on what is sent.
    #[test]
    fn a_comment_longer_than_documented_is_refused_before_trimming() {
        let sent = format!(" {}", "*".repeat(MAX_COMMENT));
        assert!(clean_comment(Some(sent), false).is_err());
        let sent = format!("\u{200B}{}", "*".repeat(MAX_COMMENT - 1));
        assert_eq!(
            clean_comment(Some(sent), false).unwrap().map(|c| c.len()),
            Some(MAX_COMMENT - 1)
        );
    }

    #[test]
    fn comments_lose_bidi_overrides_and_zero_width_characters() {
        let c = "ok\u{202E}gnp.exe\u{202C} door\u{200B}\u{2066}x\u{2069}\u{FEFF}\t\u{7}";
        let kept = clean_comment(Some(c.into()), false).unwrap().unwrap();
        assert_eq!(kept, "okgnp.exe doorx");
        let only_invisible = clean_comment(Some("\u{200B}\u{202E}".into()), true);
        assert!(only_invisible.is_err());
        assert_eq!(
            clean_comment(Some("Grüße, 你好".into()), false)
                .unwrap()
                .as_deref(),
            Some("Grüße, 你好")
        );
    }
}
