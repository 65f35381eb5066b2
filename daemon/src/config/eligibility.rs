//! `[eligibility]`: the rule table of who may use the lane (`gate::eligibility`), as the
//! file writes it: `[eligibility.groups]` (named lists of ICAO 9303-3 codes),
//! `[eligibility.default]` and the rules in order, `[[eligibility.rule]]`.
//!
//! [`table`] maps it to a [`gate::RuleTable`] and reports every bad value under its key
//! (`eligibility.rule[2].age`), including the table's own problems: a group no one defined,
//! a rule that can never decide because earlier rules match everyone it matches.
//!
//! The groups of the shipped table (`eu_eea_ch`) are always defined; a group of the same
//! name in the file replaces it. Rules given in the file replace the shipped rules whole
//! (their order is their meaning).

use std::collections::BTreeMap;

use gate::{AgeBand, CountryCode, Direction, DocumentKind, Outcome, ReasonCode, TableProblem};
use serde::{Deserialize, Serialize};

/// The old `[policy]` keys that the rule table replaced, refused with a message naming the
/// new keys.
pub const REPLACED_POLICY_KEYS: [&str; 4] = [
    "policy.document_kinds",
    "policy.issuing_states",
    "policy.nationalities",
    "policy.minimum_age",
];

/// What a file that still has a [`REPLACED_POLICY_KEYS`] key is told.
pub const REPLACED_MESSAGE: &str = "replaced by the eligibility rule table: name state lists in \
    [eligibility.groups] and write [[eligibility.rule]] entries (documents, nationality, \
    issuing_state, age, direction, decision, reason; first match wins) and \
    [eligibility.default]; `egate config default` prints the shipped table, CHANGELOG shows \
    how the old lists translate";

/// `[eligibility]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EligibilityConfig {
    /// Named lists of states (ICAO 9303-3 codes; "D" is Germany's "D<<").
    pub groups: BTreeMap<String, Vec<String>>,
    /// What decides when no rule matches.
    pub default: DefaultRule,
    /// The rules, in order: the first that matches decides.
    pub rule: Vec<RuleConfig>,
}

/// `[eligibility.default]`
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultRule {
    /// "allow" or "refer".
    pub decision: Option<Decision>,
    /// The reason of a referral (an eligibility reason code).
    pub reason: Option<String>,
}

/// `decision = "allow" | "refer"`.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    /// The traveller may use the lane.
    Allow,
    /// The traveller is referred with the rule's reason.
    Refer,
}

/// One `[[eligibility.rule]]`. Every criterion left out matches anyone.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Default)]
#[serde(deny_unknown_fields, default)]
pub struct RuleConfig {
    /// Its name (the audit trail records it with every decision it makes).
    pub name: String,
    /// Document kinds: "passport", "identity_card", "residence_permit", "other".
    pub documents: Option<Vec<String>>,
    /// The group the holder's nationality must be in.
    pub nationality: Option<String>,
    /// The group the issuing state must be in.
    pub issuing_state: Option<String>,
    /// Age band: "18-", "12-17", "-11", "30", "unknown".
    pub age: Option<String>,
    /// "entry" or "exit".
    pub direction: Option<Direction>,
    /// "allow" or "refer".
    pub decision: Option<Decision>,
    /// The reason of a referral.
    pub reason: Option<String>,
}

impl Default for EligibilityConfig {
    /// The shipped table ([`gate::RuleTable::shipped`]), as the file writes it.
    fn default() -> Self {
        from_table(&gate::RuleTable::shipped())
    }
}

/// A table as the file writes it.
pub fn from_table(t: &gate::RuleTable) -> EligibilityConfig {
    let decision = |o: Outcome| match o {
        Outcome::Allow => (Some(Decision::Allow), None),
        Outcome::Refer(r) => (Some(Decision::Refer), Some(r.as_str().to_string())),
    };
    let (d, r) = decision(t.default);
    EligibilityConfig {
        groups: t
            .groups
            .iter()
            .map(|g| {
                let members = g.members.iter().map(|c| c.as_str().to_string()).collect();
                (g.name.clone(), members)
            })
            .collect(),
        default: DefaultRule {
            decision: d,
            reason: r,
        },
        rule: t
            .rules
            .iter()
            .map(|rule| {
                let (decision, reason) = decision(rule.outcome);
                RuleConfig {
                    name: rule.name.clone(),
                    documents: rule
                        .documents
                        .as_ref()
                        .map(|d| d.iter().map(|k| k.as_str().to_string()).collect()),
                    nationality: rule.nationality.clone(),
                    issuing_state: rule.issuing_state.clone(),
                    age: (rule.age != AgeBand::Any).then(|| rule.age.to_string()),
                    direction: rule.direction,
                    decision,
                    reason,
                }
            })
            .collect(),
    }
}

/// Longest accepted rule or group name.
const MAX_NAME: usize = 40;

fn name_ok(name: &str, extra: char) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == extra)
}

/// The gate's rule table from `[eligibility]`; every bad value is passed to `bad` under its
/// key. A bad value is left out (a bad group member, a bad document kind) or replaced by
/// the strictest reading (a bad age band matches nobody, a bad decision refers), so the
/// table built from a file with problems never allows more than the file meant.
pub fn table(c: &EligibilityConfig, report: &mut impl FnMut(String, String)) -> gate::RuleTable {
    let mut found: Vec<(String, String)> = Vec::new();
    let table = build(c, &mut |k, m| found.push((k, m)));
    // Whether a rule can decide is asked only of a table without other problems: a value
    // refused above already changed what its rule matches.
    if found.is_empty() {
        shadowing(&table, &mut |k, m| found.push((k, m)));
    }
    for (k, m) in found {
        report(k, m);
    }
    table
}

fn build(c: &EligibilityConfig, bad: &mut dyn FnMut(String, String)) -> gate::RuleTable {
    let mut groups: Vec<gate::StateGroup> = gate::RuleTable::shipped().groups;
    for (name, members) in &c.groups {
        let key = format!("eligibility.groups.{name}");
        if !name_ok(name, '_') {
            bad(
                key.clone(),
                format!(
                    "a group name is 1 to {MAX_NAME} characters from a-z, 0-9 and '_' \
                     (e.g. \"eu_eea_ch\")"
                ),
            );
        }
        let codes = countries(&key, members, bad);
        groups.retain(|g| &g.name != name);
        groups.push(gate::StateGroup {
            name: name.clone(),
            members: codes,
        });
    }
    let outcome = |key: &str,
                   decision: Option<Decision>,
                   reason: &Option<String>,
                   bad: &mut dyn FnMut(String, String)| {
        let strictest = Outcome::Refer(ReasonCode::IneligibleTraveller);
        match (decision, reason) {
            (None, _) => {
                bad(
                    format!("{key}.decision"),
                    "missing: write decision = \"allow\" or \"refer\"".into(),
                );
                strictest
            }
            (Some(Decision::Allow), None) => Outcome::Allow,
            (Some(Decision::Allow), Some(_)) => {
                bad(
                    format!("{key}.reason"),
                    "an \"allow\" decision has no reason: remove the key, or decide \"refer\""
                        .into(),
                );
                Outcome::Allow
            }
            (Some(Decision::Refer), None) => {
                bad(
                    format!("{key}.reason"),
                    format!(
                        "missing: a \"refer\" decision needs a reason, one of {}",
                        reasons()
                    ),
                );
                strictest
            }
            (Some(Decision::Refer), Some(r)) => {
                match ReasonCode::from_name(r).filter(|r| ReasonCode::ELIGIBILITY.contains(r)) {
                    Some(r) => Outcome::Refer(r),
                    None => {
                        bad(
                            format!("{key}.reason"),
                            format!("{r:?} is not an eligibility reason: one of {}", reasons()),
                        );
                        strictest
                    }
                }
            }
        }
    };
    let mut rules = Vec::new();
    for (i, r) in c.rule.iter().enumerate() {
        let key = format!("eligibility.rule[{i}]");
        if !name_ok(&r.name, '-') {
            bad(
                format!("{key}.name"),
                format!(
                    "every rule needs a name of 1 to {MAX_NAME} characters from a-z, 0-9, '-' \
                     and '_' (the audit trail records it)"
                ),
            );
        }
        let documents = r.documents.as_ref().map(|list| {
            let mut kinds = Vec::new();
            if list.is_empty() {
                bad(
                    format!("{key}.documents"),
                    "an empty list matches no document: leave the key out to match every kind"
                        .into(),
                );
            }
            for (j, name) in list.iter().enumerate() {
                match DocumentKind::from_name(name) {
                    Some(k) if kinds.contains(&k) => bad(
                        format!("{key}.documents[{j}]"),
                        format!("{name:?} is listed twice"),
                    ),
                    Some(k) => kinds.push(k),
                    None => bad(
                        format!("{key}.documents[{j}]"),
                        format!("{name:?} is not one of {}", document_kinds()),
                    ),
                }
            }
            kinds
        });
        let age = match &r.age {
            None => AgeBand::Any,
            Some(text) => AgeBand::parse(text).unwrap_or_else(|e| {
                bad(format!("{key}.age"), format!("{text:?}: {e}"));
                // Matches nobody.
                AgeBand::Years {
                    min: 1,
                    max: Some(0),
                }
            }),
        };
        rules.push(gate::Rule {
            name: r.name.clone(),
            documents,
            nationality: r.nationality.clone(),
            issuing_state: r.issuing_state.clone(),
            age,
            direction: r.direction,
            outcome: outcome(&key, r.decision, &r.reason, bad),
        });
    }
    let default = outcome(
        "eligibility.default",
        c.default.decision,
        &c.default.reason,
        bad,
    );
    let table = gate::RuleTable {
        groups,
        rules,
        default,
    };
    for p in table.problems() {
        if let TableProblem::Unreachable { .. } | TableProblem::NobodyAllowed = p {
            continue;
        }
        problem(&table, p, bad);
    }
    table
}

/// The rules that can never decide, and a table that allows nobody.
fn shadowing(table: &gate::RuleTable, bad: &mut dyn FnMut(String, String)) {
    for p in table.problems() {
        problem(table, p, bad);
    }
}

fn problem(table: &gate::RuleTable, p: TableProblem, bad: &mut dyn FnMut(String, String)) {
    {
        match p {
            TableProblem::UnknownGroup {
                rule,
                criterion,
                group,
            } => bad(
                format!("eligibility.rule[{rule}].{}", criterion.key()),
                format!(
                    "no group {group:?} in [eligibility.groups] (defined: {})",
                    table
                        .groups
                        .iter()
                        .map(|g| g.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            TableProblem::Unreachable { rule, ref by } => bad(
                format!("eligibility.rule[{rule}]"),
                format!(
                    "rule {:?} can never decide: {}",
                    table.rules[rule].name,
                    match by.as_slice() {
                        [] => "it matches nobody (an empty group?)".to_string(),
                        _ => format!(
                            "{} before it match{} everyone it matches (move it up, or \
                             remove it)",
                            by.iter()
                                .map(|&i| format!("rule[{i}] {:?}", table.rules[i].name))
                                .collect::<Vec<_>>()
                                .join(", "),
                            if by.len() == 1 { "es" } else { "" }
                        ),
                    }
                ),
            ),
            TableProblem::DuplicateName { rule, first } => bad(
                format!("eligibility.rule[{rule}].name"),
                format!(
                    "{:?} is also the name of rule[{first}]: the audit trail names the rule \
                     that decided, so names must differ",
                    table.rules[rule].name
                ),
            ),
            TableProblem::NobodyAllowed => bad(
                "eligibility.default".into(),
                "no rule allows anyone and the default refers: nobody could use the lane".into(),
            ),
            // Reported above, under the reason's own key.
            TableProblem::NotAnEligibilityReason { .. } => {}
            other => bad("eligibility".into(), other.to_string()),
        }
    }
}

fn reasons() -> String {
    ReasonCode::ELIGIBILITY
        .iter()
        .map(|r| format!("{:?}", r.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn document_kinds() -> String {
    DocumentKind::ALL
        .iter()
        .map(|k| format!("{:?}", k.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A list of ICAO 9303-3 codes. ICAO 9303-3 §5: codes are three capital letters, except
/// Germany's one-letter "D", which the MRZ pads with fillers to "D<<".
pub fn countries(
    key: &str,
    list: &[String],
    bad: &mut dyn FnMut(String, String),
) -> Vec<CountryCode> {
    let mut codes = Vec::new();
    for (i, text) in list.iter().enumerate() {
        let padded = if text == "D" { "D<<" } else { text.as_str() };
        let letters = padded.len() == 3 && padded.bytes().all(|b| b.is_ascii_uppercase());
        match CountryCode::new(padded) {
            Ok(code) if letters || padded == "D<<" => {
                if codes.contains(&code) {
                    bad(format!("{key}[{i}]"), format!("{text:?} is listed twice"));
                } else {
                    codes.push(code);
                }
            }
            _ => bad(
                format!("{key}[{i}]"),
                format!(
                    "{text:?} is not an ICAO 9303-3 code: three capital letters (\"FRA\"), \
                     or \"D\" or \"D<<\" for Germany"
                ),
            ),
        }
    }
    codes
}

#[cfg(test)]
mod tests {
    use crate::config::{parse, ConfigError};

    fn keys_and_lines(errs: &[ConfigError]) -> Vec<(&str, Option<usize>)> {
        errs.iter().map(|e| (e.key.as_str(), e.line)).collect()
    }

    #[test]
    fn the_old_allow_lists_are_refused_naming_the_new_keys() {
        let text = "[policy]\nminimum_age = 18\nnationalities = [\"FRA\"]\n\
                    issuing_states = []\ndocument_kinds = [\"passport\"]\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("policy.minimum_age", Some(2)),
                ("policy.nationalities", Some(3)),
                ("policy.issuing_states", Some(4)),
                ("policy.document_kinds", Some(5)),
            ]
        );
        for e in &errs {
            assert!(e.message.contains("[[eligibility.rule]]"), "{e}");
            assert!(e.message.contains("[eligibility.groups]"), "{e}");
        }
    }

    #[test]
    fn an_unknown_group_is_refused_with_the_rule_key_and_line() {
        let text = "[[eligibility.rule]]\nname = \"a\"\nnationality = \"schengen\"\n\
                    decision = \"allow\"\n[[eligibility.rule]]\nname = \"b\"\n\
                    issuing_state = \"eu\"\ndecision = \"allow\"\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("eligibility.rule[0].nationality", Some(3)),
                ("eligibility.rule[1].issuing_state", Some(7)),
            ]
        );
        assert!(errs[0].message.contains("\"schengen\""), "{}", errs[0]);
        assert!(errs[0].message.contains("eu_eea_ch"), "{}", errs[0]);
    }

    #[test]
    fn an_unreachable_rule_is_refused_naming_the_rules_that_shadow_it() {
        let text = r#"[[eligibility.rule]]
name = "minors"
age = "-17"
decision = "refer"
reason = "underage"

[[eligibility.rule]]
name = "adults"
age = "18-"
decision = "allow"

[[eligibility.rule]]
name = "unknown"
age = "unknown"
decision = "refer"
reason = "age_unknown"

[[eligibility.rule]]
name = "eu-passports"
documents = ["passport"]
nationality = "eu_eea_ch"
decision = "allow"
"#;
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("eligibility.rule[3]", Some(18))]
        );
        let m = &errs[0].message;
        assert!(
            m.contains("\"eu-passports\"")
                && m.contains("rule[0] \"minors\"")
                && m.contains("rule[1] \"adults\"")
                && m.contains("rule[2] \"unknown\""),
            "{m}"
        );
        // Moved up, it decides for EU passport holders of every age.
        let moved = text.replace(
            "[[eligibility.rule]]\nname = \"eu-passports\"\ndocuments = [\"passport\"]\n\
             nationality = \"eu_eea_ch\"\ndecision = \"allow\"\n",
            "",
        );
        let moved = format!(
            "[[eligibility.rule]]\nname = \"eu-passports\"\ndocuments = [\"passport\"]\n\
             nationality = \"eu_eea_ch\"\ndecision = \"allow\"\n\n{moved}"
        );
        let c = parse(&moved).unwrap();
        assert_eq!(c.eligibility.rule[0].name, "eu-passports");
    }

    #[test]
    fn decisions_and_reasons_are_checked_rule_by_rule() {
        let text = r#"[eligibility.default]
decision = "allow"
reason = "underage"

[[eligibility.rule]]
name = "Bad Name"
decision = "refer"

[[eligibility.rule]]
name = "b"
decision = "refer"
reason = "face_mismatch"

[[eligibility.rule]]
name = "c"
reason = "underage"

[[eligibility.rule]]
name = "d"
direction = "north"
decision = "allow"

[[eligibility.rule]]
name = "e"
documents = []
decision = "maybe"
"#;
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("eligibility.default.reason", Some(3)),
                // Missing: the line of its rule's header.
                ("eligibility.rule[0].reason", Some(5)),
                ("eligibility.rule[0].name", Some(6)),
                ("eligibility.rule[1].reason", Some(12)),
                ("eligibility.rule[2].decision", Some(14)),
                ("eligibility.rule[3].direction", Some(20)),
                ("eligibility.rule[4].documents", Some(25)),
                ("eligibility.rule[4].decision", Some(26)),
            ],
            "{errs:#?}"
        );
    }

    #[test]
    fn unknown_keys_in_a_rule_and_bad_group_values_are_refused() {
        let text = "[eligibility.groups]\nnordic = [\"DNK\", 7]\n\"Bad-Name\" = [\"FRA\"]\n\
                    [[eligibility.rule]]\nname = \"a\"\nnationalty = \"nordic\"\n\
                    decision = \"allow\"\n";
        let errs = parse(text).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("eligibility.rule[0].nationalty", Some(6))],
            "{errs:#?}"
        );
        assert!(errs[0].message.contains("nationality"), "{}", errs[0]);
        // A number in a group, a bad group name, and the rule that names the group the
        // number spoiled: all at once.
        let errs = parse(&text.replace("nationalty", "nationality")).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![
                ("eligibility.groups.nordic[1]", Some(2)),
                ("eligibility.groups.Bad-Name", Some(3)),
                ("eligibility.rule[0].nationality", Some(6)),
            ],
            "{errs:#?}"
        );
        let errs =
            parse(&text.replace("nationalty", "nationality").replace(", 7", "")).unwrap_err();
        assert_eq!(
            keys_and_lines(&errs),
            vec![("eligibility.groups.Bad-Name", Some(3))],
            "{errs:#?}"
        );
    }

    #[test]
    fn a_file_that_only_adds_a_group_keeps_the_shipped_rules_and_groups() {
        let c =
            parse("[eligibility.groups]\nnordic = [\"DNK\", \"SWE\", \"NOR\", \"FIN\", \"ISL\"]\n")
                .unwrap();
        let g = c.gate_config(gate::CivilDate::new(2026, 12, 6).unwrap());
        assert_eq!(g.eligibility.rules.rules, gate::RuleTable::shipped().rules);
        assert!(g.eligibility.rules.group("eu_eea_ch").is_some());
        assert_eq!(
            g.eligibility.rules.group("nordic").unwrap().members.len(),
            5
        );
    }
}
