//! The gate API under `/gate-api/v1`: what a remote console (`egate console --gates FILE`)
//! asks a gate daemon, authenticated by a bearer token shared between the two
//! (`[console] gate_api_token_file` here, `token_file` in the console's gates file).
//!
//! - `GET  /gates` — every gate's status
//! - `GET  /gates/{gate}` — one gate's status
//! - `GET  /events` — Server-Sent Events, one [`crate::link::GateEvent`] as JSON per message
//! - `POST /gates/{gate}/commands` — a [`SignedCommand`]: only from a console that presents
//!   a client certificate signed by `[console] gate_api_client_ca_file` (mutual TLS), and only
//!   for the officer and role it signed ([`crate::assertion`]), audited here too
//! - `GET  /gates/{gate}/photo/{chip|live}` — a photo of the passage in progress, `no-store`
//!
//! The routes are in [`crate::routes`]; the token check and the checks on what a request
//! names are in [`crate::guard`], shared with the officers' API.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use axum::Json;
use serde_json::json;

use crate::assertion::{Refusal, SignedCommand};
use crate::link::{GateStatus, OfficerRequest};
use crate::tls::ClientCert;
use crate::{api, guard, ApiError, AppState};

/// `GET /gates`
pub async fn gates(State(app): State<AppState>) -> Json<serde_json::Value> {
    let list: Vec<_> = app
        .hub
        .links()
        .iter()
        .filter_map(|l| l.status().ok())
        .collect();
    Json(json!({ "gates": list }))
}

/// `GET /gates/{gate}`
pub async fn gate(
    State(app): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<GateStatus>, ApiError> {
    guard::gate_status(&app, &id).map(Json)
}

/// `POST /gates/{gate}/commands`: a [`SignedCommand`] over mutual TLS. The officer, role,
/// action and comment are those of the assertion, signed with the key of the client
/// certificate on this connection ([`crate::assertion`]); the request names no officer of
/// its own.
pub async fn command(
    State(app): State<AppState>,
    Path(id): Path<String>,
    cert: Option<Extension<ClientCert>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let link = guard::gate(&app, &id)?;
    let cert = cert.map(|Extension(c)| c);
    let Some(cert) = cert else {
        return Err(refused(Refusal::NoCertificate));
    };
    let signed: SignedCommand = guard::json_body(&headers, &body)?;
    let a = app
        .assertions
        .accept(&signed, Some(&cert.0), &id, crate::hub::now_ms())
        .map_err(refused)?;
    let comment = a.comment.map(|c| {
        c.chars()
            .filter(|ch| api::comment_char(*ch))
            .take(api::MAX_COMMENT)
            .collect::<String>()
    });
    app.audit_required(
        "officer_command",
        json!({ "officer": a.officer, "role": a.role, "gate": id, "action": a.action,
                "comment": comment, "via": "gate_api",
                "console": crate::tls::fingerprint(&cert.0) }),
    )
    .await?;
    link.command(OfficerRequest {
        officer: a.officer,
        role: a.role,
        action: a.action,
        comment,
    })
    .map_err(guard::unreachable)?;
    Ok((StatusCode::ACCEPTED, Json(json!({ "sent": true }))).into_response())
}

/// The JSON error of a refused assertion.
fn refused(r: Refusal) -> ApiError {
    let (status, code) = r.status();
    ApiError::new(status, code, &r.to_string())
}

/// `GET /gates/{gate}/photo/{kind}`
pub async fn photo(
    State(app): State<AppState>,
    Path((id, kind)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let jpeg = guard::passage_photo(&app, &id, &kind).await?;
    Ok(guard::never_cached(jpeg, Some("image/jpeg")))
}

/// `GET /events`: raw gate events of every gate of this daemon.
pub async fn events(State(app): State<AppState>) -> Response {
    let (tx, rx) = tokio::sync::mpsc::channel::<String>(1024);
    for link in app.hub.links() {
        let mut sub = link.subscribe();
        let tx = tx.clone();
        tokio::spawn(async move {
            loop {
                let msg = match sub.recv().await {
                    Ok(ev) => match serde_json::to_string(&ev) {
                        Ok(s) => s,
                        Err(_) => continue,
                    },
                    Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                        r#"{"resync":true}"#.to_string()
                    }
                    Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
                };
                // The client went away: stop forwarding.
                if tx.send(msg).await.is_err() {
                    break;
                }
            }
        });
    }
    drop(tx);
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        let s = rx.recv().await?;
        Some((Ok::<_, Infallible>(Event::default().data(s)), rx))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(5)))
        .into_response()
}
