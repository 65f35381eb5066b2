//! `egate policy explain --mrz FILE`: which eligibility rule decides for a document, and why.
//! The tool an officer or an auditor uses to see what the lane's rule table does with one
//! document.
//!
//! It reads an MRZ (TD1, TD2 or TD3; every check digit must be right) from a file or
//! standard input, maps it to the facts the gate uses (`crate::lane::facts`, the chip-read
//! job's own mapping), and runs the policy's validity check and the rule table
//! (`gate::policy::validity`, `gate::RuleTable::explain`, the functions the gate calls). The
//! chip checks that come first at the gate (passive and chip authentication, the printed
//! MRZ against DG1) are taken as passed: an MRZ alone cannot show them.
//!
//! What it prints names the document kind, the holder's age in years and, for each group a
//! rule asks about, whether the holder's nationality or the issuing state is in it; never a
//! name, a number, a date or a country code. Nothing is logged.
//!
//! Exit codes: 0 the table allows the traveller, 1 it refers them, 2 a usage error, 64 a bad
//! configuration, 65 an MRZ that cannot be read (the error names the field, never its
//! content).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use gate::eligibility::Criterion;
use gate::{CivilDate, Decider, Direction, Outcome};
use serde_json::{json, Value};

/// Exit code for an MRZ that cannot be read (sysexits EX_DATAERR).
pub const EXIT_BAD_MRZ: u8 = 65;

/// Longest MRZ file accepted: three TD1 lines with generous whitespace.
const MAX_MRZ_BYTES: u64 = 4096;

/// `egate policy`.
#[derive(clap::Subcommand)]
pub enum PolicyCommand {
    /// Show which eligibility rule decides for a document's MRZ, and why; exit 0 allow,
    /// 1 refer, 65 an unreadable MRZ
    Explain(ExplainArgs),
}

/// Arguments of `egate policy explain`.
#[derive(clap::Args)]
pub struct ExplainArgs {
    /// The MRZ: a file with its lines (TD1: 3 lines of 30 characters; TD3: 2 of 44), or `-`
    /// for standard input
    #[arg(long, value_name = "FILE")]
    mrz: PathBuf,
    /// The configuration file whose [eligibility] and [gate] apply (default: the built-in
    /// default configuration)
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// The lane direction, instead of the configuration's [gate] direction
    #[arg(long, value_parser = parse_direction)]
    direction: Option<Direction>,
    /// The date the age and validity are taken on, YYYY-MM-DD (default: today at the lane,
    /// [gate] utc_offset_minutes)
    #[arg(long, value_parser = parse_date)]
    date: Option<CivilDate>,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
}

fn parse_direction(s: &str) -> Result<Direction, String> {
    Direction::from_name(s).ok_or_else(|| format!("{s:?} is not \"entry\" or \"exit\""))
}

fn parse_date(s: &str) -> Result<CivilDate, String> {
    let bad = || format!("{s:?} is not a date YYYY-MM-DD");
    let mut it = s.split('-');
    let mut next = || it.next().ok_or_else(bad);
    let (y, m, d) = (next()?, next()?, next()?);
    if s.split('-').count() != 3 || y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return Err(bad());
    }
    let n = |t: &str| t.parse::<u16>().map_err(|_| bad());
    let (y, m, d) = (n(y)?, n(m)?, n(d)?);
    CivilDate::new(y, m as u8, d as u8).map_err(|e| format!("{s:?}: {e}"))
}

/// Entry point of `egate policy`.
pub fn main(cmd: PolicyCommand) -> ExitCode {
    match cmd {
        PolicyCommand::Explain(args) => explain(&args),
    }
}

fn explain(args: &ExplainArgs) -> ExitCode {
    let cfg = match super::load_config(
        args.config.as_deref(),
        "egate policy explain",
        |_| {},
        |_| Vec::new(),
    ) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let today = args
        .date
        .unwrap_or_else(|| crate::lane::clock::LaneClock::new(cfg.gate.utc_offset_minutes).today());
    let direction = args.direction.unwrap_or(cfg.gate.direction);
    let policy = cfg.gate_config(today).eligibility;
    let text = match read_mrz_text(&args.mrz) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("egate policy explain: {e}");
            return ExitCode::from(EXIT_BAD_MRZ);
        }
    };
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mrz = match document::mrz::Mrz::parse_strict(&lines) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("egate policy explain: not a valid MRZ: {e}");
            return ExitCode::from(EXIT_BAD_MRZ);
        }
    };
    let Some(facts) = crate::lane::facts::from_mrz(&mrz, today.year()) else {
        eprintln!(
            "egate policy explain: the MRZ holds a country code or an expiry date the gate \
             cannot use (the gate would refer it as chip_read_failed)"
        );
        return ExitCode::from(EXIT_BAD_MRZ);
    };
    drop(mrz);
    let report = Report::new(&policy, &facts, direction, today);
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report.json()).unwrap_or_default()
        );
    } else {
        print!("{}", report.text());
    }
    match report.outcome {
        Outcome::Allow => ExitCode::SUCCESS,
        Outcome::Refer(_) => ExitCode::from(1),
    }
}

/// The MRZ file's text (`-`: standard input), refused when too long or not UTF-8.
fn read_mrz_text(path: &Path) -> Result<zeroize::Zeroizing<String>, String> {
    let mut text = zeroize::Zeroizing::new(String::new());
    let read = if path == Path::new("-") {
        std::io::stdin()
            .take(MAX_MRZ_BYTES + 1)
            .read_to_string(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_MRZ_BYTES + 1).read_to_string(&mut text))
    };
    let what = if path == Path::new("-") {
        "standard input".to_string()
    } else {
        path.display().to_string()
    };
    match read {
        Ok(n) if n as u64 > MAX_MRZ_BYTES => Err(format!(
            "{what}: longer than {MAX_MRZ_BYTES} bytes: not an MRZ"
        )),
        Ok(_) => Ok(text),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            Err(format!("{what}: not text (an MRZ is A-Z, 0-9 and '<')"))
        }
        Err(e) => Err(format!("{what}: cannot read: {e}")),
    }
}

/// What decided, and why, without personal data beyond the kind, the age and group
/// membership.
struct Report {
    outcome: Outcome,
    /// `None`: the validity check decided, before the table.
    by: Option<Decider>,
    by_name: String,
    kind: &'static str,
    age: Option<u16>,
    direction: Direction,
    today: CivilDate,
    valid: bool,
    /// Each rule checked: index, name, first failed criterion (`None`: matched), and the
    /// detail of that criterion.
    rules: Vec<(usize, String, Option<Criterion>, String)>,
    default_reached: bool,
}

impl Report {
    fn new(
        policy: &gate::EligibilityPolicy,
        facts: &crate::lane::facts::MrzFacts,
        direction: Direction,
        today: CivilDate,
    ) -> Self {
        let table = &policy.rules;
        let holder = &facts.holder;
        let validity = gate::policy::validity(policy, facts.expiry, today);
        let explanation = table.explain(holder, direction, today);
        let mut report = Report {
            outcome: Outcome::Allow,
            by: None,
            by_name: "document validity".into(),
            kind: holder.kind.as_str(),
            age: explanation.age,
            direction,
            today,
            valid: validity.is_ok(),
            rules: Vec::new(),
            default_reached: false,
        };
        if let Err(reason) = validity {
            report.outcome = Outcome::Refer(reason);
            return report;
        }
        for &(i, failed) in &explanation.checked {
            let rule = &table.rules[i];
            let detail = match failed {
                None => "every criterion it names holds".to_string(),
                Some(Criterion::Document) => format!(
                    "documents {} does not include {}",
                    names(rule.documents.as_deref().unwrap_or_default()),
                    holder.kind
                ),
                Some(Criterion::Nationality) => format!(
                    "the nationality is not in group {}",
                    rule.nationality.as_deref().unwrap_or("?")
                ),
                Some(Criterion::IssuingState) => format!(
                    "the issuing state is not in group {}",
                    rule.issuing_state.as_deref().unwrap_or("?")
                ),
                Some(Criterion::Age) => format!(
                    "age band {} does not include {}",
                    rule.age,
                    age_text(explanation.age)
                ),
                Some(Criterion::Direction) => format!(
                    "direction {} is not this lane's {}",
                    rule.direction.map_or("?", |d| d.as_str()),
                    direction
                ),
            };
            report.rules.push((i, rule.name.clone(), failed, detail));
        }
        report.outcome = explanation.decision.outcome;
        report.by = Some(explanation.decision.by);
        report.by_name = table.decider_name(explanation.decision.by).to_string();
        report.default_reached = explanation.decision.by == Decider::Default;
        report
    }

    fn decided_by(&self) -> String {
        match self.by {
            None => "the validity check, before the rule table".into(),
            Some(Decider::Rule(i)) => format!("rule[{i}] {:?}", self.by_name),
            Some(Decider::Default) => "the default ([eligibility.default]): no rule matched".into(),
        }
    }

    fn text(&self) -> String {
        let mut out = String::new();
        let verdict = match self.outcome {
            Outcome::Allow => "ALLOW".to_string(),
            Outcome::Refer(r) => format!("REFER ({r})"),
        };
        out.push_str(&format!("decision:   {verdict}\n"));
        out.push_str(&format!("decided by: {}\n", self.decided_by()));
        out.push_str(&format!(
            "document:   {}, holder aged {}, on a {} lane, on {}\n",
            self.kind,
            age_text(self.age),
            self.direction,
            self.today
        ));
        out.push_str(&format!(
            "validity:   {}\n",
            if self.valid {
                "valid on this date (or not required)"
            } else {
                "expired before this date: refer document_expired"
            }
        ));
        if !self.rules.is_empty() {
            out.push_str("rules, in order:\n");
        }
        for (i, name, failed, detail) in &self.rules {
            let head = match failed {
                None => "MATCH".to_string(),
                Some(c) => format!("no match on {}", c.key()),
            };
            out.push_str(&format!("  rule[{i}] {name:?}: {head}: {detail}\n"));
        }
        if self.default_reached {
            out.push_str("  no rule matched: the default decides\n");
        }
        out.push_str(
            "assumed:    the chip checks the gate makes first (passive and chip \
             authentication, printed MRZ = DG1) pass\n",
        );
        out
    }

    fn json(&self) -> Value {
        let decided_by = match self.by {
            None => json!({ "check": "validity" }),
            Some(Decider::Rule(i)) => json!({ "rule": i, "name": self.by_name }),
            Some(Decider::Default) => json!({ "default": true, "name": "default" }),
        };
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|(i, name, failed, detail)| {
                json!({
                    "rule": i, "name": name, "matched": failed.is_none(),
                    "failed": failed.map(Criterion::key), "why": detail,
                })
            })
            .collect();
        json!({
            "decision": self.outcome.as_str(),
            "reason": match self.outcome {
                Outcome::Allow => Value::Null,
                Outcome::Refer(r) => r.as_str().into(),
            },
            "decided_by": decided_by,
            "document": self.kind,
            "age": self.age,
            "direction": self.direction.as_str(),
            "date": self.today.to_string(),
            "valid": self.valid,
            "rules": rules,
        })
    }
}

fn names(kinds: &[gate::DocumentKind]) -> String {
    format!(
        "[{}]",
        kinds
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn age_text(age: Option<u16>) -> String {
    age.map_or("unknown".into(), |a| a.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_directions_parse_strictly() {
        assert_eq!(
            parse_date("2026-12-06"),
            CivilDate::new(2026, 12, 6).map_err(|_| String::new())
        );
        for bad in [
            "2026-12-6",
            "2026-13-01",
            "2026-02-30",
            "26-12-06",
            "2026-12-06-1",
            "x",
        ] {
            assert!(parse_date(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_direction("exit"), Ok(Direction::Exit));
        assert!(parse_direction("Exit").is_err());
    }

    #[test]
    fn the_report_names_no_country_and_no_date_of_the_document() {
        let policy = gate::EligibilityPolicy {
            rules: gate::RuleTable::shipped(),
            ..Default::default()
        };
        let facts = crate::lane::facts::MrzFacts {
            holder: gate::Holder {
                kind: gate::DocumentKind::IdentityCard,
                issuing_state: gate::CountryCode::new("USA").unwrap(),
                nationality: gate::CountryCode::new("D<<").unwrap(),
                birth_date: CivilDate::new(1981, 3, 4).ok(),
            },
            expiry: CivilDate::new(2031, 7, 9).unwrap(),
        };
        let today = CivilDate::new(2026, 12, 6).unwrap();
        let r = Report::new(&policy, &facts, Direction::Entry, today);
        assert_eq!(
            r.outcome,
            Outcome::Refer(gate::ReasonCode::IneligibleTraveller)
        );
        let text = r.text() + &r.json().to_string();
        for needle in ["USA", "D<<", "1981", "2031", "810304", "310709"] {
            assert!(!text.contains(needle), "{needle} in {text}");
        }
        assert!(
            text.contains("rule[3] \"eu-eea-ch-id-card\": no match on issuing_state"),
            "{text}"
        );
    }
}
