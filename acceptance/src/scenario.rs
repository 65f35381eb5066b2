//! Scenario files (TOML): the gates, the travellers and their mix, arrivals, faults at given
//! times, a seed and the pass criteria. [`Scenario::load`] checks a file like the daemon
//! checks its config: unknown keys, impossible values, a mix over 100 %, a face folder that
//! is not there — every problem at once, each with its line and dotted key, never a panic.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use toml_edit::ImDocument;

use crate::criteria::{self, Criterion};
use crate::kinds::Type;
use crate::position::{key_at, line_of, line_of_key};
use crate::timing::{Modifier, Timing};

/// A scenario as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// A title for the reports.
    pub name: String,
    /// Seed of every random draw of the run.
    pub seed: u64,
    /// The civil date the gates run on (age and expiry), `YYYY-MM-DD`; never the wall clock.
    #[serde(default = "default_date")]
    pub date: String,
    /// The gates.
    #[serde(default)]
    pub gates: Gates,
    /// The travellers.
    pub travellers: Travellers,
    /// How they arrive.
    #[serde(default)]
    pub arrivals: Arrivals,
    /// Modelled durations (`docs/passage-timing.md`).
    #[serde(default)]
    pub timing: Timing,
    /// Device faults at given times.
    #[serde(default)]
    pub faults: Vec<FaultSpec>,
    /// Officer actions at given times.
    #[serde(default)]
    pub officer: Vec<OfficerSpec>,
    /// Pass criteria.
    #[serde(default)]
    pub criteria: Vec<String>,
    /// Resource sampling (resident memory, open file descriptors) every so many seconds of
    /// virtual time.
    #[serde(default = "default_sample")]
    pub sample_every_s: f64,
}

fn default_date() -> String {
    "2026-12-01".into()
}

fn default_sample() -> f64 {
    300.0
}

/// `[gates]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gates {
    /// How many gates (lanes) serve the queue.
    pub count: u32,
    /// `two-step` or `one-step`.
    pub layout: String,
    /// `required` or `not-checked`.
    pub liveness: String,
    /// `required` or `off`.
    pub borderdb: String,
    /// The eligibility policy: `default` (the gate's built-in policy). The rule table of
    /// nationality and age (issue #18) plugs in here once it exists.
    pub policy: String,
    /// Minimum age in completed years (the deployment's policy when absent).
    pub minimum_age: Option<u8>,
    /// The face matcher's target false-match rate (picks the threshold from the calibration
    /// table); the `[vision]` default when absent.
    pub target_fmr: Option<f64>,
    /// Capture attempts per passage.
    pub capture_attempts: u8,
    /// Chip-read attempts per passage.
    pub chip_read_attempts: u8,
}

impl Default for Gates {
    fn default() -> Self {
        Self {
            count: 1,
            layout: "two-step".into(),
            liveness: "required".into(),
            borderdb: "required".into(),
            policy: "default".into(),
            minimum_age: None,
            target_fmr: None,
            capture_attempts: 3,
            chip_read_attempts: 2,
        }
    }
}

/// `[travellers]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Travellers {
    /// How many.
    pub count: u32,
    /// The face set: a folder with `identities.txt` (default `$EGATE_ASSETS/faces`).
    #[serde(default)]
    pub faces: Option<String>,
    /// Percent of each type; genuine travellers make up the rest.
    #[serde(default)]
    pub mix: BTreeMap<String, f64>,
    /// A fixed sequence of types, one traveller each, instead of a random mix.
    #[serde(default)]
    pub sequence: Vec<String>,
    /// Per type, what it does differently from the built-in behaviour.
    #[serde(default)]
    pub timing: BTreeMap<String, Modifier>,
}

/// `[arrivals]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Arrivals {
    /// `poisson` (a rate) or `queue` (everybody waiting at the start).
    pub kind: String,
    /// Arrivals per hour (Poisson).
    pub rate_per_h: Option<f64>,
}

impl Default for Arrivals {
    fn default() -> Self {
        Self {
            kind: "queue".into(),
            rate_per_h: None,
        }
    }
}

/// `[[faults]]`: a device fault at a given time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultSpec {
    /// Seconds of virtual time from the start.
    pub at_s: f64,
    /// Which gate, 1-based.
    #[serde(default = "one")]
    pub gate: u32,
    /// What: see [`FAULTS`].
    pub kind: String,
    /// How long it lasts, seconds (not for `card_pulled`, which is one event).
    #[serde(default)]
    pub for_s: Option<f64>,
    /// For `door_jammed`: `entry` or `exit`.
    #[serde(default)]
    pub door: Option<String>,
    /// Wait from `at_s` until the gate is in this phase (`verifying`, `reading_document`,
    /// ...), then start: a fault mid-passage whatever the timings.
    #[serde(default)]
    pub when: Option<String>,
}

/// `[[officer]]`: an officer's command at a given time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OfficerSpec {
    /// Seconds of virtual time from the start.
    pub at_s: f64,
    /// Which gate, 1-based.
    #[serde(default = "one")]
    pub gate: u32,
    /// The command (`release_exit`, `refer`, `reset`, `lane_open`, `lane_close`,
    /// `out_of_service`).
    pub command: String,
    /// Wait from `at_s` until the gate is in this phase, then act.
    #[serde(default)]
    pub when: Option<String>,
}

fn one() -> u32 {
    1
}

/// The faults a scenario can inject, and how each reaches the gate.
pub const FAULTS: [(&str, &str); 9] = [
    ("reader_disconnected", "the chip reader fails: reads fail and the gate gets DeviceFault(document_reader), DeviceRecovered at the end"),
    ("card_pulled", "the card is pulled from the reader during the next chip read (the read fails part-way)"),
    ("serial_link_lost", "the door controller's serial link carries nothing: the adapter's watchdog declares a link fault"),
    ("camera_frozen", "the camera repeats one frame (the traveller's first): the lane's capture finds it frozen, the gate gets DeviceFault(camera), DeviceRecovered at the end"),
    ("door_jammed", "a door drive stops moving (`door` = entry|exit): the adapter reports a door fault"),
    ("fire_alarm", "the controller's fire alarm input is active"),
    ("mains_lost", "the controller runs on battery (its mains-lost input)"),
    ("emergency_button", "the emergency button input is active"),
    ("tamper", "the tamper contact is open"),
];

/// Fault kinds that the issue names but that no gate input or device model can represent.
pub const FAULTS_WITHOUT_INPUT: [(&str, &str); 2] = [
    ("scanner_jammed", "the simulated lanes hand the printed MRZ to the chip read directly; there is no MRZ scanner to jam"),
    ("display_dark", "no gate input reports the traveller display; the simulated lanes have none"),
];

/// One problem of a scenario file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, when read from one.
    pub file: Option<PathBuf>,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key (`travellers.mix.impostor`, `faults[2].kind`); empty for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(file) = &self.file {
            write!(f, "{}:", file.display())?;
        }
        if let Some(l) = self.line {
            write!(f, "{l}:")?;
        }
        if !self.key.is_empty() {
            write!(f, " {}:", self.key)?;
        }
        write!(f, " {}", self.message)
    }
}

/// A checked scenario, with what the run needs resolved.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The scenario as written.
    pub scenario: Scenario,
    /// The file's text (for the report's reproduction section).
    pub text: String,
    /// The face folder.
    pub faces: PathBuf,
    /// The parsed criteria.
    pub criteria: Vec<Criterion>,
    /// The mix: (type, percent), genuine included, in type order.
    pub mix: Vec<(Type, f64)>,
    /// The fixed sequence, if any.
    pub sequence: Vec<Type>,
    /// Layout.
    pub layout: gate::Layout,
    /// Liveness.
    pub liveness: gate::LivenessMode,
    /// BorderDb mode.
    pub borderdb: gate::BorderDbMode,
    /// The civil date.
    pub today: gate::CivilDate,
    /// Per type, its modifier (built-in, then the scenario's override).
    pub modifiers: BTreeMap<Type, Modifier>,
}

impl Scenario {
    /// Reads and checks `path`. `assets` is `$EGATE_ASSETS` (the default face folder is its
    /// `faces/`).
    pub fn load(path: &Path, assets: &Path) -> Result<Checked, Vec<ScenarioError>> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![ScenarioError {
                file: Some(path.to_path_buf()),
                line: None,
                key: String::new(),
                message: format!("cannot read: {e}"),
            }]
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::check(&text, base, assets).map_err(|errs| {
            errs.into_iter()
                .map(|mut e| {
                    e.file = Some(path.to_path_buf());
                    e
                })
                .collect()
        })
    }

    /// Checks a scenario text; relative face folders are relative to `base`.
    pub fn check(text: &str, base: &Path, assets: &Path) -> Result<Checked, Vec<ScenarioError>> {
        let err = |line, key: String, message: String| ScenarioError {
            file: None,
            line,
            key,
            message,
        };
        let doc = match ImDocument::parse(text) {
            Ok(d) => d,
            Err(e) => {
                let line = e.span().map(|s| line_of(text, s.start));
                return Err(vec![err(
                    line,
                    String::new(),
                    format!("not valid TOML: {}", e.message().trim()),
                )]);
            }
        };
        let scenario: Scenario = match toml::from_str(text) {
            Ok(s) => s,
            Err(e) => {
                let (line, key) = match e.span() {
                    Some(s) => (
                        Some(line_of(text, s.start)),
                        key_at(&doc, s.start).unwrap_or_default(),
                    ),
                    None => (None, String::new()),
                };
                // serde names the unknown key in its message; say which ones are known.
                return Err(vec![err(line, key, e.message().trim().to_string())]);
            }
        };
        let mut problems: Vec<(String, String)> = Vec::new();
        let checked = scenario.resolve(base, assets, &mut problems);
        if problems.is_empty() {
            if let Some(mut c) = checked {
                c.text = text.to_string();
                return Ok(c);
            }
        }
        let mut errors: Vec<ScenarioError> = problems
            .into_iter()
            .map(|(key, message)| err(line_of_key(text, &doc, &key), key, message))
            .collect();
        errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
        Err(errors)
    }

    fn resolve(
        &self,
        base: &Path,
        assets: &Path,
        problems: &mut Vec<(String, String)>,
    ) -> Option<Checked> {
        let mut bad = |key: &str, message: String| problems.push((key.to_string(), message));
        if self.name.trim().is_empty() {
            bad("name", "must not be empty".into());
        }
        let today = parse_date(&self.date);
        if today.is_none() {
            bad("date", format!("`{}` is not a date YYYY-MM-DD", self.date));
        }
        let g = &self.gates;
        if !(1..=64).contains(&g.count) {
            bad("gates.count", "must be between 1 and 64".into());
        }
        let layout = gate::Layout::from_name(&g.layout);
        if layout.is_none() {
            bad(
                "gates.layout",
                format!("`{}`: one of two-step, one-step", g.layout),
            );
        }
        let liveness = gate::LivenessMode::from_name(&g.liveness);
        if liveness.is_none() {
            bad(
                "gates.liveness",
                format!("`{}`: one of required, not-checked", g.liveness),
            );
        }
        let borderdb = match g.borderdb.as_str() {
            "required" => Some(gate::BorderDbMode::Required),
            "off" => Some(gate::BorderDbMode::Off),
            other => {
                bad("gates.borderdb", format!("`{other}`: one of required, off"));
                None
            }
        };
        if g.policy != "default" {
            bad(
                "gates.policy",
                format!(
                    "`{}`: only `default` (the gate's built-in eligibility policy) until the \
                     eligibility rule table (issue #18) lands; this key is where it will plug in",
                    g.policy
                ),
            );
        }
        if let Some(f) = g.target_fmr {
            if !(f > 0.0 && f < 1.0) {
                bad("gates.target_fmr", "must be between 0 and 1".into());
            }
        }
        if !(1..=10).contains(&g.capture_attempts) {
            bad("gates.capture_attempts", "must be between 1 and 10".into());
        }
        if !(1..=10).contains(&g.chip_read_attempts) {
            bad(
                "gates.chip_read_attempts",
                "must be between 1 and 10".into(),
            );
        }
        // Travellers.
        let t = &self.travellers;
        if !(1..=1_000_000).contains(&t.count) {
            bad("travellers.count", "must be between 1 and 1000000".into());
        }
        let faces = match &t.faces {
            Some(f) => {
                let p = Path::new(f);
                if p.is_absolute() {
                    p.to_path_buf()
                } else {
                    base.join(p)
                }
            }
            None => assets.join("faces"),
        };
        if !faces.join("identities.txt").is_file() {
            let key = if t.faces.is_some() {
                "travellers.faces"
            } else {
                "travellers"
            };
            bad(
                key,
                format!(
                    "face folder {} has no identities.txt (scripts/setup.sh installs the faces \
                     under $EGATE_ASSETS/faces)",
                    faces.display()
                ),
            );
        }
        let mut mix = Vec::new();
        let mut total = 0.0;
        for (name, pct) in &t.mix {
            let key = format!("travellers.mix.{name}");
            match Type::from_name(name) {
                None => bad(
                    &key,
                    format!(
                        "unknown traveller type `{name}` (one of: {})",
                        Type::all_names().join(", ")
                    ),
                ),
                Some(ty) if ty == Type::kind(crate::kinds::Kind::Genuine) => bad(
                    &key,
                    "genuine travellers are the rest of the mix; leave them out".into(),
                ),
                Some(ty) => {
                    if !(pct.is_finite() && *pct >= 0.0 && *pct <= 100.0) {
                        bad(&key, "a percentage between 0 and 100".into());
                    } else {
                        total += pct;
                        mix.push((ty, *pct));
                    }
                }
            }
        }
        if total > 100.0 + 1e-9 {
            bad(
                "travellers.mix",
                format!("the shares add up to {total} %, over 100 %"),
            );
        }
        mix.push((
            Type::kind(crate::kinds::Kind::Genuine),
            (100.0 - total).max(0.0),
        ));
        mix.sort_by_key(|m| m.0);
        let mut sequence = Vec::new();
        for (i, name) in t.sequence.iter().enumerate() {
            match Type::from_name(name) {
                Some(ty) => sequence.push(ty),
                None => bad(
                    &format!("travellers.sequence[{}]", i + 1),
                    format!("unknown traveller type `{name}`"),
                ),
            }
        }
        if !t.sequence.is_empty() && !t.mix.is_empty() {
            bad(
                "travellers.sequence",
                "give either a mix or a sequence, not both".into(),
            );
        }
        let mut modifiers: BTreeMap<Type, Modifier> = crate::kinds::Kind::ALL
            .iter()
            .map(|&k| (Type::kind(k), Modifier::built_in(k)))
            .collect();
        for (name, m) in &t.timing {
            let key = format!("travellers.timing.{name}");
            match Type::from_name(name) {
                Some(ty) => {
                    if !(m.speed > 0.0 && m.speed <= 3.0) {
                        bad(
                            &format!("{key}.speed"),
                            "must be above 0 and at most 3".into(),
                        );
                    }
                    if !(m.patience > 0.0 && m.patience <= 10.0) {
                        bad(
                            &format!("{key}.patience"),
                            "must be above 0 and at most 10".into(),
                        );
                    }
                    for (k, v) in [
                        ("extra_document_s", m.extra_document_s),
                        ("extra_face_s", m.extra_face_s),
                    ] {
                        if !(0.0..=300.0).contains(&v) {
                            bad(&format!("{key}.{k}"), "must be between 0 and 300".into());
                        }
                    }
                    modifiers.insert(ty, *m);
                }
                None => bad(&key, format!("unknown traveller type `{name}`")),
            }
        }
        // Arrivals.
        match (self.arrivals.kind.as_str(), self.arrivals.rate_per_h) {
            ("queue", None) => {}
            ("queue", Some(_)) => bad(
                "arrivals.rate_per_h",
                "a standing queue has no rate (use kind = \"poisson\")".into(),
            ),
            ("poisson", Some(r)) if r > 0.0 && r <= 100_000.0 => {}
            ("poisson", _) => bad(
                "arrivals.rate_per_h",
                "Poisson arrivals need a rate above 0 and at most 100000 per hour".into(),
            ),
            (other, _) => bad("arrivals.kind", format!("`{other}`: one of poisson, queue")),
        }
        for (key, message) in self.timing.problems() {
            bad(&key, message);
        }
        // Faults.
        for (i, f) in self.faults.iter().enumerate() {
            let key = |k: &str| format!("faults[{}].{k}", i + 1);
            if !(f.at_s.is_finite() && f.at_s >= 0.0) {
                bad(&key("at_s"), "must be 0 or more seconds".into());
            }
            if f.gate == 0 || f.gate > g.count {
                bad(&key("gate"), format!("there are gates 1 to {}", g.count));
            }
            if let Some((_, why)) = FAULTS_WITHOUT_INPUT.iter().find(|(n, _)| *n == f.kind) {
                bad(
                    &key("kind"),
                    format!("`{}` cannot be modelled: {why}", f.kind),
                );
                continue;
            }
            if !FAULTS.iter().any(|(n, _)| *n == f.kind) {
                let names: Vec<&str> = FAULTS.iter().map(|(n, _)| *n).collect();
                bad(
                    &key("kind"),
                    format!("unknown fault `{}` (one of: {})", f.kind, names.join(", ")),
                );
                continue;
            }
            match (f.kind.as_str(), f.for_s) {
                ("card_pulled", Some(_)) => bad(
                    &key("for_s"),
                    "a pulled card is one event; no duration".into(),
                ),
                ("card_pulled", None) => {}
                (_, Some(d)) if d.is_finite() && d > 0.0 => {}
                (_, Some(_)) => bad(&key("for_s"), "must be above 0 seconds".into()),
                (_, None) => bad(&key("for_s"), "how long it lasts, in seconds".into()),
            }
            match (f.kind.as_str(), f.door.as_deref()) {
                ("door_jammed", Some("entry" | "exit")) => {}
                ("door_jammed", _) => bad(&key("door"), "`entry` or `exit`".into()),
                (_, Some(_)) => bad(&key("door"), "only door_jammed names a door".into()),
                _ => {}
            }
        }
        let phase_ok = |w: &Option<String>| {
            w.as_deref()
                .is_none_or(|p| gate::Phase::from_name(p).is_some())
        };
        let phases = || {
            let names: Vec<&str> = gate::Phase::ALL.iter().map(|p| p.as_str()).collect();
            format!("a gate phase (one of: {})", names.join(", "))
        };
        for (i, f) in self.faults.iter().enumerate() {
            if !phase_ok(&f.when) {
                bad(&format!("faults[{}].when", i + 1), phases());
            }
        }
        for (i, o) in self.officer.iter().enumerate() {
            let key = |k: &str| format!("officer[{}].{k}", i + 1);
            if !phase_ok(&o.when) {
                bad(&key("when"), phases());
            }
            if !(o.at_s.is_finite() && o.at_s >= 0.0) {
                bad(&key("at_s"), "must be 0 or more seconds".into());
            }
            if o.gate == 0 || o.gate > g.count {
                bad(&key("gate"), format!("there are gates 1 to {}", g.count));
            }
            if gate::OfficerCommand::from_name(&o.command).is_none() {
                let names: Vec<&str> = gate::OfficerCommand::ALL
                    .iter()
                    .map(|c| c.as_str())
                    .collect();
                bad(
                    &key("command"),
                    format!(
                        "unknown command `{}` (one of: {})",
                        o.command,
                        names.join(", ")
                    ),
                );
            }
        }
        let mut criteria = Vec::new();
        for (i, c) in self.criteria.iter().enumerate() {
            match criteria::parse(c) {
                Ok(c) => criteria.push(c),
                Err(e) => bad(&format!("criteria[{}]", i + 1), e),
            }
        }
        if !(self.sample_every_s.is_finite() && self.sample_every_s >= 1.0) {
            bad("sample_every_s", "must be at least 1 second".into());
        }
        Some(Checked {
            scenario: self.clone(),
            text: String::new(),
            faces,
            criteria,
            mix,
            sequence,
            layout: layout?,
            liveness: liveness?,
            borderdb: borderdb?,
            today: today?,
            modifiers,
        })
    }
}

/// `YYYY-MM-DD` as a civil date.
pub fn parse_date(s: &str) -> Option<gate::CivilDate> {
    let mut it = s.split('-');
    let (y, m, d) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some() || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return None;
    }
    gate::CivilDate::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("identities.txt"), "a.jpg a\n").unwrap();
        d
    }

    const GOOD: &str = r#"name = "t"
seed = 7
criteria = ["nobody_trapped"]

[gates]
count = 2

[travellers]
count = 10
faces = "FACES"

[travellers.mix]
impostor = 10
print = 5
clone-aa-other-key = 1

[[faults]]
at_s = 30
kind = "fire_alarm"
for_s = 10
"#;

    fn check(text: &str) -> Result<Checked, Vec<ScenarioError>> {
        let f = faces();
        let text = text.replace("FACES", &f.path().display().to_string());
        Scenario::check(&text, Path::new("."), Path::new("/nonexistent"))
    }

    #[test]
    fn a_good_scenario_checks_and_genuine_travellers_are_the_rest() {
        let c = check(GOOD).unwrap();
        let genuine = c.mix.iter().find(|(t, _)| t.name() == "genuine").unwrap().1;
        assert!((genuine - 84.0).abs() < 1e-9);
        assert_eq!(c.criteria.len(), 1);
        // `criteria` after [[faults]] belongs to the fault: a TOML trap, reported by key.
        let text = GOOD.replace("criteria = [\"nobody_trapped\"]\n", "") + "criteria = []\n";
        let e = check(&text).unwrap_err();
        assert_eq!(e[0].key, "faults[1].criteria", "{e:?}");
    }

    #[test]
    fn an_unknown_key_is_reported_with_its_line_and_dotted_key() {
        let text = GOOD.replace("count = 10\n", "count = 10\nfacez = \"x\"\n");
        let e = check(&text).unwrap_err();
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].line, Some(10));
        assert_eq!(e[0].key, "travellers.facez");
        assert!(
            e[0].message.contains("unknown field `facez`"),
            "{}",
            e[0].message
        );
    }

    #[test]
    fn a_mix_over_100_percent_is_reported_on_the_mix() {
        let text = GOOD.replace("impostor = 10", "impostor = 96");
        let e = check(&text).unwrap_err();
        let m = e.iter().find(|e| e.key == "travellers.mix").unwrap();
        assert_eq!(m.line, Some(12));
        assert!(m.message.contains("102 %"), "{}", m.message);
    }

    #[test]
    fn a_missing_face_folder_is_reported_on_its_key() {
        let text = GOOD.replace("FACES", "/no/such/folder");
        let e = Scenario::check(&text, Path::new("."), Path::new("/x")).unwrap_err();
        let f = e.iter().find(|e| e.key == "travellers.faces").unwrap();
        assert_eq!(f.line, Some(10));
        assert!(f.message.contains("/no/such/folder"));
    }

    #[test]
    fn every_problem_is_reported_at_once_in_file_order() {
        let text = GOOD
            .replace("count = 2", "count = 0")
            .replace("print = 5", "prints = 5")
            .replace("kind = \"fire_alarm\"", "kind = \"scanner_jammed\"");
        let e = check(&text).unwrap_err();
        let keys: Vec<&str> = e.iter().map(|e| e.key.as_str()).collect();
        assert!(keys.contains(&"gates.count"), "{keys:?}");
        assert!(keys.contains(&"travellers.mix.prints"), "{keys:?}");
        assert!(keys.contains(&"faults[1].kind"), "{keys:?}");
        let lines: Vec<usize> = e.iter().filter_map(|e| e.line).collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
        let scanner = e.iter().find(|e| e.key == "faults[1].kind").unwrap();
        assert!(scanner.message.contains("cannot be modelled"));
    }

    #[test]
    fn hostile_values_are_errors_not_panics() {
        for (from, to) in [
            ("seed = 7", "seed = -7"),
            ("seed = 7", "seed = \"seven\""),
            ("impostor = 10", "impostor = nan"),
            ("impostor = 10", "impostor = -10"),
            ("count = 10", "count = 99999999999"),
            ("at_s = 30", "at_s = inf"),
            ("[gates]", "[gates.gates]"),
            ("name = \"t\"", "name = \"t\"\nname = \"u\""),
        ] {
            let text = GOOD.replace(from, to);
            assert!(check(&text).is_err(), "{to}");
        }
    }

    #[test]
    fn dates_are_checked() {
        assert!(parse_date("2026-02-29").is_none());
        assert!(parse_date("2028-02-29").is_some());
        assert!(parse_date("26-02-01").is_none());
    }
}
