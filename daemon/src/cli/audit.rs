//! `egate audit`: check the tamper-evident audit trail.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `egate audit`.
#[derive(clap::Subcommand)]
pub enum AuditCommand {
    /// Check an audit trail's hash chain and say where it breaks
    Verify {
        /// The audit trail (JSON lines)
        file: PathBuf,
    },
}

/// Entry point of `egate audit`.
pub fn main(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Verify { file } => verify(&file),
    }
}

fn verify(file: &Path) -> ExitCode {
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
