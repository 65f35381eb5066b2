//! `[borderdb]`: where the list is and how to reach it.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// The annotated `[borderdb]` section (for the daemon's default config file).
pub const ANNOTATED_DEFAULT: &str = include_str!("../borderdb.toml");

/// Longest query timeout accepted, seconds: a passage waits for the answer.
const MAX_TIMEOUT_S: f64 = 30.0;

/// `[borderdb]`. Both `file` and `url` empty: no list is configured.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct BorderDbConfig {
    /// The local list file; empty: none.
    pub file: PathBuf,
    /// The HTTP endpoint (`https://`, or `http://` to a loopback address); empty: none.
    pub url: String,
    /// File holding the bearer token sent to the endpoint; empty: no `Authorization` header.
    pub token_file: PathBuf,
    /// PEM CA bundle trusted for the endpoint (and nothing else); empty: the Mozilla root
    /// store built into egate (`webpki-roots`), not the system's.
    pub ca_file: PathBuf,
    /// Limit for one whole endpoint query (resolve, connect, TLS, request, answer), seconds.
    pub timeout_s: f64,
}

impl Default for BorderDbConfig {
    fn default() -> Self {
        Self {
            file: PathBuf::new(),
            url: String::new(),
            token_file: PathBuf::new(),
            ca_file: PathBuf::new(),
            timeout_s: 2.0,
        }
    }
}

impl BorderDbConfig {
    /// Whether a list is configured (a file, an endpoint or both).
    pub fn is_configured(&self) -> bool {
        !self.file.as_os_str().is_empty() || !self.url.is_empty()
    }

    /// Values the types do not rule out, as (`borderdb.<key>`, message); empty when fine.
    /// Static checks only: whether the files exist is [`crate::BorderDb::new`]'s business.
    pub fn problems(&self) -> Vec<(String, String)> {
        let mut problems = Vec::new();
        let mut bad = |key: &str, message: &str| {
            problems.push((format!("borderdb.{key}"), message.to_string()));
        };
        if !self.url.is_empty() {
            if let Err(message) = check_url(&self.url) {
                bad("url", message);
            }
        } else {
            if !self.token_file.as_os_str().is_empty() {
                bad("token_file", "has no effect without borderdb.url");
            }
            if !self.ca_file.as_os_str().is_empty() {
                bad("ca_file", "has no effect without borderdb.url");
            }
        }
        if !(self.timeout_s > 0.0 && self.timeout_s <= MAX_TIMEOUT_S) {
            bad("timeout_s", "must be more than 0 and at most 30 seconds");
        }
        problems
    }
}

/// Whether `url` is one the endpoint may be: `https://host...`, or `http://` to a loopback
/// address only, because the query carries personal data that must not cross a network in
/// clear. No credentials in the URL: the token belongs in `token_file`.
pub(crate) fn check_url(url: &str) -> Result<(), &'static str> {
    const NOT_A_URL: &str = "is not a URL like https://borderdb.example/check";
    let url = reqwest::Url::parse(url).map_err(|_| NOT_A_URL)?;
    let Some(host) = url.host_str() else {
        return Err(NOT_A_URL);
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not hold credentials: put a bearer token in borderdb.token_file");
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err(
            "must use https:// (plain http:// only to a loopback address such as \
             127.0.0.1: the query carries personal data)",
        ),
        _ => Err("must start with https://"),
    }
}

/// `localhost` (RFC 6761 §6.3), `127.0.0.0/8` or `::1`.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotated_default_parses_and_equals_default() {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Doc {
            borderdb: BorderDbConfig,
        }
        let doc: Doc = toml::from_str(ANNOTATED_DEFAULT).unwrap();
        assert_eq!(doc.borderdb, BorderDbConfig::default());
        assert!(!doc.borderdb.is_configured());
        assert!(doc.borderdb.problems().is_empty());
    }

    #[test]
    fn urls() {
        for ok in [
            "https://borderdb.example/check",
            "https://10.1.2.3:8443/v1/check",
            "http://127.0.0.1:9000/check",
            "http://127.8.9.10/check",
            "http://localhost:9000/check",
            "http://[::1]:9000/check",
        ] {
            assert_eq!(check_url(ok), Ok(()), "{ok}");
        }
        for bad in [
            "http://10.1.2.3/check",
            "http://borderdb.example/check",
            "http://[::2]/check",
            "http://127.0.0.1.example/check",
            "ftp://127.0.0.1/check",
            "https://user:secret@borderdb.example/check",
            "borderdb.example/check",
            "not a url",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn problems_are_keyed() {
        let c = BorderDbConfig {
            url: "http://192.0.2.7/check".into(),
            timeout_s: 0.0,
            ..BorderDbConfig::default()
        };
        let keys: Vec<String> = c.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["borderdb.url", "borderdb.timeout_s"]);

        let c = BorderDbConfig {
            token_file: "/etc/egate/token".into(),
            timeout_s: f64::NAN,
            ..BorderDbConfig::default()
        };
        let keys: Vec<String> = c.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(keys, ["borderdb.token_file", "borderdb.timeout_s"]);
    }
}
