//! The officers' supervision console: an HTTPS web UI and JSON API over a bank of gates, and
//! the bearer-token gate API that a remote console talks to.
//!
//! The console sees gates only through [`GateLink`]s (in-process [`link::LocalGate`]s in
//! `egate run`, [`remote::RemoteGate`]s in `egate console --gates FILE`); an officer's button
//! becomes a [`link::OfficerRequest`] carrying a [`gate::OfficerCommand`] that the gate's
//! driver loop hands to the gate. It never drives hardware.
//!
//! # How a daemon starts it
//!
//! `egate run`, with the simulated bank's (or the real gate's) [`link::LocalGate`]s:
//!
//! ```text
//! let env = console::Env { audit: audit.clone(), simulation: cfg.dangerous.simulation,
//!                          state_dir: cfg.state_dir(), json_logs, gates_write_here: true };
//! let console = console::start_for_daemon(&bank.links, &cfg.console, env, stop_rx.clone())
//!     .await?;                                // Option<Console>: None if [console] enabled = false
//! // ... after stop_tx.send(true):
//! if let Some(c) = console { let _ = tokio::time::timeout(grace, c.task).await; }
//! ```
//!
//! or, over any links (what `egate console --gates FILE` does with its remote ones):
//!
//! ```text
//! let audit = Arc::new(std::sync::Mutex::new(audit_log));      // audit::AuditLog
//! let console = console::start(links, &cfg.console, env, stop_rx.clone()).await?;
//! // binds, logs "console listening"; on shutdown: stop_tx.send(true); console.task.await
//! ```
//!
//! `start` binds `[console] listen` (port 0 allowed; the bound address is in
//! [`Console::addr`] and in the log line `console listening addr=...`), loads the users file
//! (under `simulation` with no users file, writes demo accounts with one-time passwords next
//! to the audit trail and prints them), loads or generates the TLS certificate (its SHA-256
//! fingerprint is logged), and serves until the shutdown watch turns true.
//!
//! # Security
//!
//! Officers log in with argon2id-hashed passwords ([`auth`]); the session cookie is HttpOnly,
//! Secure, SameSite=Strict; every non-GET request needs the session's CSRF token in
//! `X-CSRF-Token` and a JSON content type; failed logins are limited per account and per client
//! address; bodies are limited to [`MAX_BODY`]. Each command and alarm acknowledgement is
//! appended to the audit trail with the officer's id *before* it takes effect. Photos of the
//! passage in progress are fetched from the gate per request, served with
//! `Cache-Control: no-store`, and never written anywhere.

pub mod api;
pub mod assertion;
pub mod auth;
pub mod config;
pub mod gate_api;
pub mod guard;
pub mod hub;
pub mod link;
pub mod openapi;
pub mod remote;
pub mod routes;
pub mod tls;
mod ui;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tracing::{error, info, warn};

use audit::AuditLog;
use gate::OfficerCommand;

use auth::{LoginLimiter, Role, Sessions, Users};
pub use config::ConsoleConfig;
use hub::Hub;
use link::{GateLink, LocalGate};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "egate_session";
/// Largest request body accepted, in bytes.
pub const MAX_BODY: usize = 16 * 1024;
/// Longest wait for a whole request body once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Every officer command, in the order the UI shows them.
pub const ALL_ACTIONS: [OfficerCommand; 6] = [
    OfficerCommand::ReleaseExit,
    OfficerCommand::Refer,
    OfficerCommand::LaneOpen,
    OfficerCommand::LaneClose,
    OfficerCommand::OutOfService,
    OfficerCommand::Reset,
];

/// Errors starting the console.
#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    /// The users file is unreadable or malformed.
    #[error("users file {path}: {reason}")]
    Users {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The certificate or key is unusable.
    #[error("console TLS: {0}")]
    Tls(String),
    /// The gate API token file is unusable.
    #[error("gate API token {path}: {reason}")]
    Token {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The gates file is unusable.
    #[error("gates file {path}: {reason}")]
    Gates {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The listen address cannot be bound.
    #[error("console cannot listen on {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The shared audit trail handle, as the daemon holds it (the console takes a handle of its
/// own on the trail's writer thread from it, and never locks it while serving).
pub type Audit = Arc<Mutex<AuditLog>>;

/// What the console needs from the process that runs it, besides its config section.
pub struct Env {
    /// The audit trail every officer action is appended to.
    pub audit: Audit,
    /// `[dangerous] simulation`: allows generated demo accounts.
    pub simulation: bool,
    /// Where demo accounts are written (next to the audit trail).
    pub state_dir: PathBuf,
    /// Whether the process logs JSON: free-form text on stderr would break a log collector's
    /// parsing, so the demo accounts' passwords then go to a private file instead.
    pub json_logs: bool,
    /// Whether the gates write to the same audit trail (`egate run`): the console then reads
    /// their alarms and passages from it; otherwise it records those it receives (see
    /// [`hub::Trail`]).
    pub gates_write_here: bool,
}

/// A running console.
pub struct Console {
    /// The bound address.
    pub addr: SocketAddr,
    /// SHA-256 fingerprint of the TLS certificate.
    pub fingerprint: String,
    /// The server task; ends after shutdown.
    pub task: tokio::task::JoinHandle<()>,
}

/// State behind the handlers.
#[derive(Clone)]
pub struct AppState {
    /// The bank.
    pub hub: Arc<Hub>,
    /// Accounts.
    pub users: Arc<Users>,
    /// Live sessions.
    pub sessions: Arc<Sessions>,
    /// Failed-login limiter.
    pub limiter: Arc<LoginLimiter>,
    /// The password checks (a small pool of its own).
    pub checker: Arc<auth::PasswordChecker>,
    /// Audit trail (a handle on its writer thread).
    pub audit: AuditLog,
    /// Pseudonyms of login ids that name no account.
    pub typed_ids: Arc<audit::Pseudonymizer>,
    /// Session lifetime (cookie Max-Age).
    pub session_lifetime: Duration,
    /// Bearer token of the gate API; `None`: off.
    pub gate_api_token: Option<Arc<zeroize::Zeroizing<String>>>,
    /// Checks the signed officer assertions of gate API commands.
    pub assertions: Arc<assertion::Verifier>,
}

impl AppState {
    /// Builds the state from a config section (no I/O but the given users).
    pub fn new(hub: Arc<Hub>, users: Users, cfg: &ConsoleConfig, audit: Audit) -> Self {
        let audit = audit.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut typed_key = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut typed_key);
        Self {
            hub,
            users: Arc::new(users),
            sessions: Arc::new(Sessions::new(
                Duration::from_secs(cfg.session_lifetime_s),
                Duration::from_secs(cfg.session_idle_s),
            )),
            limiter: Arc::new(LoginLimiter::new(
                cfg.login_max_failures,
                Duration::from_secs(cfg.login_window_s),
            )),
            checker: Arc::new(auth::PasswordChecker::new(auth::PASSWORD_CHECKS)),
            audit,
            typed_ids: Arc::new(audit::Pseudonymizer::from_key(&typed_key)),
            session_lifetime: Duration::from_secs(cfg.session_lifetime_s),
            gate_api_token: None,
            assertions: Arc::new(assertion::Verifier::default()),
        }
    }

    /// Hands a record to the audit trail's writer without waiting; a failure is logged (for
    /// records that are not a command).
    pub fn audit(&self, kind: &str, data: serde_json::Value) {
        self.audit.record(kind, data);
    }

    /// Appends to the audit trail and waits (without holding a thread) until it is written;
    /// a failure refuses the request (503).
    pub async fn audit_required(
        &self,
        kind: &str,
        data: serde_json::Value,
    ) -> Result<(), ApiError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        self.audit.submit(
            kind,
            data,
            Box::new(move |r| {
                let _ = tx.send(r);
            }),
        );
        match rx.await {
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) => {
                error!(error = %e, "audit append failed; the action is refused");
                Err(ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "audit_unavailable",
                    "the audit trail cannot record the action, so it was not carried out",
                ))
            }
            Err(_) => Err(ApiError::internal("audit task failed")),
        }
    }
}

/// A JSON error answer: `{"error": code, "message": text}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl ApiError {
    /// An error with a status, a stable code and a message for people.
    pub fn new(status: StatusCode, code: &'static str, message: &str) -> Self {
        Self {
            status,
            code,
            message: message.to_string(),
        }
    }
    /// 404 for a gate the console does not know.
    pub fn unknown_gate(id: &str) -> Self {
        let shown: String = id.chars().take(64).collect();
        Self::new(
            StatusCode::NOT_FOUND,
            "unknown_gate",
            &format!("no gate {shown:?} in this bank"),
        )
    }
    /// 403 for a role that may not do this.
    pub fn forbidden_role(role: Role) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            &format!("a {} may not do this", role.as_str()),
        )
    }
    /// 500.
    pub fn internal(msg: &str) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", msg)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({ "error": self.code, "message": self.message })),
        )
            .into_response()
    }
}

async fn security_headers(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let mut r = next.run(req).await;
    // axum's own rejections (bad path, body too large, wrong method) are plain text: answer
    // JSON like every other error.
    let plain = r
        .headers()
        .get(header::CONTENT_TYPE)
        .is_none_or(|v| v.as_bytes().starts_with(b"text/plain"));
    if r.status().is_client_error() && plain {
        let status = r.status();
        let (parts, body) = r.into_parts();
        let text = axum::body::to_bytes(body, 4096).await.unwrap_or_default();
        let mut j = ApiError::new(status, "bad_request", String::from_utf8_lossy(&text).trim())
            .into_response();
        for (k, v) in parts.headers.iter() {
            if k != header::CONTENT_TYPE && k != header::CONTENT_LENGTH {
                j.headers_mut().insert(k.clone(), v.clone());
            }
        }
        r = j;
    }
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
             connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::STRICT_TRANSPORT_SECURITY,
        HeaderValue::from_static("max-age=31536000"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    r
}

/// Reads the whole body (at most [`MAX_BODY`] bytes) within [`BODY_TIMEOUT`] before the
/// handler runs: a client that sends its body slowly holds a connection for that long at most
/// (408), never a handler.
pub async fn body_deadline(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(BODY_TIMEOUT, axum::body::to_bytes(body, MAX_BODY)).await {
        Ok(Ok(bytes)) => {
            next.run(axum::extract::Request::from_parts(
                parts,
                axum::body::Body::from(bytes),
            ))
            .await
        }
        Ok(Err(_)) => ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            &format!("a request body has at most {MAX_BODY} bytes"),
        )
        .into_response(),
        Err(_) => ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the request body did not arrive in time",
        )
        .into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

/// The whole router: UI, officers' API, OpenAPI document and (with a token) the gate API,
/// as [`routes`] lists them.
pub fn router(state: AppState) -> Router {
    let groups = routes::Groups::new();
    let session = axum::middleware::from_fn_with_state(state.clone(), guard::require_session);
    let token = axum::middleware::from_fn_with_state(state.clone(), guard::require_token);
    let mut app = Router::new()
        .merge(groups.session.router.route_layer(session))
        .merge(groups.open.router)
        .merge(ui::routes());
    if state.gate_api_token.is_some() {
        let gate_api = groups.gate_api.router.route_layer(token);
        app = app.nest(routes::GATE_API_PREFIX, gate_api);
    }
    app.fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn(body_deadline))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Reads a bearer token file (one line, at least 32 characters).
///
/// The file must be its owner's alone ([`audit::check_secret_file`]).
pub fn read_token(path: &Path) -> Result<zeroize::Zeroizing<String>, ConsoleError> {
    audit::check_secret_file(path, audit::Exposure::OwnerOnly).map_err(|reason| {
        ConsoleError::Token {
            path: path.to_path_buf(),
            reason,
        }
    })?;
    let text = std::fs::read_to_string(path).map_err(|e| ConsoleError::Token {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    let t = text.trim().to_string();
    if t.len() < 32 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(ConsoleError::Token {
            path: path.to_path_buf(),
            reason: "the token must be one line of at least 32 printable characters".into(),
        });
    }
    Ok(zeroize::Zeroizing::new(t))
}

/// Writes demo accounts (officer, supervisor, technician) with fresh random passwords, prints
/// them once on stderr, and returns the accounts. Only under `[dangerous] simulation`.
fn demo_users(state_dir: &Path, json_logs: bool) -> Result<Users, ConsoleError> {
    let path = state_dir.join("console-demo-users.toml");
    let err = |reason: String| ConsoleError::Users {
        path: path.clone(),
        reason,
    };
    let mut text = String::new();
    let mut shown = Vec::new();
    for (id, role) in [
        ("officer", Role::Officer),
        ("supervisor", Role::Supervisor),
        ("technician", Role::Technician),
    ] {
        let pw = auth::random_password();
        let hash = auth::hash_password(&pw).map_err(err)?;
        text = auth::upsert_user(
            &text,
            auth::UserEntry {
                id: id.into(),
                role,
                password_hash: hash,
            },
        )
        .map_err(err)?;
        shown.push((id, pw));
    }
    std::fs::create_dir_all(state_dir).map_err(|e| err(e.to_string()))?;
    audit::private_file(&path, text.as_bytes()).map_err(|e| err(e.to_string()))?;
    if json_logs {
        // JSON logs go to collectors: the passwords go to a file only its owner can read,
        // and the log says where.
        let pw_path = state_dir.join("console-demo-passwords.txt");
        let mut listing = zeroize::Zeroizing::new(String::new());
        for (id, pw) in &shown {
            listing.push_str(&format!("{id} {pw}\n"));
        }
        audit::private_file(&pw_path, listing.as_bytes()).map_err(|e| err(e.to_string()))?;
        warn!(file = %pw_path.display(), "console demo accounts (simulation only; new passwords at every start)");
    } else {
        eprintln!("┌ egate console demo accounts (simulation only; new passwords at every start)");
        for (id, pw) in &shown {
            eprintln!("│   {id:<11} {pw}");
        }
        eprintln!("└ written (hashed) to {}", path.display());
    }
    Users::parse(&text).map_err(err)
}

/// Starts the console of `egate run` over the daemon's own gates: `Ok(None)` when `[console]
/// enabled = false`.
pub async fn start_for_daemon(
    gates: &[Arc<LocalGate>],
    cfg: &ConsoleConfig,
    env: Env,
    shutdown: watch::Receiver<bool>,
) -> Result<Option<Console>, ConsoleError> {
    if !cfg.enabled {
        info!("console disabled ([console] enabled = false)");
        return Ok(None);
    }
    let links: Vec<Arc<dyn GateLink>> = gates
        .iter()
        .map(|g| Arc::clone(g) as Arc<dyn GateLink>)
        .collect();
    start(links, cfg, env, shutdown).await.map(Some)
}

/// Starts the console over the given gates; see the module documentation.
pub async fn start(
    links: Vec<Arc<dyn GateLink>>,
    cfg: &ConsoleConfig,
    env: Env,
    shutdown: watch::Receiver<bool>,
) -> Result<Console, ConsoleError> {
    let users = if cfg.users_file.as_os_str().is_empty() {
        if env.simulation {
            demo_users(&env.state_dir, env.json_logs)?
        } else {
            warn!("[console] users_file is empty: nobody can log in to the console");
            Users::default()
        }
    } else {
        Users::load(&cfg.users_file)?
    };
    let cert = if cfg.tls_cert_file.as_os_str().is_empty() {
        tls::ServerCert::self_signed(&[])?
    } else {
        tls::ServerCert::load(&cfg.tls_cert_file, &cfg.tls_key_file)?
    };
    let client_ca = if cfg.gate_api_client_ca_file.as_os_str().is_empty() {
        None
    } else {
        Some(tls::load_client_ca(&cfg.gate_api_client_ca_file)?)
    };
    let commands_over_mtls = client_ca.is_some();
    let tls_cfg = cert.server_config(client_ca)?;
    let trail = hub::Trail {
        audit: env.audit.lock().unwrap_or_else(|p| p.into_inner()).clone(),
        gates_write_here: env.gates_write_here,
    };
    let hub = Hub::with_trail(links, trail);
    hub.spawn_forwarders();
    let mut state = AppState::new(Arc::clone(&hub), users, cfg, env.audit);
    if !cfg.gate_api_token_file.as_os_str().is_empty() {
        state.gate_api_token = Some(Arc::new(read_token(&cfg.gate_api_token_file)?));
    }
    let gate_api = state.gate_api_token.is_some();
    if gate_api && !commands_over_mtls {
        warn!("[console] gate_api_client_ca_file is empty: the gate API takes no commands");
    }
    let accounts = state.users.count();
    let listener = TcpListener::bind(&cfg.listen)
        .await
        .map_err(|source| ConsoleError::Listen {
            addr: cfg.listen.clone(),
            source,
        })?;
    let addr = listener
        .local_addr()
        .map_err(|source| ConsoleError::Listen {
            addr: cfg.listen.clone(),
            source,
        })?;
    if cert.self_signed {
        warn!("console uses a self-signed TLS certificate generated at start (demo only)");
    }
    info!(
        url = %format!("https://{addr}/"),
        %addr,
        fingerprint = %cert.fingerprint,
        gates = hub.links().len(),
        accounts,
        gate_api,
        commands_over_mtls,
        "console listening"
    );
    let app = router(state);
    let limits = tls::Limits {
        max_connections: cfg.max_connections,
        ..tls::Limits::default()
    };
    let task = tokio::spawn(tls::serve_https(listener, tls_cfg, app, limits, shutdown));
    Ok(Console {
        addr,
        fingerprint: cert.fingerprint.clone(),
        task,
    })
}

#[cfg(test)]
mod tests;
