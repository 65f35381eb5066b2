//! `egate sim check|run|suite`: acceptance runs in virtual time (the `acceptance` crate) with
//! this binary's lane checks (`simulation::accept`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use acceptance::report::{self, Report, Reproduction};
use acceptance::scenario::Scenario;
use clap::Args;

use crate::cli::EXIT_BAD_CONFIG;
use crate::config::Config;
use crate::simulation::accept::LaneChecks;

/// Arguments of `egate sim check`.
#[derive(Args)]
pub struct CheckArgs {
    /// The scenario file (TOML; see the README, "Acceptance runs")
    pub file: PathBuf,
}

/// Arguments of `egate sim run`.
#[derive(Args)]
pub struct RunArgs {
    /// The scenario file
    pub file: PathBuf,
    /// Write report.json, report.xml (JUnit) and report.html here
    #[arg(long, value_name = "DIR")]
    pub report: PathBuf,
    /// The daemon configuration whose [vision], [gate] and [policy] the lanes use (default:
    /// the built-in defaults)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Run in real time: start `egate run --sim` with a configuration derived from the
    /// scenario (and --config), drive it through its /sim routes against the wall clock, and
    /// read the results from its audit trail (kept in DIR/daemon/). Supports two-step gates,
    /// the traveller types the simulated bank presents, and controller faults at given times;
    /// anything else in the scenario is an error naming its line and key (exit 64).
    #[arg(long)]
    pub real_time: bool,
}

/// Arguments of `egate sim suite`.
#[derive(Args)]
pub struct SuiteArgs {
    /// Write report.json, report.xml (JUnit) and report.html here
    #[arg(long, value_name = "DIR", default_value = "acceptance-report")]
    pub report: PathBuf,
    /// The daemon configuration (default: the built-in defaults)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Seed of the suite's draws
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The face folder (default: $EGATE_ASSETS/faces)
    #[arg(long, value_name = "DIR")]
    pub faces: Option<PathBuf>,
}

fn config(path: Option<&Path>) -> Result<Config, ExitCode> {
    crate::cli::load_config(path, "sim", |_| {}, |_| Vec::new())
}

fn assets(cfg: &Config) -> PathBuf {
    cfg.vision.assets_dir()
}

/// `egate sim check FILE`: every problem with its line and key; exit 64 if any.
pub fn check(args: CheckArgs) -> ExitCode {
    let cfg = match config(None) {
        Ok(c) => c,
        Err(code) => return code,
    };
    match Scenario::load(&args.file, &assets(&cfg)) {
        Ok(c) => {
            println!(
                "{}: ok: \"{}\", {} traveller(s), {} gate(s), {} criteria",
                args.file.display(),
                c.scenario.name,
                c.scenario.travellers.count,
                c.scenario.gates.count,
                c.criteria.len()
            );
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{}: {} error(s); scenario rejected",
                args.file.display(),
                errors.len()
            );
            ExitCode::from(EXIT_BAD_CONFIG)
        }
    }
}

pub(super) fn progress_bar(total: u64) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(total),
        indicatif::ProgressDrawTarget::stderr(),
    );
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:40}] {pos}/{len} travellers {elapsed_precise} (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

fn realtime_reproduction(command: String, c: &acceptance::scenario::Checked) -> Reproduction {
    Reproduction {
        build: build(),
        command,
        checks: vec![(
            "checks".into(),
            "the egate run --sim daemon's own lanes (pcscd + vpcd where the bank has a vpcd \
             reader, the door controller on a pty, the replayed camera through its face models)"
                .into(),
        )],
        scenario_text: c.text.clone(),
        seed: c.scenario.seed,
    }
}

fn reproduction(command: String, text: String, seed: u64, checks: &LaneChecks) -> Reproduction {
    use acceptance::checks::Checks;
    Reproduction {
        build: build(),
        command,
        checks: checks.describe(),
        scenario_text: text,
        seed,
    }
}

fn build() -> std::collections::BTreeMap<String, String> {
    let mut build = std::collections::BTreeMap::new();
    build.insert("version".into(), env!("CARGO_PKG_VERSION").into());
    build.insert(
        "commit".into(),
        option_env!("EGATE_COMMIT")
            .unwrap_or("unknown (set EGATE_COMMIT when building)")
            .into(),
    );
    build.insert(
        "profile".into(),
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
        .into(),
    );
    build.insert("features".into(), "sim".into());
    build
}

/// Writes the three reports into `dir`, prints the verdict and returns the exit code.
pub(super) fn finish(dir: &Path, r: Report) -> ExitCode {
    match write(dir, r) {
        Ok(r) => done(dir, &r),
        Err(e) => {
            eprintln!("sim: writing the reports into {}: {e}", dir.display());
            ExitCode::from(1)
        }
    }
}

/// Writes the three reports into `dir`; returns the report as written.
fn write(dir: &Path, mut r: Report) -> std::io::Result<Report> {
    std::fs::create_dir_all(dir)?;
    r.generated_at = now_rfc3339();
    std::fs::write(dir.join("report.json"), report::json(&r))?;
    std::fs::write(dir.join("report.xml"), report::junit(&r))?;
    std::fs::write(dir.join("report.html"), report::html(&r))?;
    Ok(r)
}

/// The ` --config FILE` part of a reproduction command.
fn config_flag(config: Option<&Path>) -> String {
    config
        .map(|p| format!(" --config {}", p.display()))
        .unwrap_or_default()
}

fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (y, m, d) = gate::civil_from_days((secs / 86_400) as i64);
    let s = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        s / 3600,
        s / 60 % 60,
        s % 60
    )
}

fn done(dir: &Path, r: &Report) -> ExitCode {
    let failed: Vec<&str> = r
        .criteria
        .iter()
        .filter(|c| !c.passed)
        .map(|c| c.criterion.as_str())
        .collect();
    println!(
        "{}: {} — {} traveller(s), {} passage(s), median {:.2} s, {} /h per gate; reports in {}",
        r.name,
        r.verdict,
        r.summary.travellers,
        r.summary.passages,
        r.transaction_s.p50,
        r.summary.throughput_per_gate_h,
        dir.display()
    );
    for f in &failed {
        println!("  failed: {f}");
    }
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn checks(cfg: Config, pki: &sim::factory::pki::TestPki) -> Result<LaneChecks, ExitCode> {
    match LaneChecks::new(cfg, pki) {
        Ok(c) => match c.vision_error() {
            Some(e) => {
                eprintln!("sim: the face models do not load ({e}); acceptance runs need them (scripts/setup.sh installs them under $EGATE_ASSETS)");
                Err(ExitCode::from(EXIT_BAD_CONFIG))
            }
            None => Ok(c),
        },
        Err(e) => {
            eprintln!("sim: {e}");
            Err(ExitCode::from(1))
        }
    }
}

/// `egate sim run FILE --report DIR`.
pub fn run(args: RunArgs) -> ExitCode {
    let mut cfg = match config(args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let c = match Scenario::load(&args.file, &assets(&cfg)) {
        Ok(c) => c,
        Err(errors) => {
            for e in &errors {
                eprintln!("{e}");
            }
            eprintln!(
                "{}: {} error(s); scenario rejected",
                args.file.display(),
                errors.len()
            );
            return ExitCode::from(EXIT_BAD_CONFIG);
        }
    };
    if args.real_time {
        let command = format!(
            "egate sim run {} --real-time --report {}{}",
            args.file.display(),
            args.report.display(),
            config_flag(args.config.as_deref())
        );
        let repro = realtime_reproduction(command, &c);
        let base = match &args.config {
            Some(p) => match std::fs::read_to_string(p) {
                Ok(t) => t,
                Err(e) => {
                    eprintln!("sim: {}: {e}", p.display());
                    return ExitCode::from(EXIT_BAD_CONFIG);
                }
            },
            None => String::new(),
        };
        return super::realtime::run(&args.file, &c, &base, &args.report, repro);
    }
    if let Some(f) = c.scenario.gates.target_fmr {
        cfg.vision.target_fmr = f;
    }
    let pki = acceptance::engine::test_pki();
    let mut checks = match checks(cfg, &pki) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let command = format!(
        "egate sim run {} --report {}{}",
        args.file.display(),
        args.report.display(),
        config_flag(args.config.as_deref())
    );
    let repro = reproduction(command, c.text.clone(), c.scenario.seed, &checks);
    let bar = progress_bar(u64::from(c.scenario.travellers.count));
    bar.set_prefix(c.scenario.name.clone());
    let result = acceptance::run(&c, &mut checks, &pki, repro, &mut |d, _| {
        bar.set_position(u64::from(d))
    });
    bar.finish_and_clear();
    match result {
        Ok(r) => finish(&args.report, r),
        Err(e) => {
            eprintln!("sim: {e}");
            ExitCode::from(1)
        }
    }
}

/// `egate sim suite [--report DIR]`.
pub fn suite(args: SuiteArgs) -> ExitCode {
    let cfg = match config(args.config.as_deref()) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let faces = args
        .faces
        .clone()
        .unwrap_or_else(|| assets(&cfg).join("faces"));
    if !faces.join("identities.txt").is_file() {
        eprintln!(
            "sim suite: {} has no identities.txt (scripts/setup.sh installs the faces under $EGATE_ASSETS/faces)",
            faces.display()
        );
        return ExitCode::from(EXIT_BAD_CONFIG);
    }
    let pki = acceptance::engine::test_pki();
    let mut checks = match checks(cfg, &pki) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let command = format!(
        "egate sim suite --report {} --seed {}{}",
        args.report.display(),
        args.seed,
        config_flag(args.config.as_deref())
    );
    let repro = reproduction(command, String::new(), args.seed, &checks);
    let total: usize = acceptance::suite::CASES
        .iter()
        .map(|c| c.travellers.len())
        .sum();
    let bar = progress_bar(total as u64);
    bar.set_prefix("suite");
    let result = acceptance::run_suite(&faces, args.seed, &mut checks, &pki, repro, &mut |d, _| {
        bar.set_position(u64::from(d))
    });
    bar.finish_and_clear();
    match result {
        Ok(r) => {
            for c in &r.cases {
                println!(
                    "{} {}: {}",
                    if c.passed { "pass" } else { "FAIL" },
                    c.id,
                    c.actual
                );
            }
            finish(&args.report, r)
        }
        Err(e) => {
            eprintln!("sim suite: {e}");
            ExitCode::from(1)
        }
    }
}
