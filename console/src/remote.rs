//! [`RemoteGate`]: a [`GateLink`] to a gate served by another daemon's gate API
//! ([`crate::gate_api`]), for `egate console --gates FILE`.
//!
//! One background task per gate keeps an event stream open (`GET /gate-api/v1/events`,
//! reconnecting with back-off), re-publishes the gate's events to the console, and refreshes a
//! cached status; [`GateLink::status`] answers from that cache and says "unreachable" while
//! the stream is down. HTTPS is verified by pinning the gate's certificate (SHA-256 fingerprint
//! in the gates file), which also works for the self-signed demo certificates.
//!
//! HTTP is reqwest's client on rustls (a client configuration of our own, ring provider,
//! with the pinning verifier); the event stream is parsed by `eventsource-stream`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use reqwest::{Method, StatusCode, Url};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::sync::broadcast;
use tracing::{info, warn};

use crate::assertion::{Assertion, ConsoleIdentity};
use crate::link::{
    GateEvent, GateEventKind, GateLink, GateStatus, LinkError, OfficerRequest, PhotoKind,
};
use crate::routes::GATE_API_PREFIX;
use crate::ConsoleError;

/// Longest wait for a TCP connection and TLS handshake.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a whole answer (status, command, photo).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// An event stream with no byte for this long is dead (the gate API sends a keep-alive every
/// 5 s).
const STREAM_SILENCE: Duration = Duration::from_secs(20);
/// Most bytes of the event stream taken in since the last whole event.
const MAX_EVENT: usize = 1 << 20;

/// One gate in the gates file.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct GateEntry {
    /// Gate id (as the daemon calls it).
    pub id: String,
    /// Base URL of the daemon's console listener, e.g. `https://10.0.0.11:8443`.
    pub url: String,
    /// File holding the daemon's gate API bearer token.
    pub token_file: PathBuf,
    /// SHA-256 fingerprint of the daemon's TLS certificate (required for https).
    #[serde(default)]
    pub fingerprint: Option<String>,
    /// The console's client certificate chain (PEM) for this gate (mutual TLS); without it,
    /// the gate refuses the console's commands.
    #[serde(default)]
    pub client_cert_file: Option<PathBuf>,
    /// The private key of `client_cert_file` (PEM, ECDSA P-256 or Ed25519, mode 0600); it
    /// also signs each command's officer assertion.
    #[serde(default)]
    pub client_key_file: Option<PathBuf>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GatesFile {
    #[serde(default)]
    gate: Vec<GateEntry>,
}

/// Parses a gates file: `[[gate]]` tables with `id`, `url`, `token_file`, `fingerprint`,
/// `client_cert_file` and `client_key_file`.
pub fn parse_gates_file(path: &Path, text: &str) -> Result<Vec<GateEntry>, ConsoleError> {
    let err = |reason: String| ConsoleError::Gates {
        path: path.to_path_buf(),
        reason,
    };
    let f: GatesFile = toml::from_str(text).map_err(|e| err(e.message().to_string()))?;
    if f.gate.is_empty() {
        return Err(err("no [[gate]] entries".into()));
    }
    let mut seen = std::collections::HashSet::new();
    for g in &f.gate {
        // A gate id is a path segment of the gate API: "." and ".." cannot be one.
        let addressable = crate::auth::valid_id(&g.id) && g.id != "." && g.id != "..";
        if !addressable || !seen.insert(g.id.clone()) {
            return Err(err(format!("gate id {:?} is invalid or repeated", g.id)));
        }
        let base = gate_api_base(&g.url).map_err(|e| err(format!("gate {}: {e}", g.id)))?;
        match (&g.client_cert_file, &g.client_key_file) {
            (Some(_), Some(_)) if base.scheme() != "https" => {
                return Err(err(format!(
                    "gate {}: client certificates need an https url",
                    g.id
                )))
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(err(format!(
                    "gate {}: set both client_cert_file and client_key_file, or neither",
                    g.id
                )))
            }
            _ => {}
        }
        if base.scheme() == "https" {
            match &g.fingerprint {
                Some(fp) if crate::tls::parse_fingerprint(fp).is_some() => {}
                _ => {
                    return Err(err(format!(
                        "gate {}: https needs fingerprint = the SHA-256 of its certificate \
                         (printed in the daemon's `console listening` log line)",
                        g.id
                    )))
                }
            }
        }
    }
    Ok(f.gate)
}

/// The gate API's base URL under a daemon's console URL (`https://host:port[/path]`).
fn gate_api_base(url: &str) -> Result<Url, String> {
    let mut base = Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
    if !matches!(base.scheme(), "https" | "http") {
        return Err(format!(
            "{url:?}: the URL must start with https:// or http://"
        ));
    }
    if base.host_str().is_none_or(str::is_empty) {
        return Err(format!("{url:?}: no host"));
    }
    if !base.username().is_empty()
        || base.password().is_some()
        || base.query().is_some()
        || base.fragment().is_some()
    {
        return Err(format!(
            "{url:?}: give only the scheme, host, port and path (the token goes in token_file)"
        ));
    }
    let path = format!("{}{GATE_API_PREFIX}", base.path().trim_end_matches('/'));
    base.set_path(&path);
    Ok(base)
}

/// Accepts exactly the certificate whose SHA-256 is pinned; signatures are still verified.
#[derive(Debug)]
struct Pinned {
    sha256: [u8; 32],
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let got: [u8; 32] = Sha256::digest(end_entity.as_ref()).into();
        if crate::auth::ct_eq(&got, &self.sha256) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General(
                "gate certificate does not match the pinned fingerprint".into(),
            ))
        }
    }
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The TLS client configuration for a gate: its pinned certificate for https; for plain
/// http, one that trusts nothing (the client is never to speak TLS then).
pub(crate) fn tls_config(
    entry: &GateEntry,
    https: bool,
    identity: Option<&ConsoleIdentity>,
) -> Result<rustls::ClientConfig, ConsoleError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| ConsoleError::Tls(e.to_string()))?;
    if !https {
        return Ok(builder
            .with_root_certificates(rustls::RootCertStore::empty())
            .with_no_client_auth());
    }
    let sha256 = entry
        .fingerprint
        .as_deref()
        .and_then(crate::tls::parse_fingerprint)
        .ok_or_else(|| ConsoleError::Tls(format!("gate {}: no fingerprint", entry.id)))?;
    let builder = builder
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { sha256, provider }));
    match identity {
        None => Ok(builder.with_no_client_auth()),
        Some(id) => {
            let (chain, key) = id.client_auth();
            builder.with_client_auth_cert(chain, key).map_err(|e| {
                ConsoleError::Tls(format!("gate {}: client certificate: {e}", entry.id))
            })
        }
    }
}

/// The HTTP client of one gate daemon's gate API.
struct Client {
    http: reqwest::Client,
    base: Url,
    token: zeroize::Zeroizing<String>,
    /// Presented to the gate and signs commands; `None`: commands are not sent.
    identity: Option<ConsoleIdentity>,
}

impl Client {
    fn new(entry: &GateEntry) -> Result<Self, ConsoleError> {
        let base = gate_api_base(&entry.url).map_err(ConsoleError::Tls)?;
        let token = crate::read_token(&entry.token_file)?;
        let https = base.scheme() == "https";
        let identity = match (&entry.client_cert_file, &entry.client_key_file) {
            (Some(cert), Some(key)) => Some(ConsoleIdentity::load(cert, key)?),
            _ => None,
        };
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls_config(entry, https, identity.as_ref())?)
            .https_only(https)
            .connect_timeout(CONNECT_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("egate-console/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| ConsoleError::Tls(describe(&e)))?;
        Ok(Self {
            http,
            base,
            token,
            identity,
        })
    }

    fn https(&self) -> bool {
        self.base.scheme() == "https"
    }

    /// A request to the gate API path made of `segments`, with the bearer token.
    fn request(&self, method: Method, segments: &[&str]) -> reqwest::RequestBuilder {
        let mut url = self.base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(segments);
        }
        self.http
            .request(method, url)
            .bearer_auth(self.token.as_str())
    }

    /// A whole answer of at most `limit` bytes, within [`REQUEST_TIMEOUT`].
    async fn get_bytes(
        &self,
        segments: &[&str],
        limit: usize,
    ) -> Result<(StatusCode, Vec<u8>), String> {
        let mut resp = self
            .request(Method::GET, segments)
            .timeout(REQUEST_TIMEOUT)
            .send()
            .await
            .map_err(|e| describe(&e))?;
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(|e| describe(&e))? {
            if body.len() + chunk.len() > limit {
                return Err(format!("answer longer than {limit} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((resp.status(), body))
    }
}

/// A client error with its causes (reqwest's own message names only the step that failed).
fn describe(e: &(dyn std::error::Error + 'static)) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

/// Why an event stream ended.
#[derive(Debug, thiserror::Error)]
enum StreamFault {
    #[error("event stream silent for {STREAM_SILENCE:?}")]
    Silent,
    #[error("event stream message longer than {MAX_EVENT} bytes")]
    TooLong,
    #[error("event stream: {}", describe(.0))]
    Http(reqwest::Error),
}

/// The body of an event stream, ended with a fault when it falls silent or when more than
/// [`MAX_EVENT`] bytes arrive without a whole event (`pending` counts them; the reader
/// zeroes it at each event).
fn watched(
    body: impl Stream<Item = reqwest::Result<Bytes>> + Unpin,
    pending: Arc<AtomicUsize>,
) -> impl Stream<Item = Result<Bytes, StreamFault>> {
    futures_util::stream::unfold(Some(body), move |body| {
        let pending = Arc::clone(&pending);
        async move {
            let mut body = body?;
            let fault = match tokio::time::timeout(STREAM_SILENCE, body.next()).await {
                Err(_) => StreamFault::Silent,
                Ok(None) => return None,
                Ok(Some(Err(e))) => StreamFault::Http(e),
                Ok(Some(Ok(chunk))) => {
                    if pending.fetch_add(chunk.len(), Ordering::Relaxed) + chunk.len() <= MAX_EVENT
                    {
                        return Some((Ok(chunk), Some(body)));
                    }
                    StreamFault::TooLong
                }
            };
            // A fault ends the stream.
            Some((Err(fault), None))
        }
    })
}

/// A gate reached through another daemon's gate API.
pub struct RemoteGate {
    id: String,
    client: Arc<Client>,
    /// The last known status and when it was last brought up to date.
    status: Mutex<Option<(GateStatus, std::time::Instant)>>,
    events: broadcast::Sender<GateEvent>,
    refresh: tokio::sync::Notify,
    rt: tokio::runtime::Handle,
}

impl RemoteGate {
    /// Creates the link and starts its background stream (inside a Tokio runtime).
    pub fn connect(entry: &GateEntry) -> Result<Arc<Self>, ConsoleError> {
        let client = Arc::new(Client::new(entry)?);
        if !client.https() {
            warn!(gate = %entry.id, "gate API over plain http: the token is not protected");
        }
        if client.identity.is_none() {
            warn!(gate = %entry.id, "no client_cert_file for this gate: officers' commands to it are refused");
        }
        let (events, _) = broadcast::channel(1024);
        let me = Arc::new(Self {
            id: entry.id.clone(),
            client,
            status: Mutex::new(None),
            events,
            refresh: tokio::sync::Notify::new(),
            rt: tokio::runtime::Handle::current(),
        });
        // The full status (devices, photos, counters) is re-read beside the event stream:
        // every 2 s, and soon after events, without ever holding an event back.
        let weak = Arc::downgrade(&me);
        me.rt.spawn(async move {
            loop {
                let Some(me) = weak.upgrade() else { return };
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(2)) => {}
                    _ = me.refresh.notified() => {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
                let up = me
                    .status
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_some();
                if up {
                    let _ = me.refresh_status().await;
                }
            }
        });
        let weak = Arc::downgrade(&me);
        me.rt.spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                let Some(me) = weak.upgrade() else { return };
                match me.stream_once().await {
                    Ok(()) => backoff = Duration::from_millis(200),
                    Err(e) => {
                        if me
                            .status
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .is_some()
                        {
                            warn!(gate = %me.id, error = %e, "gate link lost; reconnecting");
                        }
                    }
                }
                *me.status.lock().unwrap_or_else(|p| p.into_inner()) = None;
                drop(me);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        Ok(me)
    }

    async fn refresh_status(&self) -> Result<(), String> {
        let (code, body) = self
            .client
            .get_bytes(&["gates", &self.id], 256 * 1024)
            .await?;
        if code != StatusCode::OK {
            return Err(format!("status: HTTP {code}"));
        }
        let s: GateStatus = serde_json::from_slice(&body).map_err(|e| format!("status: {e}"))?;
        *self.status.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((s, std::time::Instant::now()));
        Ok(())
    }

    /// One connection of the event stream: returns when it ends.
    async fn stream_once(&self) -> Result<(), String> {
        let resp = self
            .client
            .request(Method::GET, &["events"])
            .send()
            .await
            .map_err(|e| describe(&e))?;
        if resp.status() != StatusCode::OK {
            return Err(format!("events: HTTP {}", resp.status()));
        }
        self.refresh_status().await?;
        info!(gate = %self.id, "gate link up");
        let pending = Arc::new(AtomicUsize::new(0));
        let mut events =
            std::pin::pin!(watched(resp.bytes_stream(), Arc::clone(&pending)).eventsource());
        while let Some(event) = events.next().await {
            let event = event.map_err(|e| e.to_string())?;
            pending.store(0, Ordering::Relaxed);
            self.handle_data(&event.data);
        }
        Ok(())
    }

    /// One message of the event stream: a [`GateEvent`] of this gate, or a resync notice.
    fn handle_data(&self, data: &str) {
        match serde_json::from_str::<GateEvent>(data) {
            Ok(ev) if ev.gate == self.id => {
                // The status the console shows after an event is the one after it: apply what
                // the event says at once; the rest comes with the background refresh.
                if let Some((st, at)) = self
                    .status
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .as_mut()
                {
                    apply(st, at, &ev.kind);
                }
                self.refresh.notify_one();
                let _ = self.events.send(ev);
            }
            Ok(_) => {}
            Err(_) => self.refresh.notify_one(),
        }
    }
}

/// What an event tells about the status without asking the gate.
fn apply(st: &mut GateStatus, at: &mut std::time::Instant, kind: &GateEventKind) {
    match kind {
        GateEventKind::Phase { phase, step } => {
            if phase == "idle" {
                st.elapsed_ms = 0;
                *at = std::time::Instant::now();
            }
            st.phase = phase.clone();
            st.step = step.clone();
        }
        GateEventKind::Lane {
            open,
            out_of_service,
        } => {
            st.lane_open = *open;
            st.out_of_service = *out_of_service;
        }
        GateEventKind::Passage { outcome, .. } => match outcome.as_str() {
            "accepted" => st.passages_accepted += 1,
            "referred" => st.passages_referred += 1,
            _ => {}
        },
        GateEventKind::Device(d) => match st.devices.iter_mut().find(|x| x.device == d.device) {
            Some(x) => *x = d.clone(),
            None => st.devices.push(d.clone()),
        },
        GateEventKind::SourceHealth {
            source, ok, detail, ..
        } => {
            let d = crate::link::DeviceHealth {
                device: format!("borderdb_{source}"),
                ok: *ok,
                detail: detail.clone(),
            };
            match st.devices.iter_mut().find(|x| x.device == d.device) {
                Some(x) => *x = d,
                None => st.devices.push(d),
            }
        }
        GateEventKind::Alarm { .. } | GateEventKind::Command { .. } => {}
    }
}

impl GateLink for RemoteGate {
    fn id(&self) -> &str {
        &self.id
    }

    fn status(&self) -> Result<GateStatus, LinkError> {
        let guard = self.status.lock().unwrap_or_else(|p| p.into_inner());
        let (st, at) = guard
            .as_ref()
            .ok_or_else(|| LinkError::Unreachable(self.id.clone(), "no link to the gate".into()))?;
        let mut st = st.clone();
        // The elapsed time goes on between refreshes.
        if st.phase != "idle" {
            st.elapsed_ms += at.elapsed().as_millis() as u64;
        }
        Ok(st)
    }

    fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.events.subscribe()
    }

    fn command(&self, cmd: OfficerRequest) -> Result<(), LinkError> {
        if self
            .status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
        {
            return Err(LinkError::Unreachable(
                self.id.clone(),
                "no link to the gate".into(),
            ));
        }
        let identity = self.client.identity.as_ref().ok_or_else(|| {
            LinkError::Refused(
                self.id.clone(),
                "no client certificate for this gate in the gates file: commands need mutual TLS"
                    .into(),
            )
        })?;
        let signed = identity
            .sign(&Assertion {
                officer: cmd.officer.clone(),
                role: cmd.role,
                gate: self.id.clone(),
                action: cmd.action,
                comment: cmd.comment.clone(),
                issued_ms: crate::hub::now_ms(),
                nonce: crate::assertion::nonce(),
            })
            .map_err(|e| LinkError::Refused(self.id.clone(), e))?;
        let body = serde_json::to_vec(&signed)
            .map_err(|e| LinkError::Refused(self.id.clone(), e.to_string()))?;
        let client = Arc::clone(&self.client);
        let id = self.id.clone();
        let events = self.events.clone();
        self.rt.spawn(async move {
            let r = client
                .request(Method::POST, &["gates", &id, "commands"])
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body)
                .timeout(REQUEST_TIMEOUT)
                .send()
                .await;
            let ok = matches!(&r, Ok(resp) if resp.status() == StatusCode::ACCEPTED);
            if !ok {
                warn!(gate = %id, "command not delivered to the gate");
                // The page learns that the gate never got it.
                let _ = events.send(GateEvent {
                    gate: id,
                    seq: u64::MAX,
                    ts_ms: crate::hub::now_ms(),
                    kind: GateEventKind::Command {
                        officer: cmd.officer,
                        action: cmd.action,
                        accepted: false,
                    },
                });
            }
        });
        Ok(())
    }

    fn photo(&self, kind: PhotoKind) -> Option<Vec<u8>> {
        let which = match kind {
            PhotoKind::Chip => "chip",
            PhotoKind::Live => "live",
        };
        let client = Arc::clone(&self.client);
        let id = self.id.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        // Runs on the runtime and is awaited through a channel, so calling this from any
        // thread (the console calls it from a blocking one) cannot stall or panic the runtime.
        self.rt.spawn(async move {
            let r = client
                .get_bytes(&["gates", &id, "photo", which], 4 << 20)
                .await;
            let _ = tx.send(r);
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok((StatusCode::OK, bytes))) => Some(bytes),
            Ok(Ok(_)) => None,
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_api_urls() {
        let base = gate_api_base("https://10.0.0.1:8443/").unwrap();
        assert_eq!(base.as_str(), "https://10.0.0.1:8443/gate-api/v1");
        let base = gate_api_base("http://[::1]:9/x/").unwrap();
        assert_eq!(base.as_str(), "http://[::1]:9/x/gate-api/v1");
        for bad in [
            "ftp://x",
            "https://",
            "https://h:notaport",
            "http://[::1",
            "https://user:pw@h:1",
            "https://h:1/?q",
            "10.0.0.1:8443",
        ] {
            assert!(gate_api_base(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn requests_name_the_gate_as_one_path_segment() {
        let dir = tempfile::tempdir().unwrap();
        let token_file = dir.path().join("token");
        audit::private_file(&token_file, format!("{}\n", "t".repeat(32)).as_bytes()).unwrap();
        let client = Client::new(&GateEntry {
            id: "g.1".into(),
            url: "http://127.0.0.1:9/base".into(),
            token_file,
            fingerprint: None,
            client_cert_file: None,
            client_key_file: None,
        })
        .unwrap();
        let req = client
            .request(Method::GET, &["gates", "g.1", "photo", "chip"])
            .build()
            .unwrap();
        assert_eq!(
            req.url().as_str(),
            "http://127.0.0.1:9/base/gate-api/v1/gates/g.1/photo/chip"
        );
        let auth = req.headers().get(reqwest::header::AUTHORIZATION).unwrap();
        assert!(auth.is_sensitive());
        assert_eq!(auth.to_str().unwrap(), format!("Bearer {}", "t".repeat(32)));
    }

    #[test]
    fn gates_file_needs_a_pin_for_https() {
        let p = Path::new("gates.toml");
        let text = "[[gate]]\nid = \"g1\"\nurl = \"https://127.0.0.1:1\"\ntoken_file = \"t\"\n";
        assert!(parse_gates_file(p, text).is_err());
        let fp = ["AB"; 32].join(":");
        let ok = format!("{text}fingerprint = \"{fp}\"\n");
        assert_eq!(parse_gates_file(p, &ok).unwrap().len(), 1);
        assert!(parse_gates_file(p, "").is_err());
        assert!(parse_gates_file(p, "[[gate]]\nid = 1\n").is_err());
        let half = format!("{ok}client_cert_file = \"c.pem\"\n");
        let e = parse_gates_file(p, &half).unwrap_err().to_string();
        assert!(e.contains("client_key_file"), "{e}");
        let both = format!("{half}client_key_file = \"k.pem\"\n");
        assert_eq!(parse_gates_file(p, &both).unwrap().len(), 1);
        let plain = "[[gate]]\nid = \"g1\"\nurl = \"http://127.0.0.1:1\"\ntoken_file = \"t\"\n\
                     client_cert_file = \"c\"\nclient_key_file = \"k\"\n";
        assert!(parse_gates_file(p, plain).is_err());
        let dots = "[[gate]]\nid = \"..\"\nurl = \"http://127.0.0.1:1\"\ntoken_file = \"t\"\n";
        assert!(parse_gates_file(p, dots).is_err());
    }
}
