//! Pass criteria: `fnmr <= 0.01 at fmr 0.0005`, `median_transaction_s <= 10`,
//! `nobody_trapped`, `every_attack_referred`, `throughput_per_gate_h >= 400`, ...

use std::fmt;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `<=`
    Le,
    /// `<`
    Lt,
    /// `>=`
    Ge,
    /// `>`
    Gt,
}

impl Op {
    fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "<=" => Op::Le,
            "<" => Op::Lt,
            ">=" => Op::Ge,
            ">" => Op::Gt,
            _ => return None,
        })
    }

    /// Whether `value op bound` holds.
    pub fn holds(self, value: f64, bound: f64) -> bool {
        match self {
            Op::Le => value <= bound,
            Op::Lt => value < bound,
            Op::Ge => value >= bound,
            Op::Gt => value > bound,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Op::Le => "<=",
            Op::Lt => "<",
            Op::Ge => ">=",
            Op::Gt => ">",
        }
    }
}

gate::named_enum! {
    /// A figure of a run a criterion can bound.
    pub enum Metric {
        /// Median transaction time (document presented → passage ended), seconds.
        MedianTransaction => "median_transaction_s",
        /// 95th percentile transaction time, seconds.
        P95Transaction => "p95_transaction_s",
        /// Mean transaction time, seconds.
        MeanTransaction => "mean_transaction_s",
        /// Passages per hour per gate over the run.
        ThroughputPerGate => "throughput_per_gate_h",
        /// Share of genuine travellers not accepted.
        FalseReferralRate => "false_referral_rate",
        /// Share of attacks that got through the exit.
        AttackAcceptRate => "attack_accept_rate",
        /// Longest fault recovery, seconds.
        MaxRecovery => "max_recovery_s",
    }
}

/// One criterion.
#[derive(Debug, Clone, PartialEq)]
pub enum Criterion {
    /// `fnmr <= x at fmr y`: the false non-match rate at the threshold where the run's own
    /// false match rate is at most `y` (ISO/IEC 19795-1 §4.6).
    FnmrAtFmr {
        /// Comparison.
        op: Op,
        /// Bound on the FNMR.
        fnmr: f64,
        /// The FMR that fixes the threshold.
        fmr: f64,
    },
    /// `<metric> <op> <bound>`.
    Bound {
        /// Figure.
        metric: Metric,
        /// Comparison.
        op: Op,
        /// Bound.
        bound: f64,
    },
    /// Nobody was left inside a lane at the end of their passage.
    NobodyTrapped,
    /// Every attack was referred (none went through the exit).
    EveryAttackReferred,
    /// Every case of the run ended as expected.
    EveryCaseAsExpected,
}

impl fmt::Display for Criterion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Criterion::FnmrAtFmr { op, fnmr, fmr } => {
                write!(f, "fnmr {} {fnmr} at fmr {fmr}", op.as_str())
            }
            Criterion::Bound { metric, op, bound } => {
                write!(f, "{metric} {} {bound}", op.as_str())
            }
            Criterion::NobodyTrapped => f.write_str("nobody_trapped"),
            Criterion::EveryAttackReferred => f.write_str("every_attack_referred"),
            Criterion::EveryCaseAsExpected => f.write_str("every_case_as_expected"),
        }
    }
}

/// Parses one criterion; the error says what was expected.
pub fn parse(text: &str) -> Result<Criterion, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let number = |s: &str| -> Result<f64, String> {
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("`{s}` is not a number"))
    };
    match words.as_slice() {
        ["nobody_trapped"] => Ok(Criterion::NobodyTrapped),
        ["every_attack_referred"] => Ok(Criterion::EveryAttackReferred),
        ["every_case_as_expected"] => Ok(Criterion::EveryCaseAsExpected),
        ["fnmr", op, x, "at", "fmr", y] => {
            let op = Op::parse(op).ok_or_else(|| format!("`{op}` is not one of <= < >= >"))?;
            let (fnmr, fmr) = (number(x)?, number(y)?);
            if !(0.0..=1.0).contains(&fnmr) || !(0.0..1.0).contains(&fmr) || fmr <= 0.0 {
                return Err("rates are between 0 and 1 (the FMR above 0)".into());
            }
            Ok(Criterion::FnmrAtFmr { op, fnmr, fmr })
        }
        [metric, op, x] => {
            let m = Metric::from_name(metric).ok_or_else(|| {
                let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
                format!(
                    "unknown figure `{metric}` (one of: {}, fnmr … at fmr …)",
                    names.join(", ")
                )
            })?;
            let op = Op::parse(op).ok_or_else(|| format!("`{op}` is not one of <= < >= >"))?;
            Ok(Criterion::Bound {
                metric: m,
                op,
                bound: number(x)?,
            })
        }
        _ => Err(
            "expected `<figure> <op> <number>`, `fnmr <= x at fmr y`, `nobody_trapped`, \
             `every_attack_referred` or `every_case_as_expected`"
                .into(),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issue_s_examples_parse_and_print_back() {
        for c in [
            "fnmr <= 0.01 at fmr 0.0005",
            "median_transaction_s <= 10",
            "nobody_trapped",
            "every_attack_referred",
            "throughput_per_gate_h >= 400",
        ] {
            assert_eq!(parse(c).unwrap().to_string(), c);
        }
    }

    #[test]
    fn near_misses_are_refused_with_a_reason() {
        for bad in [
            "median_transaction <= 10",
            "median_transaction_s =< 10",
            "median_transaction_s <= ten",
            "median_transaction_s <= NaN",
            "fnmr <= 0.01 at fmr 0",
            "fnmr <= 2 at fmr 0.001",
            "nobody-trapped",
            "",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }
}
