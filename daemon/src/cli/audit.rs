//! `egate audit`: check the tamper-evident audit trail (format: `docs/audit-trail.md`).

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
}

/// Entry point of `egate audit`.
pub fn main(cmd: AuditCommand) -> ExitCode {
    match cmd {
        AuditCommand::Verify {
            file,
            key,
            checkpoints,
        } => verify(&file, key, checkpoints),
    }
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
