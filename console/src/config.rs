//! `[console]`: where the console listens, its accounts, TLS certificate, sessions, login
//! limit, and the gate API's token and client CA. The annotated default is the `[console]` table of the
//! daemon's `config/egate.toml`.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[console]`: the officers' supervision console (HTTPS) and the gate API.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ConsoleConfig {
    /// Serve the console from `egate run`.
    pub enabled: bool,
    /// Address of the console's HTTPS endpoint.
    pub listen: String,
    /// Officers' accounts (TOML with argon2 hashes); empty: nobody can log in (demo accounts
    /// are generated under `--sim`).
    pub users_file: PathBuf,
    /// TLS certificate chain (PEM); empty with `tls_key_file`: a self-signed one is generated.
    pub tls_cert_file: PathBuf,
    /// TLS private key (PEM).
    pub tls_key_file: PathBuf,
    /// Seconds a login lasts.
    pub session_lifetime_s: u64,
    /// Seconds of inactivity that end a login.
    pub session_idle_s: u64,
    /// Failed logins allowed per account and per client address within `login_window_s`.
    pub login_max_failures: u32,
    /// Window of the login rate limit, in seconds.
    pub login_window_s: u64,
    /// File holding the bearer token of the gate API (`/gate-api/v1`); empty: the API is off.
    pub gate_api_token_file: PathBuf,
    /// CA certificates (PEM) that sign the client certificates of the consoles allowed to send
    /// commands over the gate API (mutual TLS); empty: the gate API takes no commands.
    pub gate_api_client_ca_file: PathBuf,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for ConsoleConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            listen: "127.0.0.1:8443".into(),
            users_file: "".into(),
            tls_cert_file: "".into(),
            tls_key_file: "".into(),
            session_lifetime_s: 28_800,
            session_idle_s: 1_800,
            login_max_failures: 5,
            login_window_s: 300,
            gate_api_token_file: "".into(),
            gate_api_client_ca_file: "".into(),
            max_connections: 256,
        }
    }
}

impl ConsoleConfig {
    /// Range and consistency problems, as (dotted key, message).
    pub fn problems(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if self.listen.parse::<SocketAddr>().is_err() {
            p.push((
                "console.listen",
                format!("{:?} is not an address like 127.0.0.1:8443", self.listen),
            ));
        }
        if self.tls_cert_file.as_os_str().is_empty() != self.tls_key_file.as_os_str().is_empty() {
            p.push((
                "console.tls_key_file",
                "set both tls_cert_file and tls_key_file, or neither (self-signed)".into(),
            ));
        }
        if !(60..=86_400).contains(&self.session_lifetime_s) {
            p.push((
                "console.session_lifetime_s",
                "must be between 60 and 86400 seconds".into(),
            ));
        }
        if !(60..=86_400).contains(&self.session_idle_s) {
            p.push((
                "console.session_idle_s",
                "must be between 60 and 86400 seconds".into(),
            ));
        }
        if !(1..=100).contains(&self.login_max_failures) {
            p.push((
                "console.login_max_failures",
                "must be between 1 and 100".into(),
            ));
        }
        if !(1..=86_400).contains(&self.login_window_s) {
            p.push((
                "console.login_window_s",
                "must be between 1 and 86400 seconds".into(),
            ));
        }
        if !self.gate_api_client_ca_file.as_os_str().is_empty()
            && self.gate_api_token_file.as_os_str().is_empty()
        {
            p.push((
                "console.gate_api_client_ca_file",
                "the gate API is off without gate_api_token_file".into(),
            ));
        }
        if !(4..=65_536).contains(&self.max_connections) {
            p.push((
                "console.max_connections",
                "must be between 4 and 65536".into(),
            ));
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_valid_and_bad_values_are_keyed() {
        assert_eq!(ConsoleConfig::default().problems(), vec![]);
        let bad = ConsoleConfig {
            listen: "localhost".into(),
            tls_cert_file: "cert.pem".into(),
            session_lifetime_s: 59,
            session_idle_s: 86_401,
            login_max_failures: 0,
            login_window_s: 0,
            gate_api_client_ca_file: "ca.pem".into(),
            ..ConsoleConfig::default()
        };
        let keys: Vec<&str> = bad.problems().into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "console.listen",
                "console.tls_key_file",
                "console.session_lifetime_s",
                "console.session_idle_s",
                "console.login_max_failures",
                "console.login_window_s",
                "console.gate_api_client_ca_file",
            ]
        );
    }
}
