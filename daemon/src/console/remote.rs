//! [`RemoteGate`]: a [`GateLink`] to a gate served by another daemon's gate API
//! ([`super::gate_api`]), for `egate console --gates FILE`.
//!
//! One background task per gate keeps an event stream open (`GET /gate-api/v1/events`,
//! reconnecting with back-off), re-publishes the gate's events to the console, and refreshes a
//! cached status; [`GateLink::status`] answers from that cache and says "unreachable" while
//! the stream is down. HTTPS is verified by pinning the gate's certificate (SHA-256 fingerprint
//! in the gates file), which also works for the self-signed demo certificates.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::broadcast;
use tracing::{info, warn};

use crate::bank::{
    GateEvent, GateEventKind, GateLink, GateStatus, LinkError, OfficerCommand, PhotoKind,
};

use super::ConsoleError;

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
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GatesFile {
    #[serde(default)]
    gate: Vec<GateEntry>,
}

/// Parses a gates file: `[[gate]]` tables with `id`, `url`, `token_file`, `fingerprint`.
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
        if !super::auth::valid_id(&g.id) || !seen.insert(g.id.clone()) {
            return Err(err(format!("gate id {:?} is invalid or repeated", g.id)));
        }
        let ep = Endpoint::parse(&g.url).map_err(|e| err(format!("gate {}: {e}", g.id)))?;
        if ep.https {
            match &g.fingerprint {
                Some(fp) if super::tls::parse_fingerprint(fp).is_some() => {}
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

/// Where a gate daemon is.
#[derive(Debug, Clone)]
struct Endpoint {
    https: bool,
    host: String,
    port: u16,
    base_path: String,
}

impl Endpoint {
    fn parse(url: &str) -> Result<Self, String> {
        let (https, rest) = if let Some(r) = url.strip_prefix("https://") {
            (true, r)
        } else if let Some(r) = url.strip_prefix("http://") {
            (false, r)
        } else {
            return Err(format!(
                "{url:?}: the URL must start with https:// or http://"
            ));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
            None => (rest, ""),
        };
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            let (h, p) = r.split_once(']').ok_or("bad IPv6 address")?;
            (h.to_string(), p.strip_prefix(':'))
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), Some(p)),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return Err(format!("{url:?}: no host"));
        }
        let port = match port {
            Some(p) => p.parse().map_err(|_| format!("{url:?}: bad port"))?,
            None if https => 443,
            None => 80,
        };
        Ok(Self {
            https,
            host,
            port,
            base_path: path.to_string(),
        })
    }

    fn authority(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
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
        if super::auth::ct_eq(&got, &self.sha256) {
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

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A minimal HTTP/1.1 client for one gate daemon (one connection per request).
struct Client {
    ep: Endpoint,
    token: zeroize::Zeroizing<String>,
    tls: Option<tokio_rustls::TlsConnector>,
}

impl Client {
    fn new(entry: &GateEntry) -> Result<Self, ConsoleError> {
        let ep = Endpoint::parse(&entry.url).map_err(ConsoleError::Tls)?;
        let token = super::read_token(&entry.token_file)?;
        let tls = if ep.https {
            let sha256 = entry
                .fingerprint
                .as_deref()
                .and_then(super::tls::parse_fingerprint)
                .ok_or_else(|| ConsoleError::Tls(format!("gate {}: no fingerprint", entry.id)))?;
            let provider = Arc::new(rustls::crypto::ring::default_provider());
            let cfg = rustls::ClientConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(|e| ConsoleError::Tls(e.to_string()))?
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(Pinned { sha256, provider }))
                .with_no_client_auth();
            Some(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
        } else {
            None
        };
        Ok(Self { ep, token, tls })
    }

    async fn request(
        &self,
        method: hyper::Method,
        path: &str,
        body: Option<Vec<u8>>,
    ) -> Result<hyper::Response<hyper::body::Incoming>, String> {
        let tcp = tokio::time::timeout(
            Duration::from_secs(5),
            tokio::net::TcpStream::connect((self.ep.host.as_str(), self.ep.port)),
        )
        .await
        .map_err(|_| "connect timed out".to_string())?
        .map_err(|e| format!("connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = match &self.tls {
            Some(c) => {
                let name = ServerName::try_from(self.ep.host.clone())
                    .map_err(|e| format!("server name: {e}"))?;
                Box::new(
                    tokio::time::timeout(Duration::from_secs(5), c.connect(name, tcp))
                        .await
                        .map_err(|_| "TLS handshake timed out".to_string())?
                        .map_err(|e| format!("TLS: {e}"))?,
                )
            }
            None => Box::new(tcp),
        };
        let (mut send, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
            .await
            .map_err(|e| format!("HTTP: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        let mut req = hyper::Request::builder()
            .method(method)
            .uri(format!("{}/gate-api/v1{path}", self.ep.base_path))
            .header(hyper::header::HOST, self.ep.authority())
            .header(
                hyper::header::AUTHORIZATION,
                format!("Bearer {}", self.token.as_str()),
            );
        if body.is_some() {
            req = req.header(hyper::header::CONTENT_TYPE, "application/json");
        }
        let req = req
            .body(Full::new(Bytes::from(body.unwrap_or_default())))
            .map_err(|e| format!("request: {e}"))?;
        send.send_request(req)
            .await
            .map_err(|e| format!("HTTP: {e}"))
    }

    async fn get_bytes(&self, path: &str, limit: usize) -> Result<(u16, Vec<u8>), String> {
        let r = tokio::time::timeout(Duration::from_secs(10), async {
            let resp = self.request(hyper::Method::GET, path, None).await?;
            let status = resp.status().as_u16();
            let body = http_body_util::Limited::new(resp.into_body(), limit)
                .collect()
                .await
                .map_err(|e| format!("body: {e}"))?
                .to_bytes();
            Ok::<_, String>((status, body.to_vec()))
        })
        .await
        .map_err(|_| "timed out".to_string())?;
        r
    }
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
        if !client.ep.https {
            warn!(gate = %entry.id, "gate API over plain http: the token and commands are not protected");
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
            .get_bytes(&format!("/gates/{}", self.id), 256 * 1024)
            .await?;
        if code != 200 {
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
            .request(hyper::Method::GET, "/events", None)
            .await?;
        if resp.status() != hyper::StatusCode::OK {
            return Err(format!("events: HTTP {}", resp.status()));
        }
        self.refresh_status().await?;
        info!(gate = %self.id, "gate link up");
        let mut body = resp.into_body();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            tokio::select! {
                frame = tokio::time::timeout(Duration::from_secs(20), body.frame()) => {
                    let frame = match frame {
                        Err(_) => return Err("event stream silent".into()),
                        Ok(None) => return Ok(()),
                        Ok(Some(Err(e))) => return Err(format!("event stream: {e}")),
                        Ok(Some(Ok(f))) => f,
                    };
                    let Ok(data) = frame.into_data() else { continue };
                    buf.extend_from_slice(&data);
                    if buf.len() > 1 << 20 {
                        return Err("event stream message too long".into());
                    }
                    while let Some(end) = find_double_newline(&buf) {
                        let block: Vec<u8> = buf.drain(..end).collect();
                        self.handle_block(&block);
                    }
                }
            }
        }
    }

    fn handle_block(&self, block: &[u8]) {
        let text = String::from_utf8_lossy(block);
        let data: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("data:"))
            .map(|l| l.strip_prefix(' ').unwrap_or(l))
            .collect();
        if data.is_empty() {
            return;
        }
        let data = data.join("\n");
        match serde_json::from_str::<GateEvent>(&data) {
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
        GateEventKind::Alarm { .. } | GateEventKind::Command { .. } => {}
    }
}

/// End (exclusive, after the blank line) of the first SSE message in `buf`.
fn find_double_newline(buf: &[u8]) -> Option<usize> {
    let a = buf.windows(2).position(|w| w == b"\n\n").map(|i| i + 2);
    let b = buf.windows(4).position(|w| w == b"\r\n\r\n").map(|i| i + 4);
    match (a, b) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
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

    fn command(&self, cmd: OfficerCommand) -> Result<(), LinkError> {
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
        let body = serde_json::to_vec(&cmd)
            .map_err(|e| LinkError::Refused(self.id.clone(), e.to_string()))?;
        let client = Arc::clone(&self.client);
        let path = format!("/gates/{}/commands", self.id);
        let id = self.id.clone();
        let events = self.events.clone();
        self.rt.spawn(async move {
            let r = tokio::time::timeout(
                Duration::from_secs(10),
                client.request(hyper::Method::POST, &path, Some(body)),
            )
            .await;
            let ok = matches!(&r, Ok(Ok(resp)) if resp.status() == hyper::StatusCode::ACCEPTED);
            if !ok {
                warn!(gate = %id, "command not delivered to the gate");
                // The page learns that the gate never got it.
                let _ = events.send(GateEvent {
                    gate: id,
                    seq: u64::MAX,
                    ts_ms: super::hub::now_ms(),
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
        let path = format!("/gates/{}/photo/{which}", self.id);
        let (tx, rx) = std::sync::mpsc::channel();
        // Runs on the runtime and is awaited through a channel, so calling this from any
        // thread (the console calls it from a blocking one) cannot stall or panic the runtime.
        self.rt.spawn(async move {
            let r = client.get_bytes(&path, 4 << 20).await;
            let _ = tx.send(r);
        });
        match rx.recv_timeout(Duration::from_secs(5)) {
            Ok(Ok((200, bytes))) => Some(bytes),
            Ok(Ok(_)) => None,
            Ok(Err(_)) | Err(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse() {
        let e = Endpoint::parse("https://10.0.0.1:8443/").unwrap();
        assert!(e.https && e.host == "10.0.0.1" && e.port == 8443 && e.base_path.is_empty());
        let e = Endpoint::parse("http://[::1]:9/x/").unwrap();
        assert_eq!(
            (e.host.as_str(), e.port, e.base_path.as_str()),
            ("::1", 9, "/x")
        );
        assert_eq!(e.authority(), "[::1]:9");
        for bad in ["ftp://x", "https://", "https://h:notaport", "http://[::1"] {
            assert!(Endpoint::parse(bad).is_err(), "{bad}");
        }
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
    }

    #[test]
    fn sse_blocks_split() {
        assert_eq!(find_double_newline(b"data: x\n\ndata: y"), Some(9));
        assert_eq!(find_double_newline(b"data: x\r\n\r\n"), Some(11));
        assert_eq!(find_double_newline(b"data: x\n"), None);
    }
}
