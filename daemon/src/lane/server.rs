//! The daemon's HTTP endpoint: `/live`, `/ready` and `/metrics` (Prometheus text format).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
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
}

impl AppState {
    /// A fresh registry with the process-level metrics registered.
    pub fn new(gate_id: &str) -> prometheus::Result<Self> {
        let registry = Registry::new();
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
        })
    }
}

/// The router for the health and metrics endpoints.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/live", get(|| async { "live\n" }))
        .route("/ready", get(ready))
        .route("/metrics", get(metrics))
        .with_state(state)
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
