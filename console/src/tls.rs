//! TLS for the console (rustls with the *ring* provider): the certificate from config, or a
//! self-signed one generated at start for the demo; and the HTTPS accept loop that hands each
//! connection to the axum router through hyper.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::TokioIo;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;
use tracing::debug;

use crate::ConsoleError;

/// The client's address, put into each request's extensions by the accept loop.
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

/// A server certificate chain with its key, and the leaf's SHA-256 fingerprint.
pub struct ServerCert {
    /// Leaf first.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key.
    pub key: PrivateKeyDer<'static>,
    /// SHA-256 of the leaf certificate (DER), as colon-separated upper-case hex.
    pub fingerprint: String,
    /// Whether it was generated at start.
    pub self_signed: bool,
}

/// SHA-256 of a DER certificate as `AB:CD:...`.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Normalizes a fingerprint as written by a person (colons, case) to 32 bytes.
pub fn parse_fingerprint(s: &str) -> Option<[u8; 32]> {
    let hexs: String = s.chars().filter(|c| *c != ':').collect();
    let v = hex::decode(hexs).ok()?;
    v.try_into().ok()
}

impl ServerCert {
    /// Loads a PEM certificate chain and private key.
    pub fn load(cert: &Path, key: &Path) -> Result<Self, ConsoleError> {
        let tls = |path: &Path, reason: String| {
            ConsoleError::Tls(format!("{}: {reason}", path.display()))
        };
        let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(cert)
            .map_err(|e| tls(cert, e.to_string()))?
            .collect::<Result<_, _>>()
            .map_err(|e| tls(cert, e.to_string()))?;
        let leaf = chain
            .first()
            .ok_or_else(|| tls(cert, "no certificate in the file".into()))?;
        let fp = fingerprint(leaf);
        let key = PrivateKeyDer::from_pem_file(key).map_err(|e| tls(key, e.to_string()))?;
        Ok(Self {
            chain,
            key,
            fingerprint: fp,
            self_signed: false,
        })
    }

    /// Generates a self-signed certificate for localhost and the given names.
    pub fn self_signed(extra_names: &[String]) -> Result<Self, ConsoleError> {
        let mut names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        names.extend(extra_names.iter().cloned());
        let ck = rcgen::generate_simple_self_signed(names)
            .map_err(|e| ConsoleError::Tls(format!("generating a certificate: {e}")))?;
        let der = ck.cert.der().clone();
        let fp = fingerprint(&der);
        let key = PrivateKeyDer::try_from(ck.key_pair.serialize_der())
            .map_err(|e| ConsoleError::Tls(format!("generated key: {e}")))?;
        Ok(Self {
            chain: vec![der],
            key,
            fingerprint: fp,
            self_signed: true,
        })
    }

    /// The rustls server configuration (HTTP/1.1 only). With `client_ca`, a client may
    /// present a certificate, and one that `client_ca` did not sign fails the handshake; a
    /// client without one (an officer's browser) still connects, and the gate API refuses its
    /// commands.
    pub fn server_config(
        &self,
        client_ca: Option<Arc<rustls::RootCertStore>>,
    ) -> Result<Arc<rustls::ServerConfig>, ConsoleError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| ConsoleError::Tls(e.to_string()))?;
        let builder = match client_ca {
            None => builder.with_no_client_auth(),
            Some(roots) => {
                let verifier =
                    rustls::server::WebPkiClientVerifier::builder_with_provider(roots, provider)
                        .allow_unauthenticated()
                        .build()
                        .map_err(|e| ConsoleError::Tls(format!("client CA: {e}")))?;
                builder.with_client_cert_verifier(verifier)
            }
        };
        let mut cfg = builder
            .with_single_cert(self.chain.clone(), self.key.clone_key())
            .map_err(|e| ConsoleError::Tls(format!("certificate and key: {e}")))?;
        cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Arc::new(cfg))
    }
}

/// Loads the CA certificates (PEM) that sign consoles' client certificates.
pub fn load_client_ca(path: &Path) -> Result<Arc<rustls::RootCertStore>, ConsoleError> {
    let tls = |reason: String| ConsoleError::Tls(format!("{}: {reason}", path.display()));
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_file_iter(path).map_err(|e| tls(e.to_string()))? {
        let cert = cert.map_err(|e| tls(e.to_string()))?;
        roots
            .add(cert)
            .map_err(|e| tls(format!("not a usable CA certificate: {e}")))?;
    }
    if roots.is_empty() {
        return Err(tls("no certificate in the file".into()));
    }
    Ok(Arc::new(roots))
}

/// Limits of a listener against slow or many clients.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Connections served at once; further ones wait in the kernel's backlog.
    pub max_connections: usize,
    /// Longest wait for a request's header block (and for a TLS handshake).
    pub header_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_connections: 256,
            header_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves the router over HTTPS on the listener until `shutdown` turns true; then stops
/// accepting and drops the open connections (event streams never end on their own).
pub async fn serve_https(
    listener: TcpListener,
    tls: Arc<rustls::ServerConfig>,
    app: Router,
    limits: Limits,
    shutdown: watch::Receiver<bool>,
) {
    serve(listener, Some(tls), app, limits, shutdown).await
}

/// Serves the router on the listener, over TLS when `tls` is given, until `shutdown` turns
/// true. At most `limits.max_connections` connections are served at once (the next is
/// accepted only when one ends), a client has `limits.header_timeout` for its TLS handshake
/// and for each request's header block, and each request carries its client's [`Peer`]
/// address (and, with a client certificate, its [`ClientCert`]).
pub async fn serve(
    listener: TcpListener,
    tls: Option<Arc<rustls::ServerConfig>>,
    app: Router,
    limits: Limits,
    mut shutdown: watch::Receiver<bool>,
) {
    let acceptor = tls.map(tokio_rustls::TlsAcceptor::from);
    let slots = Arc::new(tokio::sync::Semaphore::new(limits.max_connections.max(1)));
    let mut conns = JoinSet::new();
    loop {
        // A free slot first: beyond the cap, clients wait in the backlog instead of holding
        // memory and tasks here.
        let permit = tokio::select! {
            p = Arc::clone(&slots).acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = shutdown.wait_for(|s| *s) => break,
            Some(_) = conns.join_next(), if !conns.is_empty() => continue,
        };
        let accepted = tokio::select! {
            r = listener.accept() => Some(r),
            _ = shutdown.wait_for(|s| *s) => None,
        };
        let (tcp, peer) = match accepted {
            None => break,
            Some(Ok(x)) => x,
            Some(Err(e)) => {
                debug!(error = %e, "accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let acceptor = acceptor.clone();
        let app = app.clone();
        conns.spawn(async move {
            let _permit = permit;
            let _ = tcp.set_nodelay(true);
            match acceptor {
                Some(acceptor) => {
                    // A client that never finishes its handshake does not hold a slot forever.
                    let tls =
                        match tokio::time::timeout(limits.header_timeout, acceptor.accept(tcp))
                            .await
                        {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                debug!(error = %e, "TLS handshake failed");
                                return;
                            }
                            Err(_) => return,
                        };
                    let cert = tls
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .map(|c| ClientCert(Arc::new(c.as_ref().to_vec())));
                    serve_conn(TokioIo::new(tls), app, peer, cert, limits).await
                }
                None => serve_conn(TokioIo::new(tcp), app, peer, None, limits).await,
            }
        });
    }
    conns.abort_all();
}

/// The DER of the certificate a client authenticated with (mutual TLS), put into each
/// request's extensions by the accept loop.
#[derive(Debug, Clone)]
pub struct ClientCert(pub Arc<Vec<u8>>);

async fn serve_conn<I>(
    io: I,
    app: Router,
    peer: SocketAddr,
    cert: Option<ClientCert>,
    limits: Limits,
) where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let svc = app.map_request(
        move |mut req: axum::extract::Request<hyper::body::Incoming>| {
            req.extensions_mut().insert(Peer(peer));
            if let Some(c) = &cert {
                req.extensions_mut().insert(c.clone());
            }
            req
        },
    );
    let svc = hyper_util::service::TowerToHyperService::new(svc);
    let _ = hyper::server::conn::http1::Builder::new()
        .header_read_timeout(limits.header_timeout)
        .timer(hyper_util::rt::TokioTimer::new())
        .serve_connection(io, svc)
        .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn self_signed_certificate_builds_a_server_config() {
        let c = ServerCert::self_signed(&[]).unwrap();
        assert!(c.self_signed);
        assert_eq!(c.fingerprint.len(), 32 * 3 - 1);
        assert!(c.server_config(None).is_ok());
        assert_eq!(
            parse_fingerprint(&c.fingerprint).map(hex::encode),
            Some(c.fingerprint.replace(':', "").to_lowercase())
        );
    }
}
