//! The daemon's configuration: one TOML file, unknown keys rejected, every error reported at
//! once with its key path and line.
//!
//! The annotated default config (`config/egate.toml`) is the single source of truth for which
//! keys exist: a user file is first walked against the default's tree (unknown keys, wrong
//! types), then deserialised into [`Config`] and checked for values that are out of range.
//!
//! - [`check`]: the strict reading against the default's tree, every error with key and line;
//! - [`schema`]: the default's tree and the tables whose keys the file names;
//! - [`sections`]: the daemon's own sections (`[server]`, `[log]`, `[audit]`, `[sim]`,
//!   `[dangerous]`, `[console]`);
//! - [`policy`]: the gate's rules (`[gate]`, `[policy]`, `[timeouts]`, `[attempts]`,
//!   `[occupancy]`, `[safe_state]`) and their mapping to `gate::GateConfig`;
//! - [`eligibility`]: `[eligibility]`, the rule table of who may use the lane;
//! - [`devices`]: `[reader]`, `[pki]`, `[doors]`, `[scanner]`, `[display]`;
//! - [`fleet`]: `[fleet]` (events on a NATS JetStream stream).
//!
//! The files import one way: `check` ← `sections`, `eligibility` ← `policy`, `devices` ←
//! this one.

pub mod check;
pub mod devices;
pub mod eligibility;
pub mod fleet;
pub mod policy;
pub mod schema;
pub mod sections;

use check::Problems;
use serde::{Deserialize, Serialize};

pub use check::ConfigError;
pub use policy::GateSection;
pub use schema::{DEFAULT_CONFIG, FREE_TABLES};
pub use sections::{
    AuditConfig, ConsoleConfig, DangerousConfig, EesAdapter, EesConfig, LogConfig, ServerConfig,
    SimConfig, TravellerConfig,
};

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
    /// How the document is checked.
    #[serde(default)]
    pub policy: policy::PolicyConfig,
    /// Who may use the lane: the eligibility rule table.
    #[serde(default)]
    pub eligibility: eligibility::EligibilityConfig,
    /// Step timeouts.
    #[serde(default)]
    pub timeouts: policy::TimeoutsConfig,
    /// Attempts per step.
    #[serde(default)]
    pub attempts: policy::AttemptsConfig,
    /// What occupancy anomalies do.
    #[serde(default)]
    pub occupancy: policy::OccupancyConfig,
    /// The doors on a fault or shutdown.
    #[serde(default)]
    pub safe_state: gate::SafeState,
    /// The audit trail.
    #[serde(default)]
    pub audit: AuditConfig,
    /// The simulated bank of `egate run --sim`.
    #[serde(default)]
    pub sim: SimConfig,
    /// Faces: models, threshold (as a target false-match rate), capture window, camera.
    #[serde(default)]
    pub vision: vision::VisionConfig,
    /// The border databases: a local list file and/or an HTTPS endpoint.
    #[serde(default)]
    pub borderdb: borderdb::BorderDbConfig,
    /// The EES step of an entry lane.
    #[serde(default)]
    pub ees: EesConfig,
    /// Simulator-only and unsafe switches; logged loudly at start.
    #[serde(default)]
    pub dangerous: DangerousConfig,
    /// The officers' console and the gate API.
    #[serde(default)]
    pub console: ConsoleConfig,
    /// The chip reader.
    #[serde(default)]
    pub reader: devices::ReaderConfig,
    /// Passive-authentication trust anchors.
    #[serde(default)]
    pub pki: devices::PkiConfig,
    /// The door controller.
    #[serde(default)]
    pub doors: devices::DoorsConfig,
    /// The MRZ scanner.
    #[serde(default)]
    pub scanner: devices::ScannerConfig,
    /// The traveller display.
    #[serde(default)]
    pub display: devices::DisplayConfig,
    /// The traveller screen.
    #[serde(default)]
    pub traveller: TravellerConfig,
    /// The gates' events on a NATS JetStream stream.
    #[serde(default)]
    pub fleet: fleet::FleetConfig,
}

/// Parses and validates a config file's text; on failure, returns every error found.
pub fn parse(text: &str) -> Result<Config, Vec<ConfigError>> {
    check::parse(text, DEFAULT_CONFIG, &FREE_TABLES, Config::validate).map_err(|mut errors| {
        for e in &mut errors {
            if eligibility::REPLACED_POLICY_KEYS.contains(&e.key.as_str()) {
                e.message = eligibility::REPLACED_MESSAGE.into();
            }
        }
        errors
    })
}

impl Config {
    /// Range and consistency checks that the type system does not express.
    pub fn validate(&self) -> Vec<ConfigError> {
        let mut p = Problems::default();
        self.server.problems(&mut p);
        self.log.problems(&mut p);
        policy::problems(self.rules(), &mut p);
        self.sim.problems(&mut p);
        self.ees.problems(&self.eligibility_table(), &mut p);
        for (key, message) in self.vision.validate() {
            p.bad(key, message);
        }
        for (key, message) in self.borderdb.problems() {
            p.bad(key, message);
        }
        self.audit.problems(&mut p);
        self.traveller.problems(&mut p);
        self.fleet.problems(&mut p);
        self.dangerous.problems(&mut p);
        if self.gate.liveness == gate::LivenessMode::NotChecked
            && !self.dangerous.liveness_not_checked
        {
            p.bad(
                "gate.liveness",
                "\"not-checked\" turns presentation attack detection off (a print or a replayed \
                 video of the holder would pass): allowed only with [dangerous] \
                 liveness_not_checked = true",
            );
        }
        let challenge = &self.vision.pad.challenge;
        if challenge.enabled
            && challenge.validate().is_empty()
            && challenge.max_duration().as_secs_f64() > self.timeouts.capture_attempt - 1.0
        {
            p.bad(
                "vision.pad.challenge.time_per_action_s",
                format!(
                    "a challenge of {} action(s) × {} s does not fit in [timeouts] \
                     capture_attempt = {} s less 1 s for the face match",
                    challenge.actions, challenge.time_per_action_s, self.timeouts.capture_attempt
                ),
            );
        }
        for (key, message) in self.console.problems() {
            p.bad(key, message);
        }
        devices::problems(&self.reader, &self.scanner, &self.display, &mut p);
        self.pki.problems(&mut p);
        p.0
    }

    /// The sections that make the gate's rules.
    pub fn rules(&self) -> policy::Rules<'_> {
        policy::Rules {
            gate: &self.gate,
            policy: &self.policy,
            eligibility: &self.eligibility,
            timeouts: &self.timeouts,
            attempts: &self.attempts,
            occupancy: &self.occupancy,
            safe_state: &self.safe_state,
        }
    }

    /// The sans-IO gate's configuration, with `today` as the lane's civil date (see
    /// [`policy::gate_config`]).
    pub fn gate_config(&self, today: gate::CivilDate) -> gate::GateConfig {
        let mut c = policy::gate_config(self.rules(), today);
        c.consent = self.traveller.consent();
        c.assisted_factor = self.traveller.accessible_time_factor;
        c
    }

    /// The eligibility rule table as the lanes use it (problems are `problems`' to report).
    pub fn eligibility_table(&self) -> gate::RuleTable {
        eligibility::table(&self.eligibility, &mut |_, _| {})
    }

    /// The nationalities that skip the EES step: `[ees] exempt_group` of the rule table.
    pub fn ees_exempt(&self) -> Vec<gate::CountryCode> {
        self.ees.exempt(&self.eligibility_table())
    }

    /// The folder of the daemon's own files (see [`AuditConfig::state_dir`]).
    pub fn state_dir(&self) -> std::path::PathBuf {
        self.audit.state_dir()
    }

    /// The listen address of the HTTP endpoint.
    pub fn listen_addr(&self) -> std::net::SocketAddr {
        self.server.listen_addr()
    }
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
        assert_eq!(c.gate.layout, gate::Layout::TwoStep);
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
    fn the_weak_pad_models_keys_are_range_checked_with_their_lines() {
        // A weight outside 0..1 (and NaN, which would slip past a plain comparison), and a
        // weight with the models switched off.
        for (text, expected) in [
            (
                "[vision.pad.models]\nweight = 1.5\n",
                vec![("vision.pad.models.weight", Some(2))],
            ),
            (
                "[vision.pad.models]\nweight = nan\n",
                vec![("vision.pad.models.weight", Some(2))],
            ),
            (
                "[vision.pad.models]\nweight = 0.2\nevery = 0\n",
                vec![("vision.pad.models.every", Some(3))],
            ),
        ] {
            let errs = parse(text).unwrap_err();
            let keys: Vec<_> = errs.iter().map(|e| (e.key.as_str(), e.line)).collect();
            assert_eq!(keys, expected, "{text}");
        }
        let c = parse("[vision.pad.models]\nweight = 0.25\nevery = 1\n").unwrap();
        assert_eq!(c.vision.pad.models.weight, 0.25);
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
    fn a_challenge_is_checked_with_line_and_key_and_must_fit_the_capture_attempt() {
        let c = parse("[vision.pad.challenge]\nenabled = true\n").unwrap();
        assert!(c.vision.pad.challenge.enabled);
        let errs = parse("[vision.pad.challenge]\nenabled = true\nactions = 3\n").unwrap_err();
        let keys: Vec<_> = errs.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(keys, vec![("vision.pad.challenge.actions", Some(3))]);
        let errs = parse("[vision.pad.challenge]\nenabled = true\nblink = true\n").unwrap_err();
        assert!(errs[0].message.contains("unknown key"), "{errs:?}");
        let errs = parse(
            "[timeouts]\ncapture_attempt = 6.0\n[vision.pad.challenge]\nenabled = true\n\
             time_per_action_s = 3.0\n",
        )
        .unwrap_err();
        assert_eq!(
            (errs[0].key.as_str(), errs[0].line),
            ("vision.pad.challenge.time_per_action_s", Some(5)),
            "{errs:?}"
        );
        assert!(errs[0].message.contains("capture_attempt"), "{errs:?}");
    }

    #[test]
    fn liveness_is_required_unless_a_dangerous_switch_turns_it_off() {
        let c = parse("[gate]\nid = \"g\"\n").unwrap();
        assert_eq!(c.gate.liveness, gate::LivenessMode::Required);
        let errs = parse("[gate]\nliveness = \"not-checked\"\n").unwrap_err();
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert_eq!(
            (errs[0].key.as_str(), errs[0].line),
            ("gate.liveness", Some(2))
        );
        assert!(
            errs[0].message.contains("[dangerous]"),
            "{}",
            errs[0].message
        );
        let c =
            parse("[gate]\nliveness = \"not-checked\"\n[dangerous]\nliveness_not_checked = true\n")
                .unwrap();
        assert_eq!(c.gate.liveness, gate::LivenessMode::NotChecked);
        assert_eq!(c.dangerous.enabled(), vec!["liveness_not_checked"]);
    }

    #[test]
    fn a_partial_safe_state_keeps_the_other_door_default() {
        let c = parse("[safe_state]\nentry = \"locked\"\n").unwrap();
        assert_eq!(c.safe_state.entry, gate::DoorSafeState::Locked);
        assert_eq!(c.safe_state.exit, gate::DoorSafeState::Locked);
        let c = parse("[safe_state]\nexit = \"open\"\n").unwrap();
        assert_eq!(c.safe_state.entry, gate::DoorSafeState::Open);
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
    fn a_frozen_camera_rule_out_of_range_or_beyond_the_window_is_refused_with_key_and_line() {
        let text = "[vision.capture]\nwindow_s = 2.0\nfrozen_after = 1\nrepeat_difference = 1.5\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("vision.capture.frozen_after".into(), Some(3)),
                ("vision.capture.repeat_difference".into(), Some(4)),
            ]
        );
        // 30 repeats at the default 30 fps need more than a 1 s window holds.
        let errs = parse("[vision.capture]\nwindow_s = 1.0\nfrozen_after = 30\n").unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("vision.capture.frozen_after".into(), Some(3))]
        );
        assert!(
            errs[0].message.contains("capture window"),
            "{}",
            errs[0].message
        );
    }

    #[test]
    fn default_config_maps_to_the_gate_defaults() {
        let today = gate::CivilDate::new(2026, 11, 26).unwrap();
        let c = parse(DEFAULT_CONFIG).unwrap();
        let expected = gate::GateConfig::two_step(today);
        assert_eq!(c.gate_config(today), expected);
        assert_eq!(c.gate.utc_offset_minutes, 0);
    }

    #[test]
    fn overlap_applies_to_two_step_lanes_only() {
        let today = gate::CivilDate::new(2026, 11, 26).unwrap();
        let one_step = parse("[gate]\nlayout = \"one-step\"\noverlap = true\n").unwrap();
        assert!(one_step.gate.overlap, "the setting is kept");
        assert!(
            !one_step.gate_config(today).overlap,
            "but a one-step lane never overlaps"
        );
        let c = parse("[gate]\noverlap = false\nearly_capture = false\n").unwrap();
        let g = c.gate_config(today);
        assert!(!g.overlap && !g.early_capture);
        assert!(
            parse("").unwrap().gate_config(today).overlap,
            "on by default"
        );
    }

    #[test]
    fn a_one_step_lane_with_its_own_policy_maps_correctly() {
        let text = r#"
[gate]
layout = "one-step"
referral = "wait-for-officer"
utc_offset_minutes = -300
direction = "exit"
bcp = "FRA-CDG-T2"
[eligibility.groups]
issuers = ["D", "FRA", "D<<X"]
nationals = ["AUT", "D<<"]
[eligibility.default]
decision = "refer"
reason = "ineligible_document"
[[eligibility.rule]]
name = "adults"
documents = ["passport"]
issuing_state = "issuers"
nationality = "nationals"
age = "18-"
decision = "allow"
[policy]
require_valid_document = false
pa = "untrusted-csca-allowed"
require_chip_authentication = true
borderdb = "off"
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
            vec![("eligibility.groups.issuers[2]".into(), Some(9))]
        );
        let c = parse(&text.replace(", \"D<<X\"", "")).unwrap();
        let today = gate::CivilDate::new(2027, 2, 28).unwrap();
        let g = c.gate_config(today);
        let cc = |s: &str| gate::CountryCode::new(s).unwrap();
        let mut expected = gate::GateConfig::one_step(today);
        expected.referral = gate::ReferralRoute::WaitForOfficer;
        let mut groups = gate::RuleTable::shipped().groups;
        groups.push(gate::StateGroup {
            name: "issuers".into(),
            members: vec![cc("D<<"), cc("FRA")],
        });
        groups.push(gate::StateGroup {
            name: "nationals".into(),
            members: vec![cc("AUT"), cc("D<<")],
        });
        expected.direction = gate::Direction::Exit;
        expected.eligibility = gate::EligibilityPolicy {
            rules: gate::RuleTable {
                groups,
                rules: vec![gate::Rule {
                    name: "adults".into(),
                    documents: Some(vec![gate::DocumentKind::Passport]),
                    nationality: Some("nationals".into()),
                    issuing_state: Some("issuers".into()),
                    age: gate::AgeBand::Years { min: 18, max: None },
                    direction: None,
                    outcome: gate::Outcome::Allow,
                }],
                default: gate::Outcome::Refer(gate::ReasonCode::IneligibleDocument),
            },
            require_valid_document: false,
            pa: gate::PaStrictness::AllowUntrustedCsca,
            require_chip_authentication: true,
            borderdb: gate::BorderDbMode::Off,
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
        assert_eq!(c.gate.bcp, "FRA-CDG-T2");
    }

    #[test]
    fn every_bad_gate_rule_is_reported_with_key_and_line() {
        let text = r#"[gate]
utc_offset_minutes = 900
[eligibility.groups]
g = ["FRA", "fr", "D", "DEUT", "FRA"]
h = [
  "AUT",
  "A<B",
]
[[eligibility.rule]]
name = "x"
documents = ["passport", "visa", "passport"]
age = "200-"
nationality = "g"
decision = "allow"
[policy]
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
            ("eligibility.groups.g[1]", 4),
            ("eligibility.groups.g[3]", 4),
            ("eligibility.groups.g[4]", 4),
            ("eligibility.groups.h[1]", 7),
            ("eligibility.rule[0].documents[1]", 11),
            ("eligibility.rule[0].documents[2]", 11),
            ("eligibility.rule[0].age", 12),
            ("policy.pa", 16),
            ("timeouts.exit", 18),
            ("timeouts.loiter", 19),
            ("timeouts.alarm_repeat", 20),
            ("timeouts.enter", 21),
            ("timeouts.door_travel", 22),
            ("attempts.chip_read", 24),
            ("attempts.capture", 25),
            ("occupancy.child", 27),
            ("safe_state.exit", 29),
        ]
        .into_iter()
        .map(|(k, l)| (k.to_string(), Some(l)))
        .collect();
        assert_eq!(keys_and_lines(&errs), expected, "{errs:#?}");

        // What only the table's own check refuses is reported under its key too.
        let errs = parse(
            "[eligibility.default]\ndecision = \"refer\"\nreason = \"underage\"\n\
             [[eligibility.rule]]\nname = \"r\"\ndecision = \"refer\"\nreason = \"underage\"\n",
        )
        .unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("eligibility.default".into(), Some(1))]
        );
        assert!(errs[0].message.contains("nobody could use"), "{errs:?}");
    }

    #[test]
    fn dotted_and_inline_tables_are_checked() {
        let errs = parse("server = { listen = \"127.0.0.1:1\", nope = 1 }\n").unwrap_err();
        assert_eq!(errs[0].key, "server.nope");
    }

    #[test]
    fn borderdb_problems_are_reported_with_key_and_line() {
        let errs = parse("[borderdb]\nurl = \"http://192.0.2.7/check\"\n").unwrap_err();
        let keys: Vec<_> = errs.iter().map(|e| (e.key.as_str(), e.line)).collect();
        assert_eq!(keys, vec![("borderdb.url", Some(2))]);
    }

    #[test]
    fn the_ees_exemption_names_an_eligibility_group_and_an_unknown_one_is_refused() {
        // A group written in another case, or a list of codes where a group name goes, is
        // not a group: the exemption would silently admit nobody or everybody.
        for (value, line) in [("\"EU_EEA_CH\"", 3), ("\"schengen\"", 3)] {
            let text = format!("[ees]\nenabled = true\nexempt_group = {value}\n");
            let errs = parse(&text).unwrap_err();
            assert_eq!(
                keys_and_lines(&errs),
                vec![("ees.exempt_group".into(), Some(line))],
                "{value}"
            );
            assert!(errs[0].message.contains("[eligibility.groups]"), "{errs:?}");
            assert!(errs[0].message.contains("eu_eea_ch"), "{errs:?}");
        }
        let errs = parse("[ees]\nexempt_group = [\"FRA\"]\n").unwrap_err();
        assert_eq!(errs[0].key, "ees.exempt_group", "{errs:?}");
        // A group of the file's own counts, with its members.
        let c = parse(
            "[eligibility.groups]\nnordic = [\"DNK\", \"SWE\"]\n[ees]\nenabled = true\n\
             exempt_group = \"nordic\"\n",
        )
        .unwrap();
        let exempt: Vec<String> = c.ees_exempt().iter().map(|c| c.to_string()).collect();
        assert_eq!(exempt, ["DNK", "SWE"]);
        // The shipped group by default: Germany is "D<<", as DG1 writes it.
        let c = parse("").unwrap();
        let exempt = c.ees_exempt();
        assert_eq!(exempt.len(), 31);
        assert!(exempt.contains(&gate::CountryCode::new("D<<").unwrap()));
    }

    #[test]
    fn the_ees_step_runs_on_entry_lanes_of_a_lane_that_enables_it_only() {
        let entry = parse("[ees]\nenabled = true\n").unwrap();
        assert!(entry.ees.applies(entry.gate.direction));
        let exit = parse("[gate]\ndirection = \"exit\"\n[ees]\nenabled = true\n").unwrap();
        assert!(!exit.ees.applies(exit.gate.direction));
        let off = parse("").unwrap();
        assert!(!off.ees.applies(off.gate.direction));
    }
}
