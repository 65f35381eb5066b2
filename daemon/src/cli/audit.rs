//! `egate audit`: check the tamper-evident audit trail (format: `docs/audit-trail.md`), and
//! the statistics derived from it (`audit::stats`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `egate audit`.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check an audit trail's MACs and chain, and its checkpoints, and say where it breaks
    Verify {
        /// The audit trail (JSON lines)
        file: PathBuf,
        /// The MAC key file (`[audit] mac_key_file`); default: `audit-mac.key` beside the trail
        #[arg(long)]
        key: Option<PathBuf>,
        /// Checkpoints to check the trail against: the checkpoints file, or a log that holds
        /// `audit checkpoint` lines (e.g. `journalctl -u egate -o cat`); repeatable. Default:
        /// `<file>.checkpoints` when it exists
        #[arg(long)]
        checkpoints: Vec<PathBuf>,
    },
    /// Passages, outcomes, referral reasons, per-step failure-to-acquire and false-rejection
    /// estimates, transaction times, availability per gate and alarm response times, from
    /// one or more audit trails (no personal data: counts, rates and percentiles only)
    Stats {
        /// The audit trails (JSON lines); several are read as one set
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// Count from this time: Unix ms, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS]Z (UTC)
        #[arg(long, value_parser = audit::stats::parse_time)]
        from: Option<u64>,
        /// Count until this time (exclusive), same forms as --from
        #[arg(long, value_parser = audit::stats::parse_time)]
        to: Option<u64>,
        /// Only this gate
        #[arg(long)]
        gate: Option<String>,
        /// JSON output
        #[arg(long, conflicts_with = "csv")]
        json: bool,
        /// CSV output (`section,gate,key,value`)
        #[arg(long)]
        csv: bool,
    },
}

/// Entry point of `egate audit`.
pub fn main(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Verify {
            file,
            key,
            checkpoints,
        } => verify(&file, key, checkpoints),
        AuditCommand::Stats {
            files,
            from,
            to,
            gate,
            json,
            csv,
        } => stats(
            &files,
            audit::stats::Window {
                from_ms: from,
                to_ms: to,
            },
            gate.as_deref(),
            if json {
                Format::Json
            } else if csv {
                Format::Csv
            } else {
                Format::Text
            },
        ),
    }
}

enum Format {
    Text,
    Json,
    Csv,
}

fn stats(
    files: &[PathBuf],
    window: audit::stats::Window,
    gate: Option<&str>,
    format: Format,
) -> ExitCode {
    if let (Some(f), Some(t)) = (window.from_ms, window.to_ms) {
        if f >= t {
            eprintln!("egate audit stats: --from must be before --to");
            return ExitCode::from(2);
        }
    }
    let mut c = audit::stats::Collector::new();
    for file in files {
        let mut follower = audit::Follower::new(file);
        if !file.exists() {
            eprintln!("egate audit stats: {}: no such file", file.display());
            return ExitCode::FAILURE;
        }
        let before = c.counts().1;
        if let Err(e) = follower.read_new(|line| c.feed_line(line)) {
            eprintln!("egate audit stats: {e}");
            return ExitCode::FAILURE;
        }
        let skipped = c.counts().1 - before;
        if skipped > 0 {
            eprintln!(
                "egate audit stats: {}: {skipped} line(s) that are not records skipped \
                 (`egate audit verify` says whether the chain holds)",
                file.display()
            );
        }
    }
    let r = c.report(window, gate);
    match format {
        Format::Json => match serde_json::to_string_pretty(&r) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("egate audit stats: {e}");
                return ExitCode::FAILURE;
            }
        },
        Format::Csv => print!("{}", r.to_csv()),
        Format::Text => print!("{}", text(&r)),
    }
    ExitCode::SUCCESS
}

fn pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.2} %", v * 100.0))
}

fn ms(v: Option<u64>) -> String {
    v.map_or("-".into(), |v| format!("{:.1} s", v as f64 / 1000.0))
}

fn times(p: &audit::stats::Percentiles) -> String {
    format!(
        "p50 {}, p90 {}, p95 {}, p99 {}, max {} (n = {})",
        ms(p.p50),
        ms(p.p90),
        ms(p.p95),
        ms(p.p99),
        ms(p.max),
        p.count
    )
}

/// The report for people.
fn text(r: &audit::stats::Report) -> String {
    use std::fmt::Write;
    let mut o = String::new();
    let _ = writeln!(o, "window: {} .. {} (Unix ms)", r.from_ms, r.to_ms);
    let _ = writeln!(o, "passages: {}", r.passages);
    for (k, v) in &r.outcomes {
        let _ = writeln!(o, "  {k:<22} {v}");
    }
    if !r.referral_reasons.is_empty() {
        let _ = writeln!(o, "referral reasons:");
        for (k, v) in &r.referral_reasons {
            let _ = writeln!(o, "  {k:<22} {v}");
        }
    }
    if !r.abort_reasons.is_empty() {
        let _ = writeln!(o, "abort reasons:");
        for (k, v) in &r.abort_reasons {
            let _ = writeln!(o, "  {k:<22} {v}");
        }
    }
    let _ = writeln!(o, "transaction time: {}", times(&r.transaction_time_ms));
    let _ = writeln!(
        o,
        "steps (FRR: upper-bound estimate, every traveller taken as genuine):"
    );
    for (name, s) in &r.steps {
        let _ = writeln!(
            o,
            "  {name:<9} {} transactions, {} attempts, FTA {} ({}), FRR est. {} ({})",
            s.transactions,
            s.attempts,
            pct(s.fta_rate),
            s.failed_to_acquire,
            pct(s.false_rejection_estimate),
            s.rejected
        );
        if s.time_ms.count > 0 {
            let _ = writeln!(o, "            time: {}", times(&s.time_ms));
        }
    }
    let _ = writeln!(o, "gates:");
    for (g, s) in &r.gates {
        let a = &s.availability;
        let _ = writeln!(
            o,
            "  {g:<12} {} passages, availability {} of {:.0} s (lane closed {:.0} s, out of \
             service {:.0} s, emergency {:.0} s, fault {:.0} s, not running {:.0} s)",
            s.passages,
            pct(a.ratio),
            a.observed_ms as f64 / 1000.0,
            a.lane_closed_ms as f64 / 1000.0,
            a.out_of_service_ms as f64 / 1000.0,
            a.emergency_ms as f64 / 1000.0,
            a.fault_ms as f64 / 1000.0,
            a.not_running_ms as f64 / 1000.0,
        );
    }
    let _ = writeln!(
        o,
        "alarms: {} raised, {} acknowledged, {} open; response time {}",
        r.alarms.raised,
        r.alarms.acknowledged,
        r.alarms.open,
        times(&r.alarms.response_time_ms)
    );
    for (k, v) in &r.alarms.by_reason {
        let _ = writeln!(o, "  {k:<22} {v}");
    }
    o
}

fn verify(file: &Path, key: Option<PathBuf>, mut checkpoints: Vec<PathBuf>) -> ExitCode {
    let key_path = key.unwrap_or_else(|| {
        file.parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join("audit-mac.key")
    });
    let key = match audit::AuditKey::load(&key_path) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("egate audit verify: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut r = match audit::verify_file(file, &key) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("egate audit verify: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(b) = r.broken {
        println!(
            "{}: chain BROKEN at line {}: {} ({} record(s) before it verify)",
            file.display(),
            b.line,
            b.reason,
            r.records
        );
        return ExitCode::FAILURE;
    }
    if checkpoints.is_empty() {
        let beside = audit::checkpoints_path(file);
        if beside.exists() {
            checkpoints.push(beside);
        }
    }
    for cp in &checkpoints {
        let text = match std::fs::read(cp) {
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
            Err(e) => {
                eprintln!("egate audit verify: {}: {e}", cp.display());
                return ExitCode::FAILURE;
            }
        };
        if let Err(b) = audit::check_checkpoints(&mut r, &text, &key) {
            println!(
                "{}: BROKEN: {}:{}: {}",
                file.display(),
                cp.display(),
                b.line,
                b.reason
            );
            return ExitCode::FAILURE;
        }
    }
    println!(
        "{}: chain intact, {} record(s), head {}, {} checkpoint(s) hold",
        file.display(),
        r.records,
        r.last_mac,
        r.checkpoints
    );
    ExitCode::SUCCESS
}
