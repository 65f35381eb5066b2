//! The eligibility rule table: who may use this lane, decided by the first rule that matches
//! the document and its holder, or by the table's default.
//!
//! A rule matches on four things, each optional (left out: anything):
//!
//! - the **document kind** ([`DocumentKind`], from the MRZ document code, ICAO 9303-3 §4.2.2);
//! - the **holder's nationality** and/or the **issuing state**, each as a named
//!   [`StateGroup`]. Both exist because they answer different questions: the right to use a
//!   lane follows citizenship (EU free movement, Directive 2004/38/EC, is by nationality),
//!   while whether a card is a travel document at all depends on who issued it (an identity
//!   card counts only from certain states; a residence permit is issued by the state of
//!   residence to a holder of another nationality). A rule may name one, both or neither;
//!   when it names both, both must match;
//! - the holder's **age band** in completed years on the lane's date ([`AgeBand`]; an MRZ
//!   can leave the birth date unknown, ICAO 9303-3 §4.6, which only the `unknown` band and
//!   "any age" match);
//! - the **lane direction** ([`Direction`]).
//!
//! A rule allows or refers with a reason code ([`Outcome`]). The first rule that matches
//! decides; when none does, [`RuleTable::default`] decides. [`RuleTable::problems`] finds
//! rules that name a group the table does not define and rules that can never decide
//! because earlier rules together match everyone they match (checked exactly, over every
//! combination that makes a difference, not only against one earlier rule).
//!
//! Sans-IO: no clock (the date is an argument), no I/O.

use std::fmt;

use crate::date::CivilDate;
use crate::reason::ReasonCode;
use crate::verdict::{CountryCode, DocumentKind};

crate::named_enum! {
    serde;
    /// Which way the lane takes travellers across the border.
    pub enum Direction {
        /// Into the country (an arrival lane).
        Entry => "entry",
        /// Out of the country (a departure lane).
        Exit => "exit",
    }
}

/// What a rule (or the default) decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The traveller may use the lane (the passage goes on to the next check).
    Allow,
    /// The traveller is referred to an officer with this reason (one of
    /// [`ReasonCode::ELIGIBILITY`]).
    Refer(ReasonCode),
}

impl Outcome {
    /// `Ok(())` for allow, `Err(reason)` for refer.
    pub fn as_result(self) -> Result<(), ReasonCode> {
        match self {
            Outcome::Allow => Ok(()),
            Outcome::Refer(r) => Err(r),
        }
    }

    /// "allow" or "refer".
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Allow => "allow",
            Outcome::Refer(_) => "refer",
        }
    }
}

/// Highest age an age band may name, in years.
pub const MAX_AGE: u16 = 150;

/// The ages a rule matches, in completed years on the lane's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AgeBand {
    /// Every holder, whether or not the birth date is known.
    Any,
    /// Holders whose birth date the MRZ leaves (partly) unknown.
    Unknown,
    /// Holders of a known age from `min` to `max` years (`None`: no upper bound), inclusive.
    Years {
        /// Youngest age matched.
        min: u16,
        /// Oldest age matched.
        max: Option<u16>,
    },
}

/// Why an age band's text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "an age band is \"MIN-MAX\" (\"12-17\"), \"MIN-\" (\"18-\"), \"-MAX\" (\"-11\"), \"N\" or \
     \"unknown\", in whole years from 0 to {MAX_AGE} with MIN <= MAX"
)]
pub struct AgeBandError;

impl AgeBand {
    /// Parses `"12-17"`, `"18-"`, `"-11"`, `"30"`, `"unknown"` (the config file's form).
    pub fn parse(text: &str) -> Result<Self, AgeBandError> {
        if text == "unknown" {
            return Ok(AgeBand::Unknown);
        }
        let years = |s: &str| -> Result<Option<u16>, AgeBandError> {
            if s.is_empty() {
                return Ok(None);
            }
            if s.len() > 3 || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(AgeBandError);
            }
            let n: u16 = s.parse().map_err(|_| AgeBandError)?;
            if n > MAX_AGE {
                return Err(AgeBandError);
            }
            Ok(Some(n))
        };
        let (min, max) = match text.split_once('-') {
            Some((a, b)) => (years(a)?, years(b)?),
            None => {
                let n = years(text)?.ok_or(AgeBandError)?;
                (Some(n), Some(n))
            }
        };
        if min.is_none() && max.is_none() {
            return Err(AgeBandError);
        }
        let min = min.unwrap_or(0);
        if max.is_some_and(|m| m < min) {
            return Err(AgeBandError);
        }
        Ok(AgeBand::Years { min, max })
    }

    /// Whether a holder of `age` (`None`: unknown) is in the band.
    pub fn contains(self, age: Option<u16>) -> bool {
        match (self, age) {
            (AgeBand::Any, _) => true,
            (AgeBand::Unknown, age) => age.is_none(),
            (AgeBand::Years { .. }, None) => false,
            (AgeBand::Years { min, max }, Some(a)) => a >= min && max.is_none_or(|m| a <= m),
        }
    }
}

impl fmt::Display for AgeBand {
    /// The config file's form; `any` for [`AgeBand::Any`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AgeBand::Any => f.write_str("any"),
            AgeBand::Unknown => f.write_str("unknown"),
            AgeBand::Years { min, max: Some(m) } if min == m => write!(f, "{min}"),
            AgeBand::Years {
                min: 0,
                max: Some(m),
            } => write!(f, "-{m}"),
            AgeBand::Years { min, max: Some(m) } => write!(f, "{min}-{m}"),
            AgeBand::Years { min, max: None } => write!(f, "{min}-"),
        }
    }
}

/// A named list of states (ICAO 9303-3 codes), e.g. `eu_eea_ch`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StateGroup {
    /// Its name, as rules refer to it.
    pub name: String,
    /// Its members.
    pub members: Vec<CountryCode>,
}

/// One row of the table. Every criterion left out (`None`, [`AgeBand::Any`]) matches anyone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Its name, recorded in the audit trail with every decision it makes.
    pub name: String,
    /// Document kinds matched.
    pub documents: Option<Vec<DocumentKind>>,
    /// The group the holder's nationality must be in.
    pub nationality: Option<String>,
    /// The group the issuing state must be in.
    pub issuing_state: Option<String>,
    /// Ages matched.
    pub age: AgeBand,
    /// The lane direction matched.
    pub direction: Option<Direction>,
    /// What it decides.
    pub outcome: Outcome,
}

/// What the table looks at: the document and its holder, as read from DG1 (or an MRZ).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    /// Document kind.
    pub kind: DocumentKind,
    /// Issuing state.
    pub issuing_state: CountryCode,
    /// Holder's nationality.
    pub nationality: CountryCode,
    /// Birth date; `None` when the MRZ leaves it (partly) unknown.
    pub birth_date: Option<CivilDate>,
}

/// The criteria of a rule, in the order they are checked (and explained).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Criterion {
    /// The document kind.
    Document,
    /// The holder's nationality.
    Nationality,
    /// The issuing state.
    IssuingState,
    /// The holder's age.
    Age,
    /// The lane direction.
    Direction,
}

impl Criterion {
    /// The rule key of this criterion in the config file.
    pub fn key(self) -> &'static str {
        match self {
            Criterion::Document => "documents",
            Criterion::Nationality => "nationality",
            Criterion::IssuingState => "issuing_state",
            Criterion::Age => "age",
            Criterion::Direction => "direction",
        }
    }
}

/// Which row decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decider {
    /// Rule number `n` (0-based) of the table.
    Rule(usize),
    /// No rule matched: the table's default.
    Default,
}

/// The table's decision for one holder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Which row decided.
    pub by: Decider,
    /// What it decided.
    pub outcome: Outcome,
}

/// Why each rule before the deciding one did not match, and which one did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Explanation {
    /// The holder's age on the date, `None` when unknown.
    pub age: Option<u16>,
    /// Each rule checked, in order, with the first criterion it failed on (`None`: it
    /// matched, and decided).
    pub checked: Vec<(usize, Option<Criterion>)>,
    /// The decision.
    pub decision: Decision,
}

/// A problem of a rule table, found by [`RuleTable::problems`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TableProblem {
    /// A rule names a group the table does not define.
    #[error("rule {rule} names the group {group:?}, which [eligibility.groups] does not define")]
    UnknownGroup {
        /// The rule (0-based).
        rule: usize,
        /// The criterion (nationality or issuing state).
        criterion: Criterion,
        /// The name.
        group: String,
    },
    /// A rule can never decide: every holder it matches is matched by an earlier rule.
    #[error("rule {rule} can never decide: {}", shadow_text(.by))]
    Unreachable {
        /// The rule (0-based).
        rule: usize,
        /// The earlier rules that together match everyone it matches (empty: it matches
        /// nobody at all).
        by: Vec<usize>,
    },
    /// Two rules share a name (the audit trail names the deciding rule).
    #[error("rule {rule} has the same name as rule {first}")]
    DuplicateName {
        /// The later rule.
        rule: usize,
        /// The earlier one.
        first: usize,
    },
    /// A rule's (or the default's) refer reason is not an eligibility reason.
    #[error("{} refers with {reason:?}, which is not an eligibility reason", .rule.map_or("the default".to_string(), |r| format!("rule {r}")))]
    NotAnEligibilityReason {
        /// The rule (`None`: the default).
        rule: Option<usize>,
        /// The reason.
        reason: ReasonCode,
    },
    /// No rule and no default lets anyone use the lane.
    #[error("no rule allows anyone and the default refers: nobody could use the lane")]
    NobodyAllowed,
}

fn shadow_text(by: &[usize]) -> String {
    match by {
        [] => "it matches nobody (an empty group or document list)".into(),
        [one] => format!("rule {one} before it matches everyone it matches"),
        many => format!(
            "rules {} before it together match everyone it matches",
            many.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// The rule table: groups, rules in order, and the default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleTable {
    /// The state groups the rules name.
    pub groups: Vec<StateGroup>,
    /// The rules; the first that matches decides.
    pub rules: Vec<Rule>,
    /// What decides when no rule matches.
    pub default: Outcome,
}

/// The EU member states, the other EEA states and Switzerland (ICAO 9303-3 codes; Germany
/// is `D<<`): the holders of the right of free movement (Directive 2004/38/EC, the EEA
/// Agreement, the EU–Swiss Agreement on the Free Movement of Persons).
pub const EU_EEA_CH: [&str; 31] = [
    "AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "D<<", "GRC", "HUN",
    "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK", "SVN", "ESP",
    "SWE", "ISL", "LIE", "NOR", "CHE",
];

impl Default for RuleTable {
    /// The shipped table (the same as `config/egate.toml`): see [`RuleTable::shipped`].
    fn default() -> Self {
        Self::shipped()
    }
}

impl RuleTable {
    /// The shipped table, one group (`eu_eea_ch`) and these rules:
    ///
    /// 1. `age-unknown`: a birth date the MRZ leaves unknown refers (`age_unknown`);
    /// 2. `children`: under 12 refers (`underage`; EasyPASS and most ABC gates admit from 12);
    /// 3. `eu-eea-ch-passport`: EU/EEA/CH nationals of 18 and over with a passport: allow;
    /// 4. `eu-eea-ch-id-card`: the same with an identity card issued by an EU/EEA/CH state;
    /// 5. `eu-eea-ch-minors-exit`: EU/EEA/CH nationals of 12–17 leaving refer (`underage`:
    ///    the Schengen Borders Code, Annex VII §6, asks for particular attention to minors
    ///    leaving, whether accompanied or not);
    /// 6. `eu-eea-ch-minors-entry`: the same arriving: allow;
    /// 7. `third-country-passport`: anyone else of 18 and over with a passport: allow;
    /// 8. `third-country-minors`: anyone else of 12–17 with a passport refers (`underage`).
    ///
    /// Default: refer (`ineligible_traveller`), e.g. a third-country identity card, a
    /// residence permit or a visa.
    pub fn shipped() -> Self {
        let eu = Some("eu_eea_ch".to_string());
        let docs = |k: &[DocumentKind]| Some(k.to_vec());
        let years = |min, max| AgeBand::Years { min, max };
        use DocumentKind::{IdentityCard, Passport};
        let rule =
            |name: &str, documents, nationality, issuing_state, age, direction, outcome| Rule {
                name: name.into(),
                documents,
                nationality,
                issuing_state,
                age,
                direction,
                outcome,
            };
        Self {
            groups: vec![StateGroup {
                name: "eu_eea_ch".into(),
                members: EU_EEA_CH
                    .iter()
                    .filter_map(|c| CountryCode::new(c).ok())
                    .collect(),
            }],
            rules: vec![
                rule(
                    "age-unknown",
                    None,
                    None,
                    None,
                    AgeBand::Unknown,
                    None,
                    Outcome::Refer(ReasonCode::AgeUnknown),
                ),
                rule(
                    "children",
                    None,
                    None,
                    None,
                    years(0, Some(11)),
                    None,
                    Outcome::Refer(ReasonCode::Underage),
                ),
                rule(
                    "eu-eea-ch-passport",
                    docs(&[Passport]),
                    eu.clone(),
                    None,
                    years(18, None),
                    None,
                    Outcome::Allow,
                ),
                rule(
                    "eu-eea-ch-id-card",
                    docs(&[IdentityCard]),
                    eu.clone(),
                    eu.clone(),
                    years(18, None),
                    None,
                    Outcome::Allow,
                ),
                rule(
                    "eu-eea-ch-minors-exit",
                    docs(&[Passport, IdentityCard]),
                    eu.clone(),
                    None,
                    years(12, Some(17)),
                    Some(Direction::Exit),
                    Outcome::Refer(ReasonCode::Underage),
                ),
                rule(
                    "eu-eea-ch-minors-entry",
                    docs(&[Passport, IdentityCard]),
                    eu,
                    None,
                    years(12, Some(17)),
                    Some(Direction::Entry),
                    Outcome::Allow,
                ),
                rule(
                    "third-country-passport",
                    docs(&[Passport]),
                    None,
                    None,
                    years(18, None),
                    None,
                    Outcome::Allow,
                ),
                rule(
                    "third-country-minors",
                    docs(&[Passport]),
                    None,
                    None,
                    years(12, Some(17)),
                    None,
                    Outcome::Refer(ReasonCode::Underage),
                ),
            ],
            default: Outcome::Refer(ReasonCode::IneligibleTraveller),
        }
    }

    /// A table with no rule and `default` for everyone (tests, a lane open to all).
    pub fn everyone(default: Outcome) -> Self {
        Self {
            groups: Vec::new(),
            rules: Vec::new(),
            default,
        }
    }

    /// The group called `name`.
    pub fn group(&self, name: &str) -> Option<&StateGroup> {
        self.groups.iter().find(|g| g.name == name)
    }

    fn in_group(&self, group: &Option<String>, code: CountryCode) -> bool {
        match group {
            None => true,
            Some(name) => self.group(name).is_some_and(|g| g.members.contains(&code)),
        }
    }

    /// The first criterion `rule` fails on for `holder` (aged `age`) on a `direction` lane;
    /// `None` when it matches.
    fn mismatch(
        &self,
        rule: &Rule,
        holder: &Holder,
        age: Option<u16>,
        direction: Direction,
    ) -> Option<Criterion> {
        if rule
            .documents
            .as_ref()
            .is_some_and(|d| !d.contains(&holder.kind))
        {
            return Some(Criterion::Document);
        }
        if !self.in_group(&rule.nationality, holder.nationality) {
            return Some(Criterion::Nationality);
        }
        if !self.in_group(&rule.issuing_state, holder.issuing_state) {
            return Some(Criterion::IssuingState);
        }
        if !rule.age.contains(age) {
            return Some(Criterion::Age);
        }
        if rule.direction.is_some_and(|d| d != direction) {
            return Some(Criterion::Direction);
        }
        None
    }

    /// Decides for `holder` on a `direction` lane on `today`, and says why.
    pub fn explain(&self, holder: &Holder, direction: Direction, today: CivilDate) -> Explanation {
        let age = holder.birth_date.map(|b| b.age_on(today));
        let mut checked = Vec::new();
        for (i, rule) in self.rules.iter().enumerate() {
            let failed = self.mismatch(rule, holder, age, direction);
            checked.push((i, failed));
            if failed.is_none() {
                return Explanation {
                    age,
                    checked,
                    decision: Decision {
                        by: Decider::Rule(i),
                        outcome: rule.outcome,
                    },
                };
            }
        }
        Explanation {
            age,
            checked,
            decision: Decision {
                by: Decider::Default,
                outcome: self.default,
            },
        }
    }

    /// Decides for `holder` on a `direction` lane on `today`.
    pub fn decide(&self, holder: &Holder, direction: Direction, today: CivilDate) -> Decision {
        self.explain(holder, direction, today).decision
    }

    /// The name of the row that decided (`"default"` for the default).
    pub fn decider_name(&self, by: Decider) -> &str {
        match by {
            Decider::Rule(i) => self.rules.get(i).map_or("?", |r| r.name.as_str()),
            Decider::Default => "default",
        }
    }

    /// Every problem of the table, rule by rule.
    pub fn problems(&self) -> Vec<TableProblem> {
        let mut out = Vec::new();
        let eligibility = |o: Outcome| match o {
            Outcome::Refer(r) if !ReasonCode::ELIGIBILITY.contains(&r) => Some(r),
            _ => None,
        };
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(first) = self.rules[..i].iter().position(|r| r.name == rule.name) {
                out.push(TableProblem::DuplicateName { rule: i, first });
            }
            for (criterion, group) in [
                (Criterion::Nationality, &rule.nationality),
                (Criterion::IssuingState, &rule.issuing_state),
            ] {
                if let Some(name) = group {
                    if self.group(name).is_none() {
                        out.push(TableProblem::UnknownGroup {
                            rule: i,
                            criterion,
                            group: name.clone(),
                        });
                    }
                }
            }
            if let Some(reason) = eligibility(rule.outcome) {
                out.push(TableProblem::NotAnEligibilityReason {
                    rule: Some(i),
                    reason,
                });
            }
        }
        if let Some(reason) = eligibility(self.default) {
            out.push(TableProblem::NotAnEligibilityReason { rule: None, reason });
        }
        // Shadowing is meaningful only over groups that exist.
        if !out
            .iter()
            .any(|p| matches!(p, TableProblem::UnknownGroup { .. }))
        {
            out.extend(self.unreachable());
        }
        if self.default != Outcome::Allow && self.rules.iter().all(|r| r.outcome != Outcome::Allow)
        {
            out.push(TableProblem::NobodyAllowed);
        }
        out
    }

    /// The rules that can never decide, found exactly over the combinations that make a
    /// difference: every document kind, both directions, one age for each stretch between
    /// the bands' bounds plus "unknown", and one state for each pattern of group membership
    /// (plus "in no group") for nationality and issuing state alike.
    fn unreachable(&self) -> Vec<TableProblem> {
        let memberships = self.membership_classes();
        let ages = self.age_classes();
        let mut out = Vec::new();
        for (j, rule) in self.rules.iter().enumerate() {
            let mut used = vec![false; j];
            let mut any_point = false;
            let mut reachable = false;
            'points: for &kind in &DocumentKind::ALL {
                for &direction in &Direction::ALL {
                    for &age in &ages {
                        for nat in &memberships {
                            for iss in &memberships {
                                let p = Point {
                                    kind,
                                    direction,
                                    age,
                                    nationality: nat,
                                    issuing_state: iss,
                                };
                                if !self.matches_point(rule, &p) {
                                    continue;
                                }
                                any_point = true;
                                match (0..j).find(|&i| self.matches_point(&self.rules[i], &p)) {
                                    Some(i) => used[i] = true,
                                    None => {
                                        reachable = true;
                                        break 'points;
                                    }
                                }
                            }
                        }
                    }
                }
            }
            if !reachable {
                let by = if any_point {
                    (0..j).filter(|&i| used[i]).collect()
                } else {
                    Vec::new()
                };
                out.push(TableProblem::Unreachable { rule: j, by });
            }
        }
        out
    }

    /// The distinct sets of groups a state can belong to: one per pattern among the
    /// groups' members, plus the empty set (a state in no group).
    fn membership_classes(&self) -> Vec<Vec<usize>> {
        let mut classes: Vec<Vec<usize>> = vec![Vec::new()];
        for g in &self.groups {
            for code in &g.members {
                let class: Vec<usize> = self
                    .groups
                    .iter()
                    .enumerate()
                    .filter(|(_, h)| h.members.contains(code))
                    .map(|(i, _)| i)
                    .collect();
                if !classes.contains(&class) {
                    classes.push(class);
                }
            }
        }
        classes
    }

    /// One age for each stretch between the bands' bounds, plus `None` (unknown).
    fn age_classes(&self) -> Vec<Option<u16>> {
        let mut starts = vec![0u16];
        for r in &self.rules {
            if let AgeBand::Years { min, max } = r.age {
                starts.push(min);
                if let Some(m) = max {
                    starts.push(m.saturating_add(1));
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let mut ages: Vec<Option<u16>> = starts.into_iter().map(Some).collect();
        ages.push(None);
        ages
    }

    fn matches_point(&self, rule: &Rule, p: &Point<'_>) -> bool {
        let in_group = |group: &Option<String>, class: &[usize]| match group {
            None => true,
            Some(name) => self
                .groups
                .iter()
                .position(|g| &g.name == name)
                .is_some_and(|i| class.contains(&i)),
        };
        rule.documents.as_ref().is_none_or(|d| d.contains(&p.kind))
            && in_group(&rule.nationality, p.nationality)
            && in_group(&rule.issuing_state, p.issuing_state)
            && rule.age.contains(p.age)
            && rule.direction.is_none_or(|d| d == p.direction)
    }
}

/// One combination of what a rule looks at, for the reachability check.
struct Point<'a> {
    kind: DocumentKind,
    direction: Direction,
    age: Option<u16>,
    nationality: &'a [usize],
    issuing_state: &'a [usize],
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).expect("date")
    }

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).expect("code")
    }

    fn holder(kind: DocumentKind, iss: &str, nat: &str, born: Option<CivilDate>) -> Holder {
        Holder {
            kind,
            issuing_state: cc(iss),
            nationality: cc(nat),
            birth_date: born,
        }
    }

    const TODAY: (u16, u8, u8) = (2026, 12, 6);

    fn today() -> CivilDate {
        d(TODAY.0, TODAY.1, TODAY.2)
    }

    #[test]
    fn age_bands_parse_and_print_back() {
        for (text, band) in [
            (
                "12-17",
                AgeBand::Years {
                    min: 12,
                    max: Some(17),
                },
            ),
            ("18-", AgeBand::Years { min: 18, max: None }),
            (
                "-11",
                AgeBand::Years {
                    min: 0,
                    max: Some(11),
                },
            ),
            (
                "30",
                AgeBand::Years {
                    min: 30,
                    max: Some(30),
                },
            ),
            ("unknown", AgeBand::Unknown),
        ] {
            assert_eq!(AgeBand::parse(text), Ok(band), "{text}");
            assert_eq!(band.to_string(), text);
        }
        for bad in [
            "", "-", "17-12", "a-b", "12 - 17", "+12", "151", "0012", "1e2", "12-17-", "UNKNOWN",
            "-1-", "٣",
        ] {
            assert_eq!(AgeBand::parse(bad), Err(AgeBandError), "{bad:?}");
        }
    }

    #[test]
    fn age_band_bounds_are_inclusive_and_unknown_is_its_own_band() {
        let teen = AgeBand::parse("12-17").unwrap();
        assert!(!teen.contains(Some(11)));
        assert!(teen.contains(Some(12)));
        assert!(teen.contains(Some(17)));
        assert!(!teen.contains(Some(18)));
        assert!(!teen.contains(None));
        assert!(AgeBand::Unknown.contains(None));
        assert!(!AgeBand::Unknown.contains(Some(40)));
        assert!(AgeBand::Any.contains(None) && AgeBand::Any.contains(Some(0)));
    }

    #[test]
    fn the_shipped_table_has_no_problem() {
        assert_eq!(RuleTable::shipped().problems(), Vec::new());
    }

    #[test]
    fn first_match_wins_and_the_default_decides_the_rest() {
        let t = RuleTable::shipped();
        use DocumentKind::*;
        let adult = Some(d(1990, 1, 1));
        let on = |h: Holder, dir| {
            let dec = t.decide(&h, dir, today());
            (t.decider_name(dec.by).to_string(), dec.outcome)
        };
        assert_eq!(
            on(holder(Passport, "D<<", "D<<", adult), Direction::Entry),
            ("eu-eea-ch-passport".into(), Outcome::Allow)
        );
        // A French ID card issued by a third country is not a travel document here.
        assert_eq!(
            on(holder(IdentityCard, "USA", "FRA", adult), Direction::Entry),
            (
                "default".into(),
                Outcome::Refer(ReasonCode::IneligibleTraveller)
            )
        );
        // Birthday today: 12 on 6 December 2026.
        let twelve = Some(d(2014, 12, 6));
        assert_eq!(
            on(holder(Passport, "FRA", "FRA", twelve), Direction::Exit),
            (
                "eu-eea-ch-minors-exit".into(),
                Outcome::Refer(ReasonCode::Underage)
            )
        );
        assert_eq!(
            on(holder(Passport, "FRA", "FRA", twelve), Direction::Entry),
            ("eu-eea-ch-minors-entry".into(), Outcome::Allow)
        );
        let eleven = Some(d(2014, 12, 7));
        assert_eq!(
            on(holder(Passport, "FRA", "FRA", eleven), Direction::Entry),
            ("children".into(), Outcome::Refer(ReasonCode::Underage))
        );
        assert_eq!(
            on(holder(Passport, "USA", "USA", None), Direction::Entry),
            ("age-unknown".into(), Outcome::Refer(ReasonCode::AgeUnknown))
        );
    }

    #[test]
    fn explain_names_the_first_failed_criterion_of_each_rule() {
        let t = RuleTable::shipped();
        let h = holder(DocumentKind::Passport, "USA", "USA", Some(d(1980, 5, 5)));
        let e = t.explain(&h, Direction::Entry, today());
        assert_eq!(e.age, Some(46));
        assert_eq!(
            e.checked,
            vec![
                (0, Some(Criterion::Age)),
                (1, Some(Criterion::Age)),
                (2, Some(Criterion::Nationality)),
                (3, Some(Criterion::Document)),
                (4, Some(Criterion::Nationality)),
                (5, Some(Criterion::Nationality)),
                (6, None),
            ]
        );
        assert_eq!(e.decision.by, Decider::Rule(6));
    }

    fn rule(name: &str) -> Rule {
        Rule {
            name: name.into(),
            documents: None,
            nationality: None,
            issuing_state: None,
            age: AgeBand::Any,
            direction: None,
            outcome: Outcome::Allow,
        }
    }

    fn table(rules: Vec<Rule>) -> RuleTable {
        RuleTable {
            groups: vec![
                StateGroup {
                    name: "a".into(),
                    members: vec![cc("FRA"), cc("D<<")],
                },
                StateGroup {
                    name: "b".into(),
                    members: vec![cc("D<<"), cc("AUT")],
                },
            ],
            rules,
            default: Outcome::Refer(ReasonCode::IneligibleTraveller),
        }
    }

    #[test]
    fn a_rule_shadowed_by_one_earlier_rule_is_unreachable() {
        let t = table(vec![
            Rule {
                nationality: Some("a".into()),
                ..rule("wide")
            },
            Rule {
                nationality: Some("a".into()),
                age: AgeBand::parse("18-").unwrap(),
                outcome: Outcome::Refer(ReasonCode::Underage),
                ..rule("narrow")
            },
        ]);
        assert_eq!(
            t.problems(),
            vec![TableProblem::Unreachable {
                rule: 1,
                by: vec![0]
            }]
        );
    }

    #[test]
    fn a_rule_shadowed_only_by_several_earlier_rules_together_is_unreachable() {
        // Neither age rule covers "any age" alone; with "unknown" they do.
        let t = table(vec![
            Rule {
                age: AgeBand::parse("-17").unwrap(),
                ..rule("minors")
            },
            Rule {
                age: AgeBand::parse("18-").unwrap(),
                ..rule("adults")
            },
            Rule {
                age: AgeBand::Unknown,
                ..rule("unknown")
            },
            Rule {
                direction: Some(Direction::Exit),
                ..rule("leaving")
            },
        ]);
        assert_eq!(
            t.problems(),
            vec![TableProblem::Unreachable {
                rule: 3,
                by: vec![0, 1, 2]
            }]
        );
        // Without the "unknown" rule, the last one still decides for unknown ages.
        let mut t2 = t.clone();
        t2.rules.remove(2);
        assert_eq!(t2.problems(), Vec::new());
    }

    #[test]
    fn overlapping_groups_leave_the_part_outside_reachable() {
        // b = {D<<, AUT}; a = {FRA, D<<}: AUT is in b and not in a.
        let t = table(vec![
            Rule {
                nationality: Some("a".into()),
                ..rule("a")
            },
            Rule {
                nationality: Some("b".into()),
                ..rule("b")
            },
        ]);
        assert_eq!(t.problems(), Vec::new());
        // Once AUT is in a, b is covered.
        let mut t2 = t.clone();
        t2.groups[0].members.push(cc("AUT"));
        assert_eq!(
            t2.problems(),
            vec![TableProblem::Unreachable {
                rule: 1,
                by: vec![0]
            }]
        );
    }

    #[test]
    fn adjacent_bands_that_leave_a_gap_are_not_a_cover() {
        // 0-11 and 13- leave 12 uncovered: the "12-12" rule decides for twelve-year-olds.
        let t = table(vec![
            Rule {
                age: AgeBand::parse("-11").unwrap(),
                ..rule("young")
            },
            Rule {
                age: AgeBand::parse("13-").unwrap(),
                ..rule("old")
            },
            Rule {
                age: AgeBand::parse("12").unwrap(),
                ..rule("twelve")
            },
        ]);
        assert_eq!(t.problems(), Vec::new());
    }

    #[test]
    fn unknown_groups_empty_rules_duplicates_and_foreign_reasons_are_reported() {
        let mut t = table(vec![
            Rule {
                nationality: Some("eu".into()),
                ..rule("x")
            },
            Rule {
                issuing_state: Some("nowhere".into()),
                ..rule("x")
            },
            Rule {
                outcome: Outcome::Refer(ReasonCode::FaceMismatch),
                ..rule("y")
            },
        ]);
        t.default = Outcome::Refer(ReasonCode::BorderDbHit);
        assert_eq!(
            t.problems(),
            vec![
                TableProblem::UnknownGroup {
                    rule: 0,
                    criterion: Criterion::Nationality,
                    group: "eu".into()
                },
                TableProblem::DuplicateName { rule: 1, first: 0 },
                TableProblem::UnknownGroup {
                    rule: 1,
                    criterion: Criterion::IssuingState,
                    group: "nowhere".into()
                },
                TableProblem::NotAnEligibilityReason {
                    rule: Some(2),
                    reason: ReasonCode::FaceMismatch
                },
                TableProblem::NotAnEligibilityReason {
                    rule: None,
                    reason: ReasonCode::BorderDbHit
                },
            ]
        );
        // An empty document list matches nobody.
        let t = table(vec![Rule {
            documents: Some(Vec::new()),
            ..rule("none")
        }]);
        assert_eq!(
            t.problems(),
            vec![TableProblem::Unreachable {
                rule: 0,
                by: vec![]
            }]
        );
    }

    #[test]
    fn a_table_that_allows_nobody_is_a_problem() {
        let t = RuleTable::everyone(Outcome::Refer(ReasonCode::IneligibleTraveller));
        assert_eq!(t.problems(), vec![TableProblem::NobodyAllowed]);
        assert_eq!(RuleTable::everyone(Outcome::Allow).problems(), vec![]);
    }
}
