//! `[fleet]`: the gates' events on a NATS JetStream stream, for a central console or any
//! consumer of a fleet of gates.

use serde::{Deserialize, Serialize};

use super::check::Problems;

/// `[fleet]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct FleetConfig {
    /// NATS server URL(s), comma-separated (`nats://broker:4222`); empty: no publishing.
    pub nats_url: String,
    /// The JetStream stream (created with the subjects `<subject_prefix>.>` if absent).
    pub stream: String,
    /// Events go to `<subject_prefix>.<gate>.<type>`.
    pub subject_prefix: String,
    /// Folder of the disk buffer; empty: `fleet-spool` beside the audit trail.
    pub spool_dir: String,
    /// Seconds to wait for the broker's acknowledgement before sending again.
    pub ack_timeout_s: f64,
    /// The durable consumer of a console following gates on the stream (one per console;
    /// empty: `egate console --stream-gates` refuses to start).
    pub console_consumer: String,
}

impl Default for FleetConfig {
    fn default() -> Self {
        Self {
            nats_url: String::new(),
            stream: "EGATE".into(),
            subject_prefix: "egate.events".into(),
            spool_dir: String::new(),
            ack_timeout_s: 5.0,
            console_consumer: String::new(),
        }
    }
}

impl FleetConfig {
    /// Range problems, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        // NATS stream names: no whitespace, '.', '*', '>', path separators.
        let bad_stream = |c: char| c.is_whitespace() || ".*>/\\".contains(c);
        if self.stream.is_empty() || self.stream.chars().any(bad_stream) {
            p.bad(
                "fleet.stream",
                format!(
                    "{:?} is not a JetStream stream name (letters, digits, - and _)",
                    self.stream
                ),
            );
        }
        let token_ok = |t: &str| {
            !t.is_empty() && !t.chars().any(|c| c.is_whitespace() || c == '*' || c == '>')
        };
        if !self.subject_prefix.split('.').all(token_ok) {
            p.bad(
                "fleet.subject_prefix",
                format!(
                    "{:?} is not a NATS subject without wildcards",
                    self.subject_prefix
                ),
            );
        }
        for url in self.nats_url.split(',').filter(|u| !u.trim().is_empty()) {
            let url = url.trim();
            if !(url.starts_with("nats://") || url.starts_with("tls://")) {
                p.bad(
                    "fleet.nats_url",
                    format!("{url:?} is not a nats:// or tls:// URL"),
                );
            }
        }
        let name_ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !self.console_consumer.chars().all(name_ok) {
            p.bad(
                "fleet.console_consumer",
                format!(
                    "{:?} is not a JetStream consumer name (letters, digits, - and _)",
                    self.console_consumer
                ),
            );
        }
        p.within(
            "fleet.ack_timeout_s",
            self.ack_timeout_s,
            0.1..=60.0,
            " seconds",
        );
    }
}
