//! The daemon's own sections: `[server]`, `[log]`, `[audit]`, `[sim]`, `[dangerous]` and
//! `[console]`. The gate's rules are in [`super::policy`], the devices in [`super::devices`].

use std::net::SocketAddr;

pub use console::ConsoleConfig;
use serde::{Deserialize, Serialize};

use super::check::Problems;

/// `[sim]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Number of simulated gates.
    pub gates: usize,
    /// Seconds between a traveller leaving and the next arriving.
    pub arrival_interval_s: f64,
    /// Folder of face images with identities.txt; empty: `<assets>/faces`, a relative path:
    /// under the assets folder ([`vision::VisionConfig::assets_dir`]), never the working
    /// directory.
    pub faces_dir: String,
    /// Share of impostors.
    pub impostor_share: f64,
    /// Share of forged documents.
    pub forged_share: f64,
    /// Share of documents on the borderdb.
    pub listed_share: f64,
    /// Seed of the traveller mix.
    pub seed: u64,
    /// vpcd readers (0 or 1) the lanes read their chips through, in lane order.
    pub vpcd_readers: Vec<u8>,
    /// A fixed, cycled sequence of travellers ("genuine", "impostor", "forged", "listed",
    /// "listed_person", "overstayer", "print", "screen_replay", or a clone profile of
    /// [`CLONE_PATTERNS`]).
    pub pattern: Vec<String>,
    /// Who the travellers are (`sim::holder`: "NAT/DOCUMENT/AGE" or
    /// "NAT@ISSUER/DOCUMENT/AGE"): cycled beside `pattern` when it is set, picked at random
    /// otherwise. Empty: the specimen's holder (a German adult with a passport).
    pub holders: Vec<String>,
    /// Give each simulated lane a simulated near-infrared PAD sensor
    /// (`sim::pad_sensor::SimPadSensor`, through the `hardware::pad_sensor` hook).
    pub pad_sensor: bool,
    /// How long the simulated border database takes to answer, milliseconds.
    pub borderdb_latency_ms: u64,
    /// The lanes take their travellers from `POST /sim/travellers` (an acceptance run in
    /// real time) instead of making their own.
    pub driven: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            gates: 4,
            arrival_interval_s: 2.0,
            faces_dir: String::new(),
            impostor_share: 0.15,
            forged_share: 0.1,
            listed_share: 0.05,
            seed: 1,
            vpcd_readers: vec![0, 1],
            pattern: Vec::new(),
            holders: Vec::new(),
            pad_sensor: false,
            borderdb_latency_ms: 20,
            driven: false,
        }
    }
}

/// The clone travellers `[sim] pattern` may name: the document factory's clone profiles
/// (`sim::factory::Defect::CLONES`; the simulated bank tests that the two agree).
pub const CLONE_PATTERNS: [&str; 7] = [
    "clone",
    "clone-hides-dg14-dg15",
    "clone-aa-signature-wrong",
    "clone-aa-other-key",
    "clone-cam-wrong-proof",
    "clone-card-security-resigned",
    "clone-dg2-not-found",
];

impl SimConfig {
    /// The faces folder: `faces_dir` if absolute, else under `assets` (empty: `faces`).
    #[cfg(feature = "sim")]
    pub fn faces_dir(&self, assets: &std::path::Path) -> std::path::PathBuf {
        match self.faces_dir.as_str() {
            "" => assets.join("faces"),
            dir => assets.join(dir),
        }
    }

    /// Range problems, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        p.within("sim.gates", self.gates, 1..=64, "");
        p.within(
            "sim.arrival_interval_s",
            self.arrival_interval_s,
            0.0..=3600.0,
            "",
        );
        let shares = [self.impostor_share, self.forged_share, self.listed_share];
        if shares.iter().any(|s| !(0.0..=1.0).contains(s)) || shares.iter().sum::<f64>() > 1.0 {
            p.bad(
                "sim.impostor_share",
                "impostor_share, forged_share and listed_share must be in 0..1 and add up to \
                 at most 1",
            );
        }
        #[cfg(feature = "sim")]
        for (i, text) in self.holders.iter().enumerate() {
            if let Err(e) = sim::holder::Holder::parse(text) {
                p.bad(format!("sim.holders[{i}]"), format!("{text:?}: {e}"));
            }
        }
        p.within(
            "sim.borderdb_latency_ms",
            self.borderdb_latency_ms,
            0..=60_000,
            "",
        );
        if self.vpcd_readers.iter().any(|r| *r > 1) {
            p.bad("sim.vpcd_readers", "vpcd offers readers 0 and 1 only");
        }
        for (i, kind) in self.pattern.iter().enumerate() {
            if !matches!(
                kind.as_str(),
                "genuine"
                    | "impostor"
                    | "forged"
                    | "listed"
                    | "listed_person"
                    | "overstayer"
                    | "third_country"
                    | "print"
                    | "screen_replay"
            ) && !CLONE_PATTERNS.contains(&kind.as_str())
            {
                p.bad(
                    format!("sim.pattern[{i}]"),
                    format!(
                        "{kind:?} is not one of \"genuine\", \"impostor\", \"forged\", \"listed\", \
                         \"listed_person\", \"overstayer\", \"third_country\", \"print\", \"screen_replay\" or a \
                         clone ({})",
                        CLONE_PATTERNS.join(", ")
                    ),
                );
            }
        }
    }
}

/// `[ees]`: the EES step for third-country nationals on the entry lanes of a Schengen
/// external border crossing point (Regulation (EU) 2017/2226).
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EesConfig {
    /// Whether the lane runs the step; it does on an entry lane only (`[gate] direction`).
    pub enabled: bool,
    /// The adapter.
    pub adapter: EesAdapter,
    /// The `[eligibility.groups]` group whose nationals skip the step (EU, EEA, CH).
    pub exempt_group: String,
}

/// `[ees] adapter`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum EesAdapter {
    /// None: third-country nationals are referred with `ees_required`.
    None,
    /// The simulator's EES (`egate run --sim` only).
    Sim,
}

impl Default for EesConfig {
    fn default() -> Self {
        Self {
            enabled: false,
            adapter: EesAdapter::None,
            exempt_group: "eu_eea_ch".into(),
        }
    }
}

impl EesConfig {
    /// Whether the step runs on a lane of `direction`.
    pub fn applies(&self, direction: gate::Direction) -> bool {
        self.enabled && direction == gate::Direction::Entry
    }

    /// The members of the exempt group in `table` (the lane's eligibility table, where
    /// `egate config check` has made sure the group exists); none if it does not.
    pub fn exempt(&self, table: &gate::RuleTable) -> Vec<gate::CountryCode> {
        table
            .groups
            .iter()
            .find(|g| g.name == self.exempt_group)
            .map(|g| g.members.clone())
            .unwrap_or_default()
    }

    /// An exempt group that `table` does not define, under its dotted key.
    pub fn problems(&self, table: &gate::RuleTable, p: &mut Problems) {
        if !table.groups.iter().any(|g| g.name == self.exempt_group) {
            let defined: Vec<&str> = table.groups.iter().map(|g| g.name.as_str()).collect();
            p.bad(
                "ees.exempt_group",
                format!(
                    "no group {:?} in [eligibility.groups] (defined: {})",
                    self.exempt_group,
                    defined.join(", ")
                ),
            );
        }
    }
}

/// `[audit]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct AuditConfig {
    /// The trail file (JSON lines).
    pub file: std::path::PathBuf,
    /// The pseudonym key file.
    pub pseudonym_key_file: std::path::PathBuf,
    /// The key of the trail's MACs (created, mode 0600, if absent; refused if anyone but its
    /// owner may read or write it). Checkpoints go to `<file>.checkpoints` and to the log.
    pub mac_key_file: std::path::PathBuf,
}

impl AuditConfig {
    /// Keeps the trail (named `trail`) and the pseudonym key in `dir` (`--state-dir`).
    pub fn keep_in(&mut self, dir: &std::path::Path, trail: &str) {
        self.file = dir.join(trail);
        self.pseudonym_key_file = dir.join("pseudonym.key");
        self.mac_key_file = dir.join("audit-mac.key");
    }
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            file: "/var/lib/egate/audit.jsonl".into(),
            pseudonym_key_file: "/var/lib/egate/pseudonym.key".into(),
            mac_key_file: "/var/lib/egate/audit-mac.key".into(),
        }
    }
}

impl AuditConfig {
    /// Range problems, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        if self.file.as_os_str().is_empty() {
            p.bad("audit.file", "must name a file");
        }
        if self.pseudonym_key_file.as_os_str().is_empty() {
            p.bad("audit.pseudonym_key_file", "must name a file");
        }
        if self.mac_key_file.as_os_str().is_empty() {
            p.bad("audit.mac_key_file", "must name a file");
        }
    }

    /// The folder of the daemon's own files: the audit trail's folder (demo console
    /// accounts and the simulator's borderdb go there too).
    pub fn state_dir(&self) -> std::path::PathBuf {
        self.file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| std::path::PathBuf::from("."))
    }
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ServerConfig {
    /// Address of the HTTP endpoint.
    pub listen: String,
    /// Seconds to let open connections finish on shutdown.
    pub shutdown_grace_s: f64,
    /// Bearer token file that lets a client from another host read `/metrics`; empty: only
    /// loopback clients may.
    pub metrics_token_file: std::path::PathBuf,
    /// Connections served at once; more wait in the kernel's backlog.
    pub max_connections: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            shutdown_grace_s: 1.5,
            metrics_token_file: "".into(),
            max_connections: 64,
        }
    }
}

impl ServerConfig {
    /// Range problems, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        if self.listen.parse::<SocketAddr>().is_err() {
            p.bad(
                "server.listen",
                format!("{:?} is not an address like 127.0.0.1:8080", self.listen),
            );
        }
        p.within(
            "server.shutdown_grace_s",
            self.shutdown_grace_s,
            0.0..=30.0,
            " seconds",
        );
        if !(4..=65_536).contains(&self.max_connections) {
            p.bad("server.max_connections", "must be between 4 and 65536");
        }
    }

    /// The listen address (validated by [`ServerConfig::problems`]).
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

/// Log output format.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One readable line per event.
    #[default]
    Human,
    /// One JSON object per line.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct LogConfig {
    /// Output format.
    pub format: LogFormat,
    /// A `tracing_subscriber` filter directive.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            level: "info".into(),
        }
    }
}

impl LogConfig {
    /// Range problems, under their dotted keys.
    pub fn problems(&self, p: &mut Problems) {
        if tracing_subscriber::EnvFilter::try_new(&self.level).is_err() {
            p.bad(
                "log.level",
                format!("{:?} is not a tracing filter", self.level),
            );
        }
    }
}

/// `[dangerous]`: switches that must never be on at a real border without knowing it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DangerousConfig {
    /// Replace every device by its simulated counterpart.
    pub simulation: bool,
    /// Allow `[gate] liveness = "not-checked"`: no presentation attack detection, so a
    /// printed photo or a replayed video of the holder passes whenever the face matches.
    pub liveness_not_checked: bool,
    /// Let a trusted deviation list excuse a failed DG1/DG2 hash, SOD signature or DS
    /// certificate signature (`document::deviation::DeviationPolicy::excuse_essential`).
    pub deviations_excuse_essential: bool,
}

impl DangerousConfig {
    /// Problems of `[dangerous]`: a switch this build does not have.
    pub fn problems(&self, p: &mut Problems) {
        if self.simulation && !cfg!(feature = "sim") {
            p.bad(
                "dangerous.simulation",
                "this egate is a border build without the simulator (cargo feature `sim`)",
            );
        }
    }

    /// Names of the switches that are on, for the loud start-up warning.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.simulation {
            on.push("simulation");
        }
        if self.liveness_not_checked {
            on.push("liveness_not_checked");
        }
        if self.deviations_excuse_essential {
            on.push("deviations_excuse_essential");
        }
        on
    }
}

/// `[traveller]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TravellerConfig {
    /// Loopback address of the traveller screen; empty: none.
    pub listen: String,
    /// Folder of message catalogues; empty: the built-in ones.
    pub messages_dir: String,
    /// Version of the privacy notice.
    pub notice_version: String,
    /// Where to read more about the processing.
    pub notice_url: String,
    /// Notice only, or explicit consent before capture.
    pub consent: gate::ConsentMode,
    /// Seconds an explicit answer is awaited.
    pub consent_wait_s: f64,
    /// How many times their timeouts the traveller's steps get in the accessible mode.
    pub accessible_time_factor: f64,
    /// Folder of recorded prompts (`<lang>/<step>.wav`); empty: `<assets>/audio`.
    pub audio_dir: String,
}

impl Default for TravellerConfig {
    fn default() -> Self {
        Self {
            listen: String::new(),
            messages_dir: String::new(),
            notice_version: "2026-12".into(),
            notice_url: "https://example.invalid/privacy".into(),
            consent: gate::ConsentMode::Notice,
            consent_wait_s: 20.0,
            accessible_time_factor: 2.0,
            audio_dir: String::new(),
        }
    }
}

impl TravellerConfig {
    /// The gate's consent step.
    pub fn consent(&self) -> gate::Consent {
        gate::Consent {
            mode: self.consent,
            wait: std::time::Duration::from_secs_f64(self.consent_wait_s.clamp(1.0, 600.0)),
        }
    }

    /// The screen's catalogues and notice.
    pub fn settings(&self) -> Result<traveller::Settings, Vec<traveller::CatalogueError>> {
        let catalogues = if self.messages_dir.is_empty() {
            traveller::Catalogues::built_in()?
        } else {
            traveller::Catalogues::load_dir(std::path::Path::new(&self.messages_dir))?
        };
        Ok(traveller::Settings {
            catalogues: std::sync::Arc::new(catalogues),
            notice_version: self.notice_version.clone(),
            notice_url: self.notice_url.clone(),
            audio_dir: (!self.audio_dir.is_empty()).then(|| self.audio_dir.clone().into()),
        })
    }

    /// Problems, under their dotted keys: the screen is for the lane's own kiosk, so it
    /// listens on loopback only; every catalogue problem is named with its file and line.
    pub fn problems(&self, p: &mut Problems) {
        if !self.listen.is_empty() {
            match self.listen.parse::<SocketAddr>() {
                Ok(a) if a.ip().is_loopback() => {}
                Ok(_) => p.bad(
                    "traveller.listen",
                    format!("{:?} is not a loopback address: the screen is for the lane's own kiosk browser", self.listen),
                ),
                Err(_) => p.bad(
                    "traveller.listen",
                    format!("{:?} is not an address like 127.0.0.1:8090", self.listen),
                ),
            }
        }
        p.within(
            "traveller.accessible_time_factor",
            self.accessible_time_factor,
            1.0..=5.0,
            "",
        );
        p.within(
            "traveller.consent_wait_s",
            self.consent_wait_s,
            5.0..=120.0,
            " seconds",
        );
        if self.consent == gate::ConsentMode::Explicit && self.listen.is_empty() {
            p.bad(
                "traveller.consent",
                "\"explicit\" needs the traveller screen to ask: set traveller.listen",
            );
        }
        if self.notice_version.trim().is_empty() {
            p.bad("traveller.notice_version", "must not be empty");
        }
        if let Err(errors) = self.settings() {
            for e in errors {
                p.bad("traveller.messages_dir", e.to_string());
            }
        }
    }
}
