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
//! TLS is rustls with the *ring* provider (the console's stack), trusting either the PEM
//! bundle of `ca_file` alone or, without one, the Mozilla roots built in (`webpki-roots`).
//! No proxy is used, whatever the environment says: personal data goes straight to the
//! configured host.

use std::fs;
use std::io;
use std::time::Duration;

use serde::Serialize;
use ureq::tls::{PemItem, RootCerts, TlsConfig, TlsProvider};
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
    /// The connection broke.
    #[error("connection error: {0}")]
    Io(io::ErrorKind),
    /// The TLS handshake failed (e.g. a certificate not issued by a trusted CA).
    #[error("TLS: {0}")]
    Tls(String),
    /// The answer is not HTTP/1.1.
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
    agent: ureq::Agent,
    url: String,
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
            RootCerts::WebPki
        } else {
            read_ca(config)?
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let agent = ureq::Agent::config_builder()
            .tls_config(tls)
            .https_only(config.url.starts_with("https:"))
            .proxy(None)
            // Statuses and redirects are answers to classify, not errors of the client.
            .http_status_as_error(false)
            .max_redirects(0)
            .max_redirects_will_error(false)
            .timeout_global(Some(Duration::from_secs_f64(config.timeout_s)))
            .user_agent(concat!("egate/", env!("CARGO_PKG_VERSION")))
            .build()
            .new_agent();
        Ok(Self {
            agent,
            url: config.url.clone(),
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
        // leave a copy of the document number behind, not zeroized).
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
            .agent
            .post(self.url.as_str())
            .header("content-type", "application/json")
            .header("accept", "application/json");
        if let Some(authorization) = &self.authorization {
            request = request.header("authorization", authorization.as_str());
        }
        let mut response = request.send(&body[..]).map_err(classify)?;
        let status = response.status();
        if status.is_redirection() {
            return Err(EndpointError::Redirect(status.as_u16()));
        }
        if !status.is_success() {
            return Err(EndpointError::Status(status.as_u16()));
        }
        let answer = response
            .body_mut()
            .with_config()
            .limit(MAX_ANSWER)
            .read_to_vec()
            .map_err(classify)?;
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
fn classify(error: ureq::Error) -> EndpointError {
    match error {
        ureq::Error::Timeout(_) => EndpointError::Timeout,
        ureq::Error::Io(e) if e.kind() == io::ErrorKind::TimedOut => EndpointError::Timeout,
        // rustls reports a failed handshake through the I/O error of the stream.
        ureq::Error::Io(e) => match e.get_ref().and_then(|e| e.downcast_ref::<rustls::Error>()) {
            Some(tls) => EndpointError::Tls(tls.to_string()),
            None => EndpointError::Io(e.kind()),
        },
        ureq::Error::HostNotFound => EndpointError::HostNotFound,
        ureq::Error::ConnectionFailed => EndpointError::ConnectionFailed,
        ureq::Error::Tls(why) => EndpointError::Tls(why.to_string()),
        ureq::Error::Rustls(e) => EndpointError::Tls(e.to_string()),
        ureq::Error::Protocol(_) => EndpointError::Protocol,
        ureq::Error::BodyExceedsLimit(_) => EndpointError::TooLarge,
        _ => EndpointError::Other,
    }
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
fn read_ca(config: &WatchlistConfig) -> Result<RootCerts, WatchlistError> {
    let path = &config.ca_file;
    let pem = fs::read(path).map_err(|e| WatchlistError::ReadCa {
        path: path.clone(),
        kind: e.kind(),
    })?;
    let bad = || WatchlistError::BadCa { path: path.clone() };
    let mut certs = Vec::new();
    for item in ureq::tls::parse_pem(&pem) {
        if let PemItem::Certificate(cert) = item.map_err(|_| bad())? {
            certs.push(cert);
        }
    }
    if certs.is_empty() {
        return Err(bad());
    }
    Ok(RootCerts::new_with_certs(&certs))
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
