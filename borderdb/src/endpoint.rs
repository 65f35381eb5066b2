//! The HTTPS endpoint: one blocking `POST` per query, speaking the JSON contract of
//! `docs/borderdb-http.md` (modelled on how national SIS interfaces and Interpol's SLTD
//! answer a border check: hit or not, which database, what kind of record, what to do).
//!
//! Request (`Content-Type: application/json`, `Authorization: Bearer <token>` when a token
//! file is configured); `person` only when the query has one, `birth_date` `null` when DG1
//! gives a partial date:
//!
//! ```json
//! {"document": {"number": "L898902C3", "issuing_state": "UTO", "type": "P"},
//!  "person": {"primary_identifier": "ERIKSSON", "secondary_identifier": "ANNA MARIA",
//!             "birth_date": "1974-08-12", "nationality": "UTO"}}
//! ```
//!
//! Answer: a 2xx status and, within 64 KiB, `{"hit": false}` or
//! `{"hit": true, "source": "sis", "category": "refusal_of_entry", "action": "..."}`
//! (`source` 1 to 32 of `a-z0-9_`, `category` one of [`crate::Category`]'s names, `action`
//! optional, at most 500 characters; other members ignored). Anything else — a timeout, no
//! connection, a TLS failure, another status, a redirect (never followed: the body would go
//! to a server not configured), a longer or different body — is an [`EndpointError`] and
//! the source is unavailable.
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

use crate::config::BorderDbConfig;
use crate::error::BorderDbError;
use crate::query::Query;
use crate::{Action, Category, Hit};

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
    /// The answer is not `{"hit": false}` or a hit with its source and category.
    #[error(
        "the answer is not {{\"hit\": false}} or {{\"hit\": true, \"source\", \"category\", \"action\"}}"
    )]
    Malformed,
    /// Any other failure of the HTTP client.
    #[error("the request failed")]
    Other,
}

/// The request body.
#[derive(Serialize)]
struct Request<'a> {
    document: DocumentPart<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    person: Option<PersonPart<'a>>,
}

#[derive(Serialize)]
struct DocumentPart<'a> {
    number: &'a str,
    issuing_state: &'a str,
    #[serde(rename = "type")]
    kind: char,
}

#[derive(Serialize)]
struct PersonPart<'a> {
    primary_identifier: &'a str,
    secondary_identifier: &'a str,
    /// `YYYY-MM-DD` (10 bytes, on the stack: no heap copy to zeroize).
    birth_date: Option<&'a str>,
    nationality: &'a str,
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
    pub(crate) fn new(config: &BorderDbConfig) -> Result<Self, BorderDbError> {
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
            .map_err(|e| BorderDbError::Client(e.to_string()))?
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
            .map_err(|_| BorderDbError::Client("the HTTP client panicked".into()))?
            .map_err(|e| BorderDbError::Client(e.to_string()))?;
        Ok(Self {
            client,
            url: config.url.clone(),
            timeout: Duration::from_secs_f64(config.timeout_s),
            authorization,
        })
    }

    /// Asks the endpoint: `Ok(Some(hit))` for a hit.
    pub(crate) fn ask(&self, query: &Query) -> Result<Option<Hit>, EndpointError> {
        // Big enough for any request, so serde_json never reallocates (a reallocation would
        // leave a copy of the document number behind, not zeroized). The copy handed to the
        // client is, like the socket's buffers, out of this crate's reach.
        let mut body = Zeroizing::new(Vec::with_capacity(512));
        let mut date = [0u8; 10];
        let birth_date = query.person().and_then(|p| p.birth_date()).and_then(|d| {
            use std::io::Write;
            let mut w = &mut date[..];
            write!(w, "{d}").ok()?;
            Some(())
        });
        let birth_date = birth_date.and_then(|()| std::str::from_utf8(&date).ok());
        let nationality = query.nationality();
        let person = query.person().map(|p| PersonPart {
            primary_identifier: p.primary(),
            secondary_identifier: p.secondary(),
            birth_date,
            nationality: nationality.as_str(),
        });
        serde_json::to_writer(
            &mut *body,
            &Request {
                document: DocumentPart {
                    number: query.document_number(),
                    issuing_state: query.issuing_state().as_str(),
                    kind: query.document_type(),
                },
                person,
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
        let answer = Zeroizing::new(answer);
        parse_answer(&answer).ok_or(EndpointError::Malformed)
    }
}

impl crate::Source for Endpoint {
    fn name(&self) -> &str {
        crate::ENDPOINT_SOURCE
    }
    fn query(&self, query: &Query) -> Result<Option<Hit>, crate::BorderDbError> {
        self.ask(query).map_err(crate::BorderDbError::Endpoint)
    }
}

/// A source name as an answer may give it: 1 to 32 of `a-z`, `0-9`, `_`.
pub fn valid_source_name(name: &str) -> bool {
    (1..=32).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// An answer body: `Some(None)` for `{"hit": false}`, `Some(Some(hit))` for a hit with a
/// valid `source` and `category` (and an optional string `action`; without one, the
/// category's default), `None` for anything else (other members are ignored). Never panics,
/// whatever the bytes (fuzzed).
pub fn parse_answer(answer: &[u8]) -> Option<Option<Hit>> {
    // Through a map, not a struct: serde would also take a struct from an array (`[true]`).
    let answer: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(answer).ok()?;
    if !answer.get("hit")?.as_bool()? {
        return Some(None);
    }
    let source = answer.get("source")?.as_str()?;
    if !valid_source_name(source) {
        return None;
    }
    let category = Category::from_name(answer.get("category")?.as_str()?)?;
    let action = match answer.get("action") {
        None | Some(serde_json::Value::Null) => Action::new(category.default_action()),
        Some(serde_json::Value::String(text)) if text.chars().count() <= crate::MAX_ACTION => {
            Action::new(text)
        }
        Some(_) => return None,
    };
    Some(Some(Hit {
        source: source.to_string(),
        category,
        action,
    }))
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
fn read_token(config: &BorderDbConfig) -> Result<Zeroizing<String>, BorderDbError> {
    let path = &config.token_file;
    let bytes = Zeroizing::new(fs::read(path).map_err(|e| BorderDbError::ReadToken {
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
        return Err(BorderDbError::BadToken { path: path.clone() });
    }
    let mut authorization = Zeroizing::new(String::with_capacity(7 + token.len()));
    authorization.push_str("Bearer ");
    // Checked ASCII above.
    authorization.extend(token.iter().map(|&b| char::from(b)));
    Ok(authorization)
}

/// The CA certificates of the PEM bundle in `ca_file`.
fn read_ca(config: &BorderDbConfig) -> Result<rustls::RootCertStore, BorderDbError> {
    let path = &config.ca_file;
    let pem = fs::read(path).map_err(|e| BorderDbError::ReadCa {
        path: path.clone(),
        kind: e.kind(),
    })?;
    let bad = || BorderDbError::BadCa { path: path.clone() };
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

    fn token(content: &[u8]) -> Result<String, BorderDbError> {
        let mut file = tempfile::NamedTempFile::new().unwrap();
        file.write_all(content).unwrap();
        let config = BorderDbConfig {
            token_file: file.path().into(),
            ..BorderDbConfig::default()
        };
        read_token(&config).map(|t| t.to_string())
    }

    #[test]
    fn answers() {
        assert_eq!(parse_answer(br#"{"hit": false}"#), Some(None));
        assert_eq!(parse_answer(br#"{"hit": false, "source": 7}"#), Some(None));
        let hit = parse_answer(
            br#"{"hit": true, "source": "sis", "category": "refusal_of_entry", "action": "Refuse entry"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            (hit.source.as_str(), hit.category, hit.action.text()),
            ("sis", Category::RefusalOfEntry, "Refuse entry")
        );
        let hit = parse_answer(br#"{"hit": true, "source": "sltd", "category": "lost_document"}"#)
            .unwrap()
            .unwrap();
        assert_eq!(hit.action.text(), Category::LostDocument.default_action());
        // What would slip past a lax parser: a hit without its source or category, a source
        // that would forge a metrics label or an audit field, an unknown category, an
        // array, a string for the boolean, an action that is not text.
        for bad in [
            &br#"{"hit": true}"#[..],
            br#"{"hit": true, "category": "check"}"#,
            br#"{"hit": true, "source": "sis"}"#,
            br#"{"hit": true, "source": "SIS\"}", "category": "check"}"#,
            br#"{"hit": true, "source": "", "category": "check"}"#,
            br#"{"hit": true, "source": "sis", "category": "arrest"}"#,
            br#"{"hit": true, "source": "sis", "category": "check", "action": 1}"#,
            br#"[true]"#,
            br#"{"hit": "true"}"#,
            b"",
        ] {
            assert_eq!(parse_answer(bad), None, "{}", String::from_utf8_lossy(bad));
        }
        let long = format!(
            r#"{{"hit": true, "source": "sis", "category": "check", "action": "{}"}}"#,
            "x".repeat(crate::MAX_ACTION + 1)
        );
        assert_eq!(parse_answer(long.as_bytes()), None);
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
            assert!(matches!(err, BorderDbError::BadToken { .. }), "{bad:?}");
        }
    }
}
