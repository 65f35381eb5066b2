//! `egate`: the one binary of the egate e-gate controller.
//!
//! Each subcommand is a module of [`cli`]; `run` is the gate daemon. Exit codes: 0 success,
//! 1 a check failed, 2 usage error, 64 bad configuration, 65 bad input data (`policy
//! explain`: an MRZ that cannot be read).
//!
//! Built without the `sim` feature (`--no-default-features --features production`), the
//! binary holds no simulator: no `egate sim`, no `egate run --sim`, no test PKI.

#[cfg(all(feature = "sim", feature = "production"))]
compile_error!(
    "the `production` feature builds a border binary without the simulator: build it with \
     `--no-default-features --features production` (the default features include `sim`)"
);

mod cli;
mod config;
mod fleet;
mod lane;
mod service;
#[cfg(feature = "sim")]
mod simulation;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
    Run(cli::run::RunArgs),
    /// Serve the officers' supervision console for a bank of gates
    Console(cli::console::ConsoleArgs),
    /// Run simulated devices: virtual passports, door controllers, travellers
    #[cfg(feature = "sim")]
    #[command(subcommand)]
    Sim(cli::sim::SimCommand),
    /// Read and verify a passport chip
    #[command(subcommand)]
    Doc(cli::doc::DocCommand),
    /// Parse machine-readable zones and check their check digits
    Mrz(cli::mrz::MrzArgs),
    /// Compare faces and evaluate matching accuracy
    Vision(cli::vision::VisionArgs),
    /// Commission and test gate hardware (doors, sensors, scanners)
    Hw(cli::hw::HwArgs),
    /// Print the default configuration or check a configuration file
    #[command(subcommand)]
    Config(cli::config::ConfigCommand),
    /// Verify the tamper-evident audit trail, and statistics from it
    #[command(subcommand)]
    Audit(cli::audit::AuditCommand),
    /// Import master lists and CRLs into the trust store, and list it
    #[command(subcommand)]
    Pki(cli::pki::PkiCommand),
    /// Explain the eligibility rule table's decision for a document
    #[command(subcommand)]
    Policy(cli::policy::PolicyCommand),
    /// Run the benchmarks (document read, face pipeline, gate decisions)
    #[command(subcommand)]
    Bench(cli::bench::BenchCommand),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Run(args) => cli::run::main(args),
        Command::Console(args) => cli::console::main(args),
        #[cfg(feature = "sim")]
        Command::Sim(cmd) => cli::sim::main(cmd),
        Command::Doc(cmd) => cli::doc::main(cmd),
        Command::Mrz(args) => cli::mrz::main(args),
        Command::Vision(args) => cli::vision::main(args),
        Command::Hw(args) => cli::hw::main(args),
        Command::Config(cmd) => cli::config::main(cmd),
        Command::Audit(cmd) => cli::audit::main(cmd),
        Command::Pki(cmd) => cli::pki::main(cmd),
        Command::Policy(cmd) => cli::policy::main(cmd),
        Command::Bench(cmd) => cli::bench::main(cmd),
    }
}
