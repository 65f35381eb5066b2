//! The eligibility rule table (issue #18): documents of every kind, state group, age band and
//! lane direction with the decision the shipped table must give; `egate policy explain`
//! (the real binary, reading each document's MRZ) and the gate's state machine (fed the same
//! document's facts as a chip read) must both give it, rule for rule.
//!
//! The MRZs are made by the simulator's document factory and checked against ICAO 9303
//! (check digits, ICAO 9303-3 §4.9) by the binary itself; ages are completed years on the
//! fixed date, with birthdays on the date itself and the day after for the boundaries.
//!
//! Also: `egate config check` refuses an unknown group and a rule that earlier rules leave
//! nothing to decide (with key and line), the old allow-list keys are refused naming the
//! new ones, a bad MRZ exits 65 naming the field and never its content, and what explain
//! prints holds no name, number, date or country code of the document.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use egate_tests::{config_check, egate, egate_bin, temp_file};
use gate::script::{Keep, Script};
use gate::{
    AuditEvent, CivilDate, Direction, DocumentFacts, DocumentKind, DocumentVerdict, GateConfig,
};
use sim::factory::{lds::check_digit, DateTime, DocType};

/// The date every decision is taken on.
const DATE: (u16, u8, u8) = (2026, 12, 6);

/// How old the holder is on [`DATE`].
#[derive(Debug, Clone, Copy)]
enum Age {
    /// This many completed years, the birthday a month ago.
    Years(u16),
    /// This many completed years, the birthday on the date itself.
    BirthdayToday(u16),
    /// One day short of this many years (the birthday is tomorrow).
    TurnsTomorrow(u16),
    /// The MRZ leaves the birth date unknown (ICAO 9303-3 §4.6: '<').
    Unknown,
}

/// One document and the decision the shipped table gives on a lane of `direction`.
struct Case {
    /// MRZ document code (ICAO 9303-3 §4.2.2): "P<", "I<", "IR" (residence permit),
    /// "AC" (crew member certificate).
    code: &'static str,
    issuing_state: &'static str,
    nationality: &'static str,
    age: Age,
    direction: Direction,
    /// `None`: allow.
    reason: Option<&'static str>,
    /// The deciding rule's name (`default` for the table's default).
    rule: &'static str,
}

const fn case(
    code: &'static str,
    issuing_state: &'static str,
    nationality: &'static str,
    age: Age,
    direction: Direction,
    reason: Option<&'static str>,
    rule: &'static str,
) -> Case {
    Case {
        code,
        issuing_state,
        nationality,
        age,
        direction,
        reason,
        rule,
    }
}

use Age::*;
use Direction::{Entry, Exit};

const UNDERAGE: Option<&str> = Some("underage");
const DEFAULT: Option<&str> = Some("ineligible_traveller");

/// The table: every document kind, EU/EEA/CH and third-country states, every age band of
/// the shipped table (unknown, 0-11, 12-17, 18-) with their boundaries, both directions.
const CASES: &[Case] = &[
    case(
        "P<",
        "FRA",
        "FRA",
        Years(34),
        Entry,
        None,
        "eu-eea-ch-passport",
    ),
    case(
        "P<",
        "FRA",
        "FRA",
        Years(34),
        Exit,
        None,
        "eu-eea-ch-passport",
    ),
    case(
        "P<",
        "D",
        "D",
        BirthdayToday(18),
        Entry,
        None,
        "eu-eea-ch-passport",
    ),
    case(
        "P<",
        "D",
        "D",
        TurnsTomorrow(18),
        Exit,
        UNDERAGE,
        "eu-eea-ch-minors-exit",
    ),
    case(
        "P<",
        "D",
        "D",
        TurnsTomorrow(18),
        Entry,
        None,
        "eu-eea-ch-minors-entry",
    ),
    case(
        "I<",
        "ITA",
        "ITA",
        Years(40),
        Entry,
        None,
        "eu-eea-ch-id-card",
    ),
    case(
        "I<",
        "ITA",
        "ITA",
        Years(15),
        Exit,
        UNDERAGE,
        "eu-eea-ch-minors-exit",
    ),
    case(
        "I<",
        "ITA",
        "ITA",
        Years(15),
        Entry,
        None,
        "eu-eea-ch-minors-entry",
    ),
    // A card from a third country is no travel document here, whoever holds it.
    case("I<", "USA", "FRA", Years(40), Entry, DEFAULT, "default"),
    case(
        "I<",
        "CHE",
        "CHE",
        Years(25),
        Exit,
        None,
        "eu-eea-ch-id-card",
    ),
    case(
        "I<",
        "NOR",
        "NOR",
        BirthdayToday(12),
        Entry,
        None,
        "eu-eea-ch-minors-entry",
    ),
    case(
        "P<",
        "NOR",
        "NOR",
        TurnsTomorrow(12),
        Entry,
        UNDERAGE,
        "children",
    ),
    case(
        "P<",
        "USA",
        "USA",
        Years(45),
        Entry,
        None,
        "third-country-passport",
    ),
    case(
        "P<",
        "USA",
        "USA",
        Years(45),
        Exit,
        None,
        "third-country-passport",
    ),
    case(
        "P<",
        "GBR",
        "GBR",
        Years(16),
        Entry,
        UNDERAGE,
        "third-country-minors",
    ),
    case(
        "P<",
        "GBR",
        "GBR",
        Years(16),
        Exit,
        UNDERAGE,
        "third-country-minors",
    ),
    case("P<", "JPN", "JPN", Years(5), Exit, UNDERAGE, "children"),
    case("I<", "USA", "USA", Years(30), Entry, DEFAULT, "default"),
    case("IR", "D", "TUR", Years(30), Entry, DEFAULT, "default"),
    case("IR", "FRA", "MAR", Years(30), Exit, DEFAULT, "default"),
    case("AC", "D", "D", Years(40), Entry, DEFAULT, "default"),
    case(
        "P<",
        "UTO",
        "UTO",
        Unknown,
        Entry,
        Some("age_unknown"),
        "age-unknown",
    ),
    case(
        "I<",
        "FRA",
        "FRA",
        Unknown,
        Exit,
        Some("age_unknown"),
        "age-unknown",
    ),
    // For a passport the holder's nationality decides, not who issued it.
    case(
        "P<",
        "FRA",
        "USA",
        Years(30),
        Entry,
        None,
        "third-country-passport",
    ),
    case(
        "P<",
        "USA",
        "D",
        Years(30),
        Exit,
        None,
        "eu-eea-ch-passport",
    ),
    case(
        "P<",
        "AUT",
        "AUT",
        BirthdayToday(0),
        Entry,
        UNDERAGE,
        "children",
    ),
];

fn date() -> CivilDate {
    CivilDate::new(DATE.0, DATE.1, DATE.2).unwrap()
}

/// The birth date for `age` on [`DATE`] (`None`: unknown).
fn birth(age: Age) -> Option<(u16, u8, u8)> {
    let (y, m, d) = DATE;
    match age {
        Years(n) => Some((y - n, m - 1, d)),
        BirthdayToday(n) => Some((y - n, m, d)),
        TurnsTomorrow(n) => Some((y - n, m, d + 1)),
        Unknown => None,
    }
}

/// The printed MRZ of `c`, made by the document factory; an unknown birth date written as
/// ICAO 9303-3 §4.6 says ('<' for each unknown digit, check digits over it).
fn mrz(c: &Case) -> String {
    let mut bio = sim::factory::specimen_bio();
    bio.doc_type = if c.code.starts_with('P') {
        DocType::Td3
    } else {
        DocType::Td1
    };
    bio.issuing_state = c.issuing_state.into();
    bio.nationality = c.nationality.into();
    bio.number = "T2200417".into();
    let (y, m, d) = birth(c.age).unwrap_or((1990, 1, 1));
    bio.birth = DateTime::date(y, m, d);
    bio.expiry = DateTime::date(2031, 5, 20);
    let mut lines: Vec<String> = bio.mrz().lines().map(str::to_string).collect();
    // The document code is covered by no check digit (ICAO 9303-4 §4.2.2, 9303-5 §4.2.2).
    lines[0].replace_range(0..2, c.code);
    if matches!(c.age, Unknown) {
        unknown_birth(&mut lines, bio.doc_type);
    }
    lines.join("\n")
}

/// Replaces the birth date by "<<<<<<" and recomputes its check digit and the composite.
fn unknown_birth(lines: &mut [String], doc_type: DocType) {
    let set =
        |line: &mut String, at: usize, text: &str| line.replace_range(at..at + text.len(), text);
    match doc_type {
        DocType::Td3 => {
            // Line 2: number 0..9, cd 9, nationality 10..13, birth 13..19, cd 19, sex 20,
            // expiry 21..27, cd 27, optional 28..42, cd 42, composite 43.
            let l = &mut lines[1];
            set(l, 13, "<<<<<<");
            set(l, 19, &check_digit("<<<<<<").to_string());
            let composite = format!("{}{}{}", &l[0..10], &l[13..20], &l[21..43]);
            set(l, 43, &check_digit(&composite).to_string());
        }
        DocType::Td1 => {
            // Line 2: birth 0..6, cd 6, sex 7, expiry 8..14, cd 14, nationality 15..18,
            // optional 18..29, composite 29 over line 1 5..30 and line 2 0..7, 8..15, 18..29.
            let mut l2 = lines[1].clone();
            set(&mut l2, 0, "<<<<<<");
            set(&mut l2, 6, &check_digit("<<<<<<").to_string());
            let composite = format!(
                "{}{}{}{}",
                &lines[0][5..30],
                &l2[0..7],
                &l2[8..15],
                &l2[18..29]
            );
            set(&mut l2, 29, &check_digit(&composite).to_string());
            lines[1] = l2;
        }
    }
}

/// The facts a chip read of `c` gives the gate: what the MRZ says, every chip check passed.
fn facts(c: &Case) -> DocumentFacts {
    let code = |s: &str| {
        let s = if s == "D" { "D<<" } else { s };
        gate::CountryCode::new(s).unwrap()
    };
    let mut f = gate::script::genuine_facts();
    f.kind = match c.code {
        "P<" => DocumentKind::Passport,
        "I<" => DocumentKind::IdentityCard,
        "IR" => DocumentKind::ResidencePermit,
        _ => DocumentKind::Other,
    };
    f.issuing_state = code(c.issuing_state);
    f.nationality = code(c.nationality);
    f.birth_date = birth(c.age).map(|(y, m, d)| CivilDate::new(y, m, d).unwrap());
    f.expiry = CivilDate::new(2031, 5, 20).unwrap();
    f
}

/// The gate's decision for `c`: the state machine (with its safety model checking every
/// step) reads the document on a lane of `c.direction`; (refusal, rule) from its audit.
fn gate_decision(c: &Case) -> (Option<String>, Option<String>) {
    let mut config = GateConfig::two_step(date());
    config.direction = c.direction;
    let mut script = Script::checked(config, Instant::now(), Keep::Audit).unwrap();
    script.clear_lane().unwrap();
    script.present().unwrap();
    script.chip(DocumentVerdict::Read(facts(c))).unwrap();
    // Bound first: the audit events borrow `script`, which ends with this function.
    #[allow(clippy::let_and_return)]
    let decision = script
        .audits()
        .find_map(|e| match e {
            AuditEvent::DocumentDecision { refusal, rule, .. } => {
                Some((refusal.map(|r| r.as_str().to_string()), rule.clone()))
            }
            _ => None,
        })
        .expect("the gate decided on the document");
    decision
}

fn explain(mrz_file: &std::path::Path, direction: Direction, json: bool) -> (i32, String, String) {
    let d = format!("{:04}-{:02}-{:02}", DATE.0, DATE.1, DATE.2);
    let mut args = vec![
        "policy",
        "explain",
        "--mrz",
        mrz_file.to_str().unwrap(),
        "--date",
        d.as_str(),
        "--direction",
        direction.as_str(),
    ];
    if json {
        args.push("--json");
    }
    egate(&args)
}

#[test]
fn the_rule_table_decides_each_document_and_explain_agrees_with_the_gate() {
    assert!(CASES.len() >= 20);
    let dir = tempfile::tempdir().unwrap();
    let mut kinds = std::collections::BTreeSet::new();
    for (n, c) in CASES.iter().enumerate() {
        kinds.insert((c.code, c.direction.as_str()));
        let what = format!(
            "case {n}: {} {}/{} {:?} {}",
            c.code, c.issuing_state, c.nationality, c.age, c.direction
        );
        let file = dir.path().join(format!("mrz-{n}.txt"));
        let text = mrz(c);
        std::fs::write(&file, &text).unwrap();

        // The binary, from the MRZ.
        let (code, out, err) = explain(&file, c.direction, true);
        let v: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{what}: {e}\n{out}\n{err}"));
        let expected_decision = if c.reason.is_some() { "refer" } else { "allow" };
        assert_eq!(v["decision"], expected_decision, "{what}\n{out}");
        assert_eq!(v["reason"].as_str(), c.reason, "{what}\n{out}");
        assert_eq!(v["decided_by"]["name"], c.rule, "{what}\n{out}");
        assert_eq!(
            code,
            if c.reason.is_some() { 1 } else { 0 },
            "{what}: {err}"
        );

        // The gate, from the same document read from its chip.
        let (refusal, rule) = gate_decision(c);
        assert_eq!(refusal.as_deref(), c.reason, "{what}: the gate");
        assert_eq!(rule.as_deref(), Some(c.rule), "{what}: the gate");

        // The text form says the same, and names nothing of the document.
        let (code_text, out_text, _) = explain(&file, c.direction, false);
        assert_eq!(code_text, code, "{what}");
        let decided = out_text
            .lines()
            .find(|l| l.starts_with("decided by: "))
            .unwrap_or_default();
        assert!(
            decided.contains(&format!("{:?}", c.rule))
                || c.rule == "default" && decided.contains("the default"),
            "{what}\n{out_text}"
        );
        for printed in [&out, &out_text, &err] {
            assert_no_document_data(printed, &text, c, &what);
        }
    }
    // Both directions for passports, cards and permits.
    for k in [
        ("P<", "entry"),
        ("P<", "exit"),
        ("I<", "entry"),
        ("I<", "exit"),
    ] {
        assert!(kinds.contains(&k), "{k:?} not covered");
    }
}

/// Nothing of the document beyond its kind, the age and group membership: no MRZ line, no
/// name, number, date or country code.
fn assert_no_document_data(printed: &str, mrz: &str, c: &Case, what: &str) {
    let mut needles: Vec<String> = mrz.lines().map(str::to_string).collect();
    needles.extend(
        ["ERIKSSON", "ANNA", "T2200417", "<<", "310520", "2031"]
            .iter()
            .map(|s| s.to_string()),
    );
    for state in [c.issuing_state, c.nationality] {
        if state.len() == 3 {
            needles.push(format!("\"{state}\""));
            needles.push(format!(" {state}"));
        }
    }
    if let Some((y, m, d)) = birth(c.age) {
        needles.push(format!("{:02}{m:02}{d:02}", y % 100));
        // The year of the date itself is printed, as the date the decision is taken on.
        if y != DATE.0 {
            needles.push(y.to_string());
        }
    }
    for n in needles {
        assert!(!printed.contains(&n), "{what}: {n:?} printed:\n{printed}");
    }
}

#[test]
fn explain_reads_standard_input_and_refuses_a_bad_mrz_naming_the_field() {
    let c = &CASES[0];
    let text = mrz(c);
    let run = |input: &str| {
        let mut child = Command::new(egate_bin())
            .args(["policy", "explain", "--mrz", "-", "--date", "2026-12-06"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // CRLF and blank lines around the MRZ are tolerated.
    let (code, out, err) = run(&format!("\r\n{}\r\n\r\n", text.replace('\n', "\r\n")));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("rule[2] \"eu-eea-ch-passport\""), "{out}");

    // A wrong check digit (the document number's, ICAO 9303-3 §4.9): exit 65, the field
    // named, nothing of the MRZ echoed.
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    let digit = lines[1].as_bytes()[9];
    let wrong = if digit == b'0' { "1" } else { "0" };
    lines[1].replace_range(9..10, wrong);
    let (code, out, err) = run(&lines.join("\n"));
    assert_eq!(code, 65, "{out}{err}");
    assert!(err.contains("document_number"), "{err}");
    assert!(out.is_empty(), "{out}");
    for l in &lines {
        assert!(!err.contains(l.as_str()), "{err}");
    }
    assert!(
        !err.contains("T2200417") && !err.contains("ERIKSSON"),
        "{err}"
    );

    // Not an MRZ at all, an empty input, binary garbage, a huge input.
    for (input, needle) in [
        ("hello\n", "match no MRZ format"),
        ("", "match no MRZ format"),
        ("P<FRA\u{0}\u{1}\n", "not a valid MRZ"),
    ] {
        let (code, _, err) = run(input);
        assert_eq!(code, 65, "{input:?}: {err}");
        assert!(err.contains(needle), "{input:?}: {err}");
    }
    let (code, _, err) = run(&"P".repeat(10_000));
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("longer than"), "{err}");
    let (code, _, err) = egate(&["policy", "explain", "--mrz", "/nonexistent/mrz.txt"]);
    assert_eq!(code, 65, "{err}");
    assert!(err.contains("cannot read"), "{err}");
    // A usage error is clap's 2.
    let (code, _, _) = egate(&["policy", "explain", "--mrz", "-", "--direction", "north"]);
    assert_eq!(code, 2);
}

#[test]
fn explain_follows_the_configured_table_and_direction() {
    // A table of one rule: EU/EEA/CH passports on exit lanes only.
    let (_dir, cfg) = temp_file(
        "egate.toml",
        "[gate]\ndirection = \"exit\"\n\
         [[eligibility.rule]]\nname = \"eu-leaving\"\ndocuments = [\"passport\"]\n\
         nationality = \"eu_eea_ch\"\ndirection = \"exit\"\ndecision = \"allow\"\n",
    );
    let (_d2, file) = temp_file("mrz.txt", &mrz(&CASES[0]));
    let args = |extra: &[&str]| {
        let mut a = vec![
            "policy",
            "explain",
            "--config",
            cfg.to_str().unwrap(),
            "--mrz",
            file.to_str().unwrap(),
            "--date",
            "2026-12-06",
            "--json",
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let (code, out, err) = egate(&args(&[]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("\"eu-leaving\""), "{out}");
    // The same traveller at an entry lane: the rule does not match on direction.
    let (code, out, _) = egate(&args(&["--direction", "entry"]));
    assert_eq!(code, 1, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["decided_by"]["name"], "default");
    assert_eq!(v["rules"][0]["failed"], "direction");
    // A bad configuration is 64, with its key and line.
    let (_d3, bad) = temp_file(
        "bad.toml",
        "[[eligibility.rule]]\nname = \"x\"\nnationality = \"schengen\"\ndecision = \"allow\"\n",
    );
    let (code, _, err) = egate(&[
        "policy",
        "explain",
        "--config",
        bad.to_str().unwrap(),
        "--mrz",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains("line 3: eligibility.rule[0].nationality"),
        "{err}"
    );
}

#[test]
fn config_check_refuses_unknown_groups_unreachable_rules_and_the_old_keys() {
    let (_dir, f) = temp_file(
        "egate.toml",
        r#"[[eligibility.rule]]
name = "everyone-on-entry"
direction = "entry"
decision = "allow"

[[eligibility.rule]]
name = "everyone-on-exit"
direction = "exit"
decision = "allow"

[[eligibility.rule]]
name = "nordic-minors"
nationality = "nordic"
age = "-17"
decision = "refer"
reason = "underage"
"#,
    );
    let (code, _, err) = config_check(&f);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains("line 13: eligibility.rule[2].nationality: no group \"nordic\""),
        "{err}"
    );
    // With the group defined, the rule is still unreachable: the two before it together
    // match every traveller.
    let text = std::fs::read_to_string(&f).unwrap();
    std::fs::write(
        &f,
        format!("[eligibility.groups]\nnordic = [\"DNK\", \"SWE\", \"NOR\"]\n\n{text}"),
    )
    .unwrap();
    let (code, _, err) = config_check(&f);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains("eligibility.rule[2]: rule \"nordic-minors\" can never decide: rule[0] \"everyone-on-entry\", rule[1] \"everyone-on-exit\" before it match everyone it matches"),
        "{err}"
    );
    // Moved to the top, it is fine.
    let (_d, ok) = temp_file(
        "ok.toml",
        "[eligibility.groups]\nnordic = [\"DNK\", \"SWE\", \"NOR\"]\n\n\
         [[eligibility.rule]]\nname = \"nordic-minors\"\nnationality = \"nordic\"\nage = \"-17\"\n\
         decision = \"refer\"\nreason = \"underage\"\n\n\
         [[eligibility.rule]]\nname = \"everyone\"\ndecision = \"allow\"\n",
    );
    let (code, out, err) = config_check(&ok);
    assert_eq!(code, 0, "{out}{err}");

    let (_d, old) = temp_file("old.toml", "[policy]\nminimum_age = 18\n");
    let (code, _, err) = config_check(&old);
    assert_eq!(code, 64);
    assert!(
        err.contains("line 2: policy.minimum_age: replaced by the eligibility rule table"),
        "{err}"
    );
    assert!(err.contains("[[eligibility.rule]]"), "{err}");
}
