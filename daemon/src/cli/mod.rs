//! One module per subcommand of `egate`, named like the subcommand, and what several of them
//! share: the exit codes, loading the configuration with the command line's overrides,
//! logging start-up and the stop signals.

pub mod audit;
pub mod bench;
pub mod config;
pub mod console;
pub mod doc;
pub mod hw;
pub mod mrz;
pub mod pki;
pub mod policy;
pub mod run;
#[cfg(feature = "sim")]
pub mod sim;
pub mod vision;
pub mod vision_pad;

use std::path::Path;
use std::process::ExitCode;

use tracing::info;

use crate::config::sections::{LogConfig, LogFormat};
use crate::config::{Config, ConfigError};

/// Exit code for a usage error: a missing or contradictory argument (clap's own code).
pub const EXIT_USAGE: u8 = 2;
/// Exit code for a bad configuration (sysexits EX_USAGE).
pub const EXIT_BAD_CONFIG: u8 = 64;

/// Reads and validates a config file, printing every error; `Err` carries the exit code.
pub fn load_config_file(path: &Path) -> Result<Config, ExitCode> {
    load_file(path, "configuration", EXIT_BAD_CONFIG, crate::config::parse)
}

/// Reads the file at `path` and parses it with `parse`, printing every error under the
/// path and then how many there were and that `what` was rejected; `Err` carries `code`.
pub fn load_file<T, E: std::fmt::Display>(
    path: &Path,
    what: &str,
    code: u8,
    parse: impl FnOnce(&str) -> Result<T, Vec<E>>,
) -> Result<T, ExitCode> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{}: cannot read: {e}", path.display());
            return Err(ExitCode::from(code));
        }
    };
    parse(&text).map_err(|errors| {
        for e in &errors {
            eprintln!("{}: {e}", path.display());
        }
        eprintln!(
            "{}: {} error(s); {what} rejected",
            path.display(),
            errors.len()
        );
        ExitCode::from(code)
    })
}

/// A command-line override: `arg`, when given, replaces the configured `value`.
pub fn given<T: Clone>(value: &mut T, arg: &Option<T>) {
    if let Some(v) = arg {
        value.clone_from(v);
    }
}

/// Appends `event` (`daemon_stopped`, `console_stopped`) as the trail's last record of a
/// serving command that stopped cleanly, and logs the stop.
pub fn record_stop(audit: &std::sync::Mutex<::audit::AuditLog>, event: &str) -> anyhow::Result<()> {
    let audit = audit.lock().unwrap_or_else(|p| p.into_inner());
    audit.append(event, &serde_json::json!({}))?;
    audit.close();
    info!("stopped");
    Ok(())
}

/// The configuration of a serving command: the file (or the embedded default), with the
/// command line's `overrides`, checked again as a whole like the file itself, plus the
/// command's own `extra` checks. Every error is printed after `command: `.
pub fn load_config(
    path: Option<&Path>,
    command: &str,
    overrides: impl FnOnce(&mut Config),
    extra: impl FnOnce(&Config) -> Vec<ConfigError>,
) -> Result<Config, ExitCode> {
    let mut cfg = match path {
        Some(path) => load_config_file(path)?,
        None => crate::config::parse(crate::config::DEFAULT_CONFIG)
            .expect("embedded default config is valid"),
    };
    overrides(&mut cfg);
    let mut errors = cfg.validate();
    errors.extend(extra(&cfg));
    if errors.is_empty() {
        return Ok(cfg);
    }
    for e in errors {
        eprintln!("{command}: {e}");
    }
    Err(ExitCode::from(EXIT_BAD_CONFIG))
}

/// Starts logging to standard error as `[log]` says (`EGATE_LOG` overrides the level).
pub fn init_logging(log: &LogConfig) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_env("EGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&log.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

/// A multi-threaded async runtime for a serving command.
pub fn runtime(thread_name: &str) -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name(thread_name)
        .build()
}

/// SIGTERM and SIGINT, caught from the moment they are installed (before anything else
/// starts, so that a signal during start-up still means a clean stop).
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Catches both signals from now on.
    pub fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the first of them.
    pub async fn recv(mut self) {
        tokio::select! {
            _ = self.term.recv() => info!(signal = "SIGTERM", "signal received"),
            _ = self.int.recv() => info!(signal = "SIGINT", "signal received"),
        }
    }
}
