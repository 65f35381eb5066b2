//! The daemon's configuration: one TOML file, unknown keys rejected, every error reported at
//! once with its key path and line.
//!
//! The annotated default config (`config/egate.toml`) is the single source of truth for which
//! keys exist: a user file is first walked against the default's tree (unknown keys, wrong
//! types), then deserialised into [`Config`] and checked for values that are out of range.
//! The gate's rules (`[policy]`, `[timeouts]`, `[attempts]`, `[occupancy]`, `[safe_state]`)
//! and their mapping to `gate::GateConfig` are in [`crate::policyconfig`].

use std::fmt;
use std::net::SocketAddr;

pub use console::ConsoleConfig;
use serde::{Deserialize, Serialize};
use toml_edit::{ImDocument, Item, Value};

/// The annotated default configuration, as kept in the repository: `config/egate.toml`, then
/// the `[vision]` and `[watchlist]` sections kept beside their types in `vision/vision.toml`
/// and `watchlist/watchlist.toml`.
pub const DEFAULT_CONFIG: &str = concat!(
    include_str!("../../config/egate.toml"),
    include_str!("../../config/devices.toml"),
    "\n",
    include_str!("../../vision/vision.toml"),
    "\n",
    include_str!("../../watchlist/watchlist.toml")
);

/// The whole configuration.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// HTTP endpoint settings.
    #[serde(default)]
    pub server: ServerConfig,
    /// Logging settings.
    #[serde(default)]
    pub log: LogConfig,
    /// The gate itself.
    #[serde(default)]
    pub gate: GateSection,
    /// Who may use the gate.
    #[serde(default)]
    pub policy: crate::policyconfig::PolicyConfig,
    /// Step timeouts.
    #[serde(default)]
    pub timeouts: crate::policyconfig::TimeoutsConfig,
    /// Attempts per step.
    #[serde(default)]
    pub attempts: crate::policyconfig::AttemptsConfig,
    /// What occupancy anomalies do.
    #[serde(default)]
    pub occupancy: crate::policyconfig::OccupancyConfig,
    /// The doors on a fault or shutdown.
    #[serde(default)]
    pub safe_state: crate::policyconfig::SafeStateConfig,
    /// The audit trail.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The simulated bank of `egate run --sim`.
    #[serde(default)]
    pub sim: SimConfig,
    /// Faces: models, threshold (as a target false-match rate), capture window, camera.
    #[serde(default)]
    pub vision: vision::VisionConfig,
    /// The watchlist: a local list file and/or an HTTPS endpoint.
    #[serde(default)]
    pub watchlist: watchlist::WatchlistConfig,
    /// Simulator-only and unsafe switches; logged loudly at start.
    #[serde(default)]
    pub dangerous: DangerousConfig,
    /// The officers' console and the gate API.
    #[serde(default)]
    pub console: ConsoleConfig,
    /// The chip reader.
    #[serde(default)]
    pub reader: crate::devconfig::ReaderConfig,
    /// Passive-authentication trust anchors.
    #[serde(default)]
    pub pki: crate::devconfig::PkiConfig,
    /// The door controller.
    #[serde(default)]
    pub doors: crate::devconfig::DoorsConfig,
    /// The MRZ scanner.
    #[serde(default)]
    pub scanner: crate::devconfig::ScannerConfig,
    /// The traveller display.
    #[serde(default)]
    pub display: crate::devconfig::DisplayConfig,
}

/// `[sim]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct SimConfig {
    /// Number of simulated gates.
    pub gates: usize,
    /// Seconds between a traveller leaving and the next arriving.
    pub arrival_interval_s: f64,
    /// Folder of face images with identities.txt.
    pub faces_dir: String,
    /// Share of impostors.
    pub impostor_share: f64,
    /// Share of forged documents.
    pub forged_share: f64,
    /// Share of documents on the watchlist.
    pub listed_share: f64,
    /// Seed of the traveller mix.
    pub seed: u64,
    /// vpcd readers (0 or 1) the lanes read their chips through, in lane order.
    pub vpcd_readers: Vec<u8>,
    /// A fixed, cycled sequence of travellers ("genuine", "impostor", "forged").
    pub pattern: Vec<String>,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            gates: 4,
            arrival_interval_s: 2.0,
            faces_dir: "vision/tests/data".into(),
            impostor_share: 0.15,
            forged_share: 0.1,
            listed_share: 0.05,
            seed: 1,
            vpcd_readers: vec![0, 1],
            pattern: Vec::new(),
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
}

impl Default for AuditConfig {
    fn default() -> Self {
        Self {
            file: "/var/lib/egate/audit.jsonl".into(),
            pseudonym_key_file: "/var/lib/egate/pseudonym.key".into(),
        }
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
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            shutdown_grace_s: 1.5,
        }
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

/// Physical layout of the gate.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Layout {
    /// Entry door, mantrap, exit door.
    #[default]
    TwoStep,
    /// A single exit barrier.
    OneStep,
}

/// How liveness (presentation-attack detection) is handled.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Liveness {
    /// No detector: every passage records that liveness was not checked.
    #[default]
    NotChecked,
}

/// `[gate]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct GateSection {
    /// Name of this gate.
    pub id: String,
    /// Physical layout.
    pub layout: Layout,
    /// Liveness handling.
    pub liveness: Liveness,
    /// Where a traveller referred from inside the lane goes.
    pub referral: crate::policyconfig::Referral,
    /// The lane's civil date's offset from UTC, in minutes (see [`crate::clock`]).
    pub utc_offset_minutes: i32,
}

impl Default for GateSection {
    fn default() -> Self {
        Self {
            id: "gate-1".into(),
            layout: Layout::TwoStep,
            liveness: Liveness::NotChecked,
            referral: crate::policyconfig::Referral::BackThroughEntry,
            utc_offset_minutes: 0,
        }
    }
}

/// `[dangerous]`: switches that must never be on at a real border without knowing it.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DangerousConfig {
    /// Replace every device by its simulated counterpart.
    pub simulation: bool,
}

impl DangerousConfig {
    /// Names of the switches that are on, for the loud start-up warning.
    pub fn enabled(&self) -> Vec<&'static str> {
        let mut on = Vec::new();
        if self.simulation {
            on.push("simulation");
        }
        on
    }
}

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `server.listen`; empty for the whole file.
    pub key: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (Some(l), false) => write!(f, "line {l}: {}: {}", self.key, self.message),
            (Some(l), true) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.key, self.message),
            (None, true) => write!(f, "{}", self.message),
        }
    }
}

/// Parses and validates a config file's text; on failure, returns every error found.
pub fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            return Err(vec![ConfigError {
                key: String::new(),
                line,
                message: format!("not valid TOML: {}", e.message()),
            }]);
        }
    };
    let schema = ImDocument::parse(DEFAULT_CONFIG).expect("the embedded default config parses");
    let mut errors = Vec::new();
    check_table(
        text,
        schema.as_table(),
        doc.as_table(),
        &mut Vec::new(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let (config, mut errors) = deserialize(text);
    let Some(config) = config else {
        return Err(errors);
    };
    for mut e in config.validate() {
        e.line = e.line.or_else(|| key_line(text, &doc, &e.key));
        errors.push(e);
    }
    // In file order, whichever pass found them.
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

impl Config {
    /// Range and consistency checks that the type system does not express.
    pub fn validate(&self) -> Vec<ConfigError> {
        let mut errs = Vec::new();
        let mut bad = |key: &str, message: String| {
            errs.push(ConfigError {
                key: key.into(),
                line: None,
                message,
            })
        };
        if self.server.listen.parse::<SocketAddr>().is_err() {
            bad(
                "server.listen",
                format!(
                    "{:?} is not an address like 127.0.0.1:8080",
                    self.server.listen
                ),
            );
        }
        if !(0.0..=30.0).contains(&self.server.shutdown_grace_s) {
            bad(
                "server.shutdown_grace_s",
                "must be between 0 and 30 seconds".into(),
            );
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            bad(
                "log.level",
                format!("{:?} is not a tracing filter", self.log.level),
            );
        }
        if self.gate.id.is_empty()
            || !self
                .gate
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            bad(
                "gate.id",
                "must be non-empty ASCII letters, digits, '-' or '_'".into(),
            );
        }
        if !crate::clock::UTC_OFFSET_RANGE.contains(&self.gate.utc_offset_minutes) {
            bad(
                "gate.utc_offset_minutes",
                "must be between -840 and 840 minutes (UTC-14:00 to UTC+14:00)".into(),
            );
        }
        for (key, message) in crate::policyconfig::problems(self) {
            bad(&key, message);
        }
        if !(1..=64).contains(&self.sim.gates) {
            bad("sim.gates", "must be between 1 and 64".into());
        }
        if !(0.0..=3600.0).contains(&self.sim.arrival_interval_s) {
            bad(
                "sim.arrival_interval_s",
                "must be between 0 and 3600".into(),
            );
        }
        let shares = [
            self.sim.impostor_share,
            self.sim.forged_share,
            self.sim.listed_share,
        ];
        if shares.iter().any(|s| !(0.0..=1.0).contains(s)) || shares.iter().sum::<f64>() > 1.0 {
            bad(
                "sim.impostor_share",
                "impostor_share, forged_share and listed_share must be in 0..1 and add up to \
                 at most 1"
                    .into(),
            );
        }
        if self.sim.vpcd_readers.iter().any(|r| *r > 1) {
            bad(
                "sim.vpcd_readers",
                "vpcd offers readers 0 and 1 only".into(),
            );
        }
        for (i, p) in self.sim.pattern.iter().enumerate() {
            if !matches!(p.as_str(), "genuine" | "impostor" | "forged" | "listed") {
                bad(
                    &format!("sim.pattern[{i}]"),
                    format!(
                        "{p:?} is not one of \"genuine\", \"impostor\", \"forged\", \"listed\""
                    ),
                );
            }
        }
        for (key, message) in self.vision.validate() {
            bad(&key, message);
        }
        for (key, message) in self.watchlist.problems() {
            bad(&key, message);
        }
        if self.audit.file.as_os_str().is_empty() {
            bad("audit.file", "must name a file".into());
        }
        if self.audit.pseudonym_key_file.as_os_str().is_empty() {
            bad("audit.pseudonym_key_file", "must name a file".into());
        }
        for (key, msg) in self.console.problems() {
            bad(key, msg);
        }
        for (key, msg) in crate::devconfig::problems(&self.reader, &self.scanner, &self.display) {
            bad(&key, msg);
        }
        errs
    }

    /// The folder of the daemon's own files: the audit trail's folder (demo console
    /// accounts and the simulator's watchlist go there too).
    pub fn state_dir(&self) -> std::path::PathBuf {
        self.audit
            .file
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(std::path::Path::to_path_buf)
            .unwrap_or_else(|| std::path::PathBuf::from("."))
    }

    /// The listen address (validated by [`Config::validate`]).
    pub fn listen_addr(&self) -> SocketAddr {
        self.server
            .listen
            .parse()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 8080)))
    }
}

/// Deserialises the (well-typed) text into a [`Config`]. A value serde refuses — a choice
/// that does not exist (`layout = "three-step"`), a negative count — is reported with its key
/// and line, then blanked out (its default takes its place) and the rest tried again, so
/// that every such value is reported at once. `None` only if a value could not be blanked.
fn deserialize(text: &str) -> (Option<Config>, Vec<ConfigError>) {
    let mut text = text.to_string();
    let mut errors = Vec::new();
    loop {
        let e = match toml::from_str::<Config>(&text) {
            Ok(config) => return (Some(config), errors),
            Err(e) => e,
        };
        let line = e.span().map(|s| line_of(&text, s.start));
        let found = e.span().and_then(|at| {
            let doc = ImDocument::parse(text.as_str()).ok()?;
            locate(doc.as_table(), &at, &mut Vec::new())
        });
        errors.push(ConfigError {
            key: found.as_ref().map(|(k, _)| k.clone()).unwrap_or_default(),
            line,
            message: e.message().to_string(),
        });
        // Blank `key = value` (newlines kept, so lines stay where they are). Each round
        // blanks one more key, so this ends; stop if the result is no longer TOML (a key
        // inside an inline table, a dotted key).
        let Some((_, range)) = found else {
            return (None, errors);
        };
        let mut bytes = std::mem::take(&mut text).into_bytes();
        for b in &mut bytes[range] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        // Only ASCII bytes were written over whole UTF-8 sequences: still UTF-8.
        text = String::from_utf8_lossy(&bytes).into_owned();
        if ImDocument::parse(text.as_str()).is_err() {
            return (None, errors);
        }
    }
}

/// The dotted key (with `[i]` for an array element) of the value at `at`, and the byte
/// range of its whole `key = value`.
fn locate(
    table: &toml_edit::Table,
    at: &std::ops::Range<usize>,
    path: &mut Vec<String>,
) -> Option<(String, std::ops::Range<usize>)> {
    let within = |s: Option<std::ops::Range<usize>>| {
        s.is_some_and(|s| s.start <= at.start && at.end <= s.end)
    };
    for (key, item) in table.iter() {
        path.push(key.to_string());
        match item {
            Item::Table(t) => {
                if let Some(found) = locate(t, at, path) {
                    return Some(found);
                }
            }
            Item::Value(v) if within(v.span()) => {
                let mut dotted = path.join(".");
                if let Value::Array(a) = v {
                    if let Some(i) = a.iter().position(|e| within(e.span())) {
                        dotted.push_str(&format!("[{i}]"));
                    }
                }
                let start = table.key(key).and_then(|k| k.span())?.start;
                return Some((dotted, start..v.span()?.end));
            }
            _ => {}
        }
        path.pop();
    }
    None
}

/// Walks the user's table against the schema table, collecting unknown keys and type errors.
fn check_table(
    text: &str,
    schema: &toml_edit::Table,
    user: &toml_edit::Table,
    path: &mut Vec<String>,
    errors: &mut Vec<ConfigError>,
) {
    for (key, item) in user.iter() {
        path.push(key.to_string());
        let dotted = path.join(".");
        let line = item
            .span()
            .or_else(|| user.key(key).and_then(|k| k.span()))
            .map(|s| line_of(text, s.start));
        match schema.get(key) {
            None => {
                let known: Vec<&str> = schema.iter().map(|(k, _)| k).collect();
                errors.push(ConfigError {
                    key: dotted,
                    line,
                    message: format!("unknown key (known here: {})", known.join(", ")),
                });
            }
            Some(expected) => match (expected, item) {
                (Item::Table(s), Item::Table(u)) => check_table(text, s, u, path, errors),
                (Item::Table(s), Item::Value(Value::InlineTable(u))) => {
                    let u = u.clone().into_table();
                    check_table(text, s, &u, path, errors)
                }
                (Item::Value(s), Item::Value(u)) => {
                    if !same_type(s, u) {
                        errors.push(ConfigError {
                            key: dotted,
                            line,
                            message: format!("expected {}, found {}", type_name(s), type_name(u)),
                        });
                    }
                }
                (s, u) => errors.push(ConfigError {
                    key: dotted,
                    line,
                    message: format!("expected {}, found {}", item_type(s), item_type(u)),
                }),
            },
        }
        path.pop();
    }
}

fn same_type(a: &Value, b: &Value) -> bool {
    // An integer is accepted where the default is a float (e.g. `shutdown_grace_s = 2`).
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || matches!((a, b), (Value::Float(_), Value::Integer(_)))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

fn item_type(i: &Item) -> &'static str {
    match i {
        Item::None => "nothing",
        Item::Value(v) => type_name(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of a dotted key (`policy.nationalities[2]`: an array element) in the user's
/// document, if it is there.
fn key_line(text: &str, doc: &ImDocument<&str>, dotted: &str) -> Option<usize> {
    let mut item = doc.as_item();
    let mut span = None;
    for part in dotted.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (part, None),
        };
        item = item.get(name)?;
        span = item.span();
        if let Some(i) = index {
            span = item.as_array()?.get(i)?.span();
        }
    }
    span.map(|s| line_of(text, s.start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_config_is_valid_and_equals_built_in_defaults() {
        let c = parse(DEFAULT_CONFIG).expect("default config valid");
        let built_in: Config = toml::from_str("").unwrap();
        assert_eq!(c, built_in);
        assert_eq!(c.server.listen, "127.0.0.1:8080");
    }

    #[test]
    fn empty_file_gives_defaults() {
        let c = parse("").unwrap();
        assert_eq!(c.gate.layout, Layout::TwoStep);
    }

    #[test]
    fn every_error_is_listed_with_key_and_line() {
        let text = "[server]\nlisten = 8080\nbogus = 1\n\n[log]\nformat = \"human\"\ncolour = true\n\n[nope]\nx = 1\n";
        let errs = parse(text).unwrap_err();
        let summary: Vec<(String, Option<usize>)> =
            errs.iter().map(|e| (e.key.clone(), e.line)).collect();
        assert_eq!(
            summary,
            vec![
                ("server.listen".into(), Some(2)),
                ("server.bogus".into(), Some(3)),
                ("log.colour".into(), Some(7)),
                ("nope".into(), Some(9)),
            ]
        );
        assert!(errs[0].message.contains("expected a string"));
        assert!(errs[1].message.contains("unknown key"));
    }

    #[test]
    fn semantic_errors_are_all_reported() {
        let text =
            "[server]\nlisten = \"not an address\"\nshutdown_grace_s = 99\n[gate]\nid = \"\"\n";
        let errs = parse(text).unwrap_err();
        let keys: Vec<_> = errs.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("server.listen", Some(2)),
                ("server.shutdown_grace_s", Some(3)),
                ("gate.id", Some(5))
            ]
        );
    }

    #[test]
    fn bad_enum_value_is_an_error_with_line() {
        let errs = parse("[gate]\nlayout = \"three-step\"\n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(2));
        assert!(
            errs[0].message.contains("three-step"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn invalid_toml_is_an_error_with_line() {
        let errs = parse("[server]\nlisten = \n").unwrap_err();
        assert_eq!(errs.len(), 1);
        assert_eq!(errs[0].line, Some(2));
    }

    /// (key, line) of each error, sorted by line then key.
    fn keys_and_lines(errs: &[ConfigError]) -> Vec<(String, Option<usize>)> {
        let mut v: Vec<_> = errs.iter().map(|e| (e.key.clone(), e.line)).collect();
        v.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
        v
    }

    #[test]
    fn every_bad_choice_is_reported_at_once_with_key_and_line() {
        let text = "[gate]\nlayout = \"three-step\"\nreferral = \"nowhere\"\n\
                    [log]\nformat = \"xml\"\n[attempts]\ncapture = -1\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("gate.layout".into(), Some(2)),
                ("gate.referral".into(), Some(3)),
                ("log.format".into(), Some(5)),
                ("attempts.capture".into(), Some(7)),
            ]
        );
        let referral = errs.iter().find(|e| e.key == "gate.referral").unwrap();
        assert!(
            referral.message.contains("wait-for-officer"),
            "{}",
            referral.message
        );
    }

    #[test]
    fn default_config_maps_to_the_gate_defaults() {
        let today = gate::CivilDate::new(2026, 11, 26).unwrap();
        let c = parse(DEFAULT_CONFIG).unwrap();
        let expected = gate::GateConfig {
            // No detector is built: the one deliberate difference.
            liveness: gate::LivenessMode::NotChecked,
            ..gate::GateConfig::two_step(today)
        };
        assert_eq!(c.gate_config(today), expected);
        assert_eq!(c.gate.utc_offset_minutes, 0);
    }

    #[test]
    fn a_one_step_lane_with_its_own_policy_maps_correctly() {
        let text = r#"
[gate]
layout = "one-step"
referral = "wait-for-officer"
utc_offset_minutes = -300
[policy]
document_kinds = ["passport"]
issuing_states = ["D", "FRA", "D<<X"]
nationalities = ["AUT", "D<<"]
minimum_age = 18
require_valid_document = false
pa = "untrusted-csca-allowed"
require_chip_authentication = true
watchlist = "off"
[timeouts]
chip_read = 4.5
exit = 20
alarm_repeat = 0.25
[attempts]
chip_read = 1
capture = 5
[occupancy]
tailgating = "alarm"
child = "record"
object_left = "refer"
[safe_state]
entry = "locked"
exit = "open"
"#;
        // "D<<X" is four characters: reported with its element and line.
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("policy.issuing_states[2]".into(), Some(8))]
        );
        let c = parse(&text.replace(", \"D<<X\"", "")).unwrap();
        let today = gate::CivilDate::new(2027, 2, 28).unwrap();
        let g = c.gate_config(today);
        let cc = |s: &str| gate::CountryCode::new(s).unwrap();
        let mut expected = gate::GateConfig::one_step(today);
        expected.liveness = gate::LivenessMode::NotChecked;
        expected.referral = gate::ReferralRoute::WaitForOfficer;
        expected.eligibility = gate::EligibilityPolicy {
            document_kinds: vec![gate::DocumentKind::Passport],
            issuing_states: gate::Allow::Only(vec![cc("D<<"), cc("FRA")]),
            nationalities: gate::Allow::Only(vec![cc("AUT"), cc("D<<")]),
            minimum_age: 18,
            require_valid_document: false,
            pa: gate::PaStrictness::AllowUntrustedCsca,
            require_chip_authentication: true,
            watchlist: gate::WatchlistMode::Off,
        };
        expected.timeouts.chip_read = std::time::Duration::from_millis(4500);
        expected.timeouts.exit = std::time::Duration::from_secs(20);
        expected.timeouts.alarm_repeat = std::time::Duration::from_millis(250);
        expected.attempts = gate::Attempts {
            chip_read: 1,
            capture: 5,
        };
        expected.occupancy.tailgating = gate::OccupancyAction::Alarm;
        expected.occupancy.child = gate::OccupancyAction::Record;
        expected.occupancy.object_left = gate::OccupancyAction::Refer;
        expected.safe_state = gate::SafeState {
            entry: gate::DoorSafeState::Locked,
            exit: gate::DoorSafeState::Open,
        };
        assert_eq!(g, expected);
        assert_eq!(c.gate.utc_offset_minutes, -300);
    }

    #[test]
    fn every_bad_gate_rule_is_reported_with_key_and_line() {
        let text = r#"[gate]
utc_offset_minutes = 900
[policy]
document_kinds = ["passport", "visa", "passport"]
issuing_states = ["FRA", "fr", "D", "DEUT", "FRA"]
nationalities = [
  "AUT",
  "A<B",
]
minimum_age = 200
pa = "maybe"
[timeouts]
exit = 0
loiter = -1.0
alarm_repeat = 1e9
enter = nan
door_travel = 1e-12
[attempts]
chip_read = 0
capture = 11
[occupancy]
child = "ignore"
[safe_state]
exit = "ajar"
"#;
        let errs = parse(text).unwrap_err();
        let expected: Vec<(String, Option<usize>)> = [
            ("gate.utc_offset_minutes", 2),
            ("policy.document_kinds[1]", 4),
            ("policy.document_kinds[2]", 4),
            ("policy.issuing_states[1]", 5),
            ("policy.issuing_states[3]", 5),
            ("policy.issuing_states[4]", 5),
            ("policy.nationalities[1]", 8),
            ("policy.minimum_age", 10),
            ("policy.pa", 11),
            ("timeouts.exit", 13),
            ("timeouts.loiter", 14),
            ("timeouts.alarm_repeat", 15),
            ("timeouts.enter", 16),
            ("timeouts.door_travel", 17),
            ("attempts.chip_read", 19),
            ("attempts.capture", 20),
            ("occupancy.child", 22),
            ("safe_state.exit", 24),
        ]
        .into_iter()
        .map(|(k, l)| (k.to_string(), Some(l)))
        .collect();
        assert_eq!(keys_and_lines(&errs), expected, "{errs:#?}");

        // What only the gate's own check refuses is reported under its key too.
        let errs = parse("[policy]\ndocument_kinds = []\n").unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("policy.document_kinds".into(), Some(2))]
        );
        assert!(errs[0].message.contains("no document kind"), "{errs:?}");
    }

    #[test]
    fn dotted_and_inline_tables_are_checked() {
        let errs = parse("server = { listen = \"127.0.0.1:1\", nope = 1 }\n").unwrap_err();
        assert_eq!(errs[0].key, "server.nope");
    }

    #[test]
    fn watchlist_problems_are_reported_with_key_and_line() {
        let errs = parse("[watchlist]\nurl = \"http://192.0.2.7/check\"\n").unwrap_err();
        let keys: Vec<_> = errs.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(keys, vec![("watchlist.url", Some(2))]);
    }
}
