//! The HTTP endpoint: one blocking `POST` per query.
//!
//! Request (`Content-Type: application/json`, `Authorization: Bearer <token>` when a token
//! file is configured), fields upper case and without fillers except the states, which are
//! the three-character ICAO 9303-3 codes (`D<<`):
//!
//! ```json
//! {"issuing_state": "UTO", "document_number": "L898902C3", "nationality": "UTO", "document_type": "P"}
//! ```
//!
//! Answer: a 2xx status and the JSON object `{"hit": true}` or `{"hit": false}` (other
//! members are ignored) of at most 64 KiB. Anything else — a timeout, no connection, a TLS
//! failure, another status, a redirect (never followed: the body would go to a server not
//! configured), a longer or different body — is an [`EndpointError`] and the query's result
//! is `Unavailable`.
//!
//! HTTP is reqwest's blocking client (the workspace's one client stack), so a query must run
//! on a thread that may block, never on an async runtime's worker. TLS is rustls with the
//! *ring* provider (the console's stack), trusting either the PEM bundle of `ca_file` alone
//! or, without one, the Mozilla roots built in (`webpki-roots`). No proxy is used, whatever
//! the environment says: personal data goes straight to the configured host.

use std::fs;
use std::io::{self, Read};
use std::sync::Arc;
use std::time::Duration;

use reqwest::blocking::Client;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use zeroize::Zeroizing;

use crate::config::WatchlistConfig;
use crate::error::WatchlistError;
use crate::query::Query;

/// Longest answer read, bytes. `{"hit": false}` is 14.
const MAX_ANSWER: u64 = 64 * 1024;

/// Why the endpoint gave no usable answer. Holds no document data (the document number
/// travels only in the request body, which no error repeats).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EndpointError {
    /// No complete answer within `timeout_s`.
    #[error("no answer within the timeout")]
    Timeout,
    /// The host name does not resolve.
    #[error("host name not found")]
    HostNotFound,
    /// No connection could be made.
    #[error("connection failed")]
    ConnectionFailed,
    /// The connection broke while the answer was read.
    #[error("connection error: {0}")]
    Io(io::ErrorKind),
    /// The TLS handshake failed (e.g. a certificate not issued by a trusted CA).
    #[error("TLS: {0}")]
    Tls(String),
    /// No valid HTTP/1.1 answer (malformed, or the connection closed before one came).
    #[error("the answer is not valid HTTP/1.1")]
    Protocol,
    /// A redirect status: not followed.
    #[error("answered with a redirect (HTTP {0}); redirects are not followed")]
    Redirect(u16),
    /// Another status than 2xx.
    #[error("answered HTTP {0}")]
    Status(u16),
    /// The answer is longer than 64 KiB.
    #[error("the answer is longer than 64 KiB")]
    TooLarge,
    /// The answer is not `{"hit": true|false}`.
    #[error("the answer is not the JSON object {{\"hit\": true|false}}")]
    Malformed,
    /// Any other failure of the HTTP client.
    #[error("the request failed")]
    Other,
}

/// The request body.
#[derive(Serialize)]
struct Request<'a> {
    issuing_state: &'a str,
    document_number: &'a str,
    nationality: &'a str,
    document_type: char,
}

/// A configured endpoint.
pub(crate) struct Endpoint {
    client: Client,
    url: String,
    timeout: Duration,
    /// `Bearer <token>`.
    authorization: Option<Zeroizing<String>>,
}

impl Endpoint {
    /// Reads the token and CA files and builds the client; no network traffic.
    pub(crate) fn new(config: &WatchlistConfig) -> Result<Self, WatchlistError> {
        let authorization = if config.token_file.as_os_str().is_empty() {
            None
        } else {
            Some(read_token(config)?)
        };
        let roots = if config.ca_file.as_os_str().is_empty() {
            rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            }
        } else {
            read_ca(config)?
        };
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| WatchlistError::Client(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        let https_only = config.url.starts_with("https:");
        let build = move || {
            Client::builder()
                .tls_backend_preconfigured(tls)
                .https_only(https_only)
                .no_proxy()
                // A redirect is an answer to classify, not to follow.
                .redirect(reqwest::redirect::Policy::none())
                .user_agent(concat!("egate/", env!("CARGO_PKG_VERSION")))
                .build()
        };
        // The blocking client starts its own I/O thread and waits for it, which a Tokio worker
        // thread must not do; `new` may be called from async code, so the client is built on a
        // thread of its own.
        let client = std::thread::spawn(build)
            .join()
            .map_err(|_| WatchlistError::Client("the HTTP client panicked".into()))?
            .map_err(|e| WatchlistError::Client(e.to_string()))?;
        Ok(Self {
            client,
            url: config.url.clone(),
            timeout: Duration::from_secs_f64(config.timeout_s),
            authorization,
        })
    }

    /// The configured URL.
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Asks the endpoint: `Ok(true)` for a hit.
    pub(crate) fn query(&self, query: &Query) -> Result<bool, EndpointError> {
        // Big enough for any request, so serde_json never reallocates (a reallocation would
        // leave a copy of the document number behind, not zeroized). The copy handed to the
        // client is, like the socket's buffers, out of this crate's reach.
        let mut body = Zeroizing::new(Vec::with_capacity(256));
        serde_json::to_writer(
            &mut *body,
            &Request {
                issuing_state: query.issuing_state().as_str(),
                document_number: query.document_number(),
                nationality: query.nationality().as_str(),
                document_type: query.document_type(),
            },
        )
        .map_err(|_| EndpointError::Other)?;
        let mut request = self
            .client
            .post(self.url.as_str())
            // One limit for the whole query: connect, TLS, request and the answer's body.
            .timeout(self.timeout)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(body.to_vec());
        if let Some(authorization) = &self.authorization {
            let mut value = reqwest::header::HeaderValue::from_str(authorization)
                .map_err(|_| EndpointError::Other)?;
            value.set_sensitive(true);
            request = request.header(reqwest::header::AUTHORIZATION, value);
        }
        let response = request.send().map_err(|e| classify(&e))?;
        let status = response.status();
        if status.is_redirection() {
            return Err(EndpointError::Redirect(status.as_u16()));
        }
        if !status.is_success() {
            return Err(EndpointError::Status(status.as_u16()));
        }
        if response.content_length().is_some_and(|n| n > MAX_ANSWER) {
            return Err(EndpointError::TooLarge);
        }
        let mut answer = Vec::new();
        response
            .take(MAX_ANSWER + 1)
            .read_to_end(&mut answer)
            .map_err(|e| classify_read(&e))?;
        if answer.len() as u64 > MAX_ANSWER {
            return Err(EndpointError::TooLarge);
        }
        parse_answer(&answer).ok_or(EndpointError::Malformed)
    }
}

/// `hit` of an answer body that is a JSON object with a boolean member `hit` (other members
/// are ignored); `None` for anything else. Never panics, whatever the bytes (fuzzed).
pub fn parse_answer(answer: &[u8]) -> Option<bool> {
    // Through a map, not a struct: serde would also take a struct from an array (`[true]`).
    let answer: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(answer).ok()?;
    answer.get("hit")?.as_bool()
}

/// The client's error, as an [`EndpointError`].
fn classify(error: &reqwest::Error) -> EndpointError {
    if error.is_timeout() {
        EndpointError::Timeout
    } else if let Some(tls) = find::<rustls::Error>(error) {
        // rustls reports a failed handshake inside the connection's I/O error.
        EndpointError::Tls(tls.to_string())
    } else if error.is_dns() {
        EndpointError::HostNotFound
    } else if error.is_connect() {
        EndpointError::ConnectionFailed
    } else if let Some(io) = find::<io::Error>(error) {
        EndpointError::Io(io.kind())
    } else if error.is_request() {
        EndpointError::Protocol
    } else {
        EndpointError::Other
    }
}

/// An error reading the answer's body, as an [`EndpointError`].
fn classify_read(error: &io::Error) -> EndpointError {
    match find::<reqwest::Error>(error) {
        Some(e) if e.is_timeout() => EndpointError::Timeout,
        _ if error.kind() == io::ErrorKind::TimedOut => EndpointError::Timeout,
        _ => EndpointError::Io(error.kind()),
    }
}

/// The first error of type `E` in the chain of `error`'s sources (itself included).
fn find<'a, E: std::error::Error + 'static>(
    error: &'a (dyn std::error::Error + 'static),
) -> Option<&'a E> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(found) = e.downcast_ref::<E>() {
            return Some(found);
        }
        // An io::Error's payload is not among its sources (they start below it): step into it.
        next = match e.downcast_ref::<io::Error>().and_then(io::Error::get_ref) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => e.source(),
        };
    }
    None
}

/// `Bearer <token>` from the token file: one RFC 6750 §2.1 `b64token`, optionally followed
/// by a line end.
fn read_token(config: &WatchlistConfig) -> Result<Zeroizing<String>, WatchlistError> {
    let path = &config.token_file;
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| WatchlistError::ReadToken {
        path: path.clone(),
        kind: e.kind(),
    })?);
    let token = bytes
        .strip_suffix(b"\n")
        .map(|t| t.strip_suffix(b"\r").unwrap_or(t))
        .unwrap_or(&bytes);
    let body = token
        .iter()
        .rposition(|&b| b != b'=')
        .map_or(&[][..], |last| &token[..=last]);
    let b64token = !body.is_empty()
        && body
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
    if !b64token {
        return Err(WatchlistError::BadToken { path: path.clone() });
    }
    let mut authorization = Zeroizing::new(String::with_capacity(7 + token.len()));
    authorization.push_str("Bearer ");
    // Checked ASCII above.
    authorization.extend(token.iter().map(|&b| char::from(b)));
    Ok(authorization)
}

/// The CA certificates of the PEM bundle in `ca_file`.
fn read_ca(config: &WatchlistConfig) -> Result<rustls::RootCertStore, WatchlistError> {
    let path = &config.ca_file;
    let pem = fs::read(path).map_err(|e| WatchlistError::ReadCa {
        path: path.clone(),
        kind: e.kind(),
    })?;
    let bad = || WatchlistError::BadCa { path: path.clone() };
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        roots.add(cert.map_err(|_| bad())?).map_err(|_| bad())?;
    }
    if roots.is_empty() {
        return Err(bad());
    }
    Ok(roots)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn token(content: &[u8]) -> Result<String, WatchlistError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let config = WatchlistConfig {
            token_file: file.path().into(),
            ..WatchlistConfig::default()
        };
        read_token(&config).map(|t| t.to_string())
    }

    #[test]
    fn tokens() {
        assert_eq!(
            token(b"abc.DEF-123_~+/==\n").unwrap(),
            "Bearer abc.DEF-123_~+/=="
        );
        assert_eq!(token(b"abc\r\n").unwrap(), "Bearer abc");
        assert_eq!(token(b"abc").unwrap(), "Bearer abc");
        for bad in [
            &b""[..],
            b"\n",
            b"==",
            b"a b",
            b"abc\n\n",
            b"a=b",
            b"abc\x7f",
            b"\xc3\xa4",
        ] {
            let err = token(bad).unwrap_err();
            assert!(matches!(err, WatchlistError::BadToken { .. }), "{bad:?}");
        }
    }
}
