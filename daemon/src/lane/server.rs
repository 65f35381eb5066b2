//! The daemon's HTTP endpoint: `/live`, `/ready` and `/metrics` (Prometheus text format).
//!
//! `/metrics` answers loopback clients, and others only with the bearer token of `[server]
//! metrics_token_file`. The listener serves at most `[server] max_connections` connections at
//! once, with header and body deadlines ([`serve`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use prometheus::{Encoder, IntGauge, Opts, Registry, TextEncoder};

/// Shared state behind the HTTP handlers.
#[derive(Clone)]
pub struct AppState {
    /// Metrics registry; every metric is named `egate_*`.
    pub registry: Registry,
    /// Set once every adapter is up and the gate can take travellers.
    pub ready: Arc<AtomicBool>,
    /// The bearer token that lets a client from another host read `/metrics`.
    pub metrics_token: Option<Arc<zeroize::Zeroizing<String>>>,
}

impl AppState {
    /// A fresh registry with the process-level metrics registered. Every metric carries the
    /// border crossing point's code and the lanes' direction (`[gate] bcp`, `direction`)
    /// as the labels `bcp` and `direction`.
    pub fn new(gate_id: &str, bcp: &str, direction: gate::Direction) -> prometheus::Result<Self> {
        let labels = [
            ("bcp".to_string(), bcp.to_string()),
            ("direction".to_string(), direction.as_str().to_string()),
        ];
        let registry = Registry::new_custom(None, Some(labels.into_iter().collect()))?;
        let info = IntGauge::with_opts(
            Opts::new("egate_build_info", "Build information; always 1.")
                .const_label("version", env!("CARGO_PKG_VERSION"))
                .const_label("gate", gate_id),
        )?;
        info.set(1);
        registry.register(Box::new(info))?;
        let up = IntGauge::new(
            "egate_start_time_seconds",
            "Unix time at which the daemon started.",
        )?;
        up.set(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs() as i64)
                .unwrap_or(0),
        );
        registry.register(Box::new(up))?;
        Ok(Self {
            registry,
            ready: Arc::new(AtomicBool::new(false)),
            metrics_token: None,
        })
    }
}

/// The router for the health and metrics endpoints.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/live", get(|| async { "live\n" }))
        .route("/ready", get(ready))
        .route(
            "/metrics",
            get(metrics).route_layer(axum::middleware::from_fn_with_state(
                state.clone(),
                metrics_access,
            )),
        )
        .with_state(state)
}

/// Serves `app` (the health and metrics routes and whatever the gates add) on `listener`
/// until `shutdown` turns true, with `max_connections` at once, 10 s for each request's
/// headers and 10 s for its body.
pub async fn serve(
    listener: tokio::net::TcpListener,
    app: Router,
    max_connections: usize,
    shutdown: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let app = app.layer(axum::middleware::from_fn(console::body_deadline));
    let limits = console::tls::Limits {
        max_connections,
        ..console::tls::Limits::default()
    };
    console::tls::serve(listener, None, app, limits, shutdown).await;
    Ok(())
}

/// Loopback clients, or others with `Authorization: Bearer <metrics token>` (403 otherwise).
async fn metrics_access(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<console::tls::Peer>()
        .map(|p| p.0.ip());
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match (&s.metrics_token, given) {
        (Some(t), Some(g)) => console::auth::ct_eq(t.as_bytes(), g.as_bytes()),
        _ => peer.is_some_and(|ip| ip.is_loopback()),
    };
    if allowed {
        next.run(req).await
    } else {
        (
            StatusCode::FORBIDDEN,
            "metrics: loopback only, or send the bearer token of [server] metrics_token_file\n",
        )
            .into_response()
    }
}

async fn ready(State(s): State<AppState>) -> impl IntoResponse {
    if s.ready.load(Ordering::Acquire) {
        (StatusCode::OK, "ready\n")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
    }
}

async fn metrics(State(s): State<AppState>) -> impl IntoResponse {
    let encoder = TextEncoder::new();
    let mut buf = Vec::new();
    match encoder.encode(&s.registry.gather(), &mut buf) {
        Ok(()) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, encoder.format_type().to_string())],
            buf,
        ),
        Err(e) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "text/plain".to_string())],
            format!("metrics encoding failed: {e}\n").into_bytes(),
        ),
    }
}
