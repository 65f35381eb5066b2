//! `egate`: the one binary of the egate e-gate controller.
//!
//! Each subcommand is a small module; `run` is the gate daemon. Exit codes: 0 success,
//! 1 a check failed, 2 usage error or a subcommand not built yet, 64 bad configuration.

mod bench;
mod clock;
mod config;
mod console_cmd;
mod devconfig;
mod devices;
mod doc_cmd;
mod doc_read;
mod doors;
mod driver;
mod hw;
mod jobs;
mod metrics;
mod mrz_cmd;
mod policyconfig;
mod run;
mod server;
mod sim_cmd;
mod sim_http;
mod simbank;
mod vision_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit code for a bad configuration (sysexits EX_USAGE).
const EXIT_BAD_CONFIG: u8 = 64;
/// Exit code for a subcommand whose issue has not landed.
const EXIT_NOT_BUILT: u8 = 2;

#[derive(Parser)]
#[command(
    name = "egate",
    version,
    about = "Open-source controller for automated border control e-gates"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gate daemon (HTTP health and metrics, the driver loop)
    Run(run::RunArgs),
    /// Serve the officers' supervision console for a bank of gates
    Console(console_cmd::ConsoleArgs),
    /// Run simulated devices: virtual passports, door controllers, travellers
    #[command(subcommand)]
    Sim(sim_cmd::SimCommand),
    /// Read and verify a passport chip
    #[command(subcommand)]
    Doc(doc_cmd::DocCommand),
    /// Parse machine-readable zones and check their check digits
    Mrz(mrz_cmd::MrzArgs),
    /// Compare faces and evaluate matching accuracy
    Vision(vision_cmd::VisionArgs),
    /// Commission and test gate hardware (doors, sensors, scanners)
    Hw(hw::HwArgs),
    /// Print the default configuration or check a configuration file
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Verify the tamper-evident audit trail
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Run the benchmarks (document read, face pipeline, gate decisions)
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check an audit trail's hash chain and say where it breaks
    Verify {
        /// The audit trail (JSON lines)
        file: PathBuf,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the annotated default configuration
    Default,
    /// Validate a TOML configuration file: every error with its key and line
    Check {
        /// The configuration file
        file: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => run::main(args),
        Command::Config(ConfigCommand::Default) => {
            print!("{}", config::DEFAULT_CONFIG);
            ExitCode::SUCCESS
        }
        Command::Config(ConfigCommand::Check { file }) => match load_config(&file) {
            Ok(_) => {
                println!("{}: valid", file.display());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
        Command::Console(args) => console_cmd::main(args),
        Command::Sim(cmd) => sim_cmd::main(cmd),
        Command::Doc(cmd) => doc_cmd::main(cmd),
        Command::Mrz(args) => mrz_cmd::main(args),
        Command::Vision(args) => vision_cmd::main(args),
        Command::Hw(args) => hw::main(args),
        Command::Audit(AuditCommand::Verify { file }) => audit_verify(&file),
        Command::Bench(cmd) => bench::main(cmd),
    }
}

/// Reads and validates a config file, printing every error; `Err` carries the exit code.
pub(crate) fn load_config(path: &std::path::Path) -> Result<config::Config, ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return Err(ExitCode::from(EXIT_BAD_CONFIG));
        }
    };
    config::parse(&text).map_err(|errors| {
        for e in &errors {
            eprintln!("{}: {e}", path.display());
        }
        eprintln!(
            "{}: {} error(s); configuration rejected",
            path.display(),
            errors.len()
        );
        ExitCode::from(EXIT_BAD_CONFIG)
    })
}

fn audit_verify(file: &std::path::Path) -> ExitCode {
    match audit::verify_file(file) {
        Ok(r) => match r.broken {
            None => {
                println!(
                    "{}: chain intact, {} record(s), head {}",
                    file.display(),
                    r.records,
                    r.last_hash
                );
                ExitCode::SUCCESS
            }
            Some(b) => {
                println!(
                    "{}: chain BROKEN at line {}: {} ({} record(s) before it verify)",
                    file.display(),
                    b.line,
                    b.reason,
                    r.records
                );
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("egate audit verify: {e}");
            ExitCode::FAILURE
        }
    }
}
