//! `egate run`: the gate daemon.
//!
//! Today it is the skeleton of #2: config, logging, the HTTP endpoint and clean shutdown.
//! The driver loop that wires the gate state machine to the adapters comes with issue #7.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::{error, info, warn};

use std::sync::{Arc, Mutex};

use crate::config::{self, Config, LogFormat};
use crate::metrics::Metrics;
use crate::server::{self, AppState};
use crate::simbank;
use audit::{AuditLog, Pseudonymizer};

/// Arguments of `egate run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Configuration file (TOML). Without it, the embedded default is used.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Run against the simulator (sets `dangerous.simulation`).
    #[arg(long)]
    sim: bool,
    /// Override `server.listen`, e.g. 127.0.0.1:0 for a free port.
    #[arg(long)]
    listen: Option<String>,
    /// Override `[console] listen`, e.g. 127.0.0.1:0 for a free port.
    #[arg(long)]
    console_listen: Option<String>,
    /// Directory for the audit trail and the pseudonym key (overrides both paths in `[audit]`).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Log format: human or json (overrides `log.format`).
    #[arg(long, value_parser = ["human", "json"])]
    log_format: Option<String>,
}

/// Entry point of `egate run`.
pub fn main(args: RunArgs) -> ExitCode {
    let mut cfg = match &args.config {
        Some(path) => match crate::load_config(path) {
            Ok(c) => c,
            Err(code) => return code,
        },
        None => config::parse(config::DEFAULT_CONFIG).expect("embedded default config is valid"),
    };
    if args.sim {
        cfg.dangerous.simulation = true;
    }
    if let Some(l) = args.listen {
        cfg.server.listen = l;
    }
    if let Some(l) = args.console_listen {
        cfg.console.listen = l;
    }
    if let Some(dir) = &args.state_dir {
        cfg.audit.file = dir.join("audit.jsonl");
        cfg.audit.pseudonym_key_file = dir.join("pseudonym.key");
    }
    match args.log_format.as_deref() {
        Some("json") => cfg.log.format = LogFormat::Json,
        Some("human") => cfg.log.format = LogFormat::Human,
        _ => {}
    }
    // Overrides go through the same checks as the file; a gate on real devices must also
    // name them (the simulator replaces them all).
    let mut errors = cfg.validate();
    if !cfg.dangerous.simulation {
        errors.extend(crate::devices::missing(&cfg));
    }
    if !errors.is_empty() {
        for e in errors {
            eprintln!("egate run: {e}");
        }
        return ExitCode::from(crate::EXIT_BAD_CONFIG);
    }
    init_logging(&cfg);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("egate")
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            error!(error = %e, "cannot start the async runtime");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(cfg)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = %format!("{e:#}"), "egate run failed");
            ExitCode::FAILURE
        }
    }
}

fn init_logging(cfg: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("EGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(&cfg.log.level));
    use std::io::IsTerminal;
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr);
    match cfg.log.format {
        LogFormat::Json => builder.json().init(),
        LogFormat::Human => builder.init(),
    }
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    // Signal handlers first: a SIGTERM that arrives while the gates start must still mean
    // "stop cleanly" (doors to the safe state), not the default immediate death.
    let signals = Signals::install()?;
    for switch in cfg.dangerous.enabled() {
        warn!(
            switch,
            "DANGEROUS SWITCH ON: [dangerous].{switch} — not for a real border"
        );
    }
    let mut audit = AuditLog::open(&cfg.audit.file, &cfg.gate.id)?;
    // Created (or checked) now, so a missing or short key fails at start, not mid-passage.
    let pseudonyms = Arc::new(Pseudonymizer::load_or_create(
        &cfg.audit.pseudonym_key_file,
    )?);
    audit.append(
        "daemon_started",
        &serde_json::json!({
            "version": env!("CARGO_PKG_VERSION"),
            "layout": cfg.gate.layout,
            "liveness": cfg.gate.liveness,
            "dangerous": cfg.dangerous.enabled(),
        }),
    )?;
    let audit = Arc::new(Mutex::new(audit));
    let state = AppState::new(&cfg.gate.id)?;
    let metrics = Metrics::register(&state.registry)?;
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let mut bank = None;
    let mut real = None;
    if cfg.dangerous.simulation {
        bank = Some(
            simbank::start(
                &cfg.sim,
                &cfg,
                audit.clone(),
                pseudonyms.clone(),
                metrics.clone(),
                stop_rx.clone(),
            )
            .await?,
        );
    } else {
        real = Some(
            crate::devices::start(
                &cfg,
                audit.clone(),
                pseudonyms.clone(),
                metrics.clone(),
                stop_rx.clone(),
            )
            .await?,
        );
    }
    let real_links: Vec<_> = real.iter().map(|g| g.link.clone()).collect();
    let links = bank.as_ref().map(|b| &b.links[..]).unwrap_or(&real_links);
    let env = console::Env {
        audit: audit.clone(),
        simulation: cfg.dangerous.simulation,
        state_dir: cfg.state_dir(),
        json_logs: cfg.log.format == LogFormat::Json,
    };
    let console = console::start_for_daemon(links, &cfg.console, env, stop_rx.clone()).await?;
    let listener = TcpListener::bind(cfg.listen_addr())
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen_addr()))?;
    let addr = listener.local_addr()?;
    // The bound address on its own line lets tests and scripts that asked for port 0 find it.
    info!(%addr, gate = %cfg.gate.id, "listening");
    state.ready.store(true, Ordering::Release);

    let mut http_stop = stop_rx.clone();
    let mut app = server::router(state.clone());
    if let Some(bank) = &bank {
        // Fault injection for the simulated controllers: mounted only in simulation.
        app = app.merge(crate::sim_http::router(bank.controls()));
    }
    let http = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await
    });

    signals.recv().await;
    info!("shutting down");
    state.ready.store(false, Ordering::Release);
    let _ = stop_tx.send(true);
    let grace = Duration::from_secs_f64(cfg.server.shutdown_grace_s);
    if let Some(c) = console {
        let _ = tokio::time::timeout(grace, c.task).await;
    }
    // Each gate hands the doors to their safe state before its driver returns.
    if let Some(bank) = bank {
        for d in bank.drivers {
            if tokio::time::timeout(grace, d).await.is_err() {
                warn!("a gate driver did not stop within the grace period");
            }
        }
        drop(bank.controllers);
    }
    if let Some(gate) = real {
        if tokio::time::timeout(grace, gate.driver).await.is_err() {
            warn!("the gate driver did not stop within the grace period");
        }
    }
    match tokio::time::timeout(grace, http).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => warn!(error = %e, "HTTP server ended with an error"),
        Ok(Err(e)) => warn!(error = %e, "HTTP task failed"),
        Err(_) => warn!("open connections did not close within the grace period"),
    }
    audit
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .append("daemon_stopped", &serde_json::json!({}))?;
    info!("stopped");
    Ok(())
}

/// SIGTERM and SIGINT, caught from the moment they are installed (before anything else
/// starts, so that a signal during start-up still means a clean stop).
pub(crate) struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    pub(crate) fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{signal, SignalKind};
        Ok(Self {
            term: signal(SignalKind::terminate())?,
            int: signal(SignalKind::interrupt())?,
        })
    }

    pub(crate) async fn recv(mut self) {
        tokio::select! {
            _ = self.term.recv() => info!(signal = "SIGTERM", "signal received"),
            _ = self.int.recv() => info!(signal = "SIGINT", "signal received"),
        }
    }
}
