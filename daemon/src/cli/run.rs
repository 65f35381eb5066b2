//! `egate run`: the gate daemon. Config, logging, the audit trail, the gates (one on real
//! devices, or the simulated bank), the officers' console, the health/metrics endpoint, and a
//! clean stop on SIGTERM/SIGINT (doors to their safe state first).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tracing::{error, info, warn};

use crate::config::sections::LogFormat;
use crate::config::Config;
use crate::lane::metrics::Metrics;
use crate::lane::server::{self, AppState};
use crate::lane::{devices, Lane, Shared};
use crate::service::{Notifier, Watchdog};
use audit::{AuditLog, Pseudonymizer};
use console::link::LocalGate;

/// Arguments of `egate run`.
#[derive(clap::Args)]
pub struct RunArgs {
    /// Configuration file (TOML). Without it, the embedded default is used.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Run against the simulator (sets `dangerous.simulation`).
    #[cfg(feature = "sim")]
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
    let overrides = |cfg: &mut Config| {
        #[cfg(feature = "sim")]
        if args.sim {
            cfg.dangerous.simulation = true;
        }
        super::given(&mut cfg.server.listen, &args.listen);
        super::given(&mut cfg.console.listen, &args.console_listen);
        if let Some(dir) = &args.state_dir {
            cfg.audit.keep_in(dir, "audit.jsonl");
        }
        match args.log_format.as_deref() {
            Some("json") => cfg.log.format = LogFormat::Json,
            Some("human") => cfg.log.format = LogFormat::Human,
            _ => {}
        }
    };
    // A gate on real devices must also name them (the simulator replaces them all).
    let real_devices = |cfg: &Config| {
        if cfg.dangerous.simulation {
            Vec::new()
        } else {
            devices::missing(cfg)
        }
    };
    let cfg = match super::load_config(args.config.as_deref(), "egate run", overrides, real_devices)
    {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    super::init_logging(&cfg.log);
    let rt = match super::runtime("egate") {
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

/// The gates this daemon drives: one on real devices, or the simulated bank.
enum Gates {
    Real(Lane),
    #[cfg(feature = "sim")]
    Simulated(crate::simulation::bank::SimBank),
}

impl Gates {
    async fn start(cfg: &Config, shared: &Shared) -> anyhow::Result<Gates> {
        #[cfg(feature = "sim")]
        if cfg.dangerous.simulation {
            return Ok(Gates::Simulated(
                crate::simulation::bank::start(cfg, shared).await?,
            ));
        }
        Ok(Gates::Real(devices::start(cfg, shared).await?))
    }

    fn lanes(&self) -> &[Lane] {
        match self {
            Gates::Real(lane) => std::slice::from_ref(lane),
            #[cfg(feature = "sim")]
            Gates::Simulated(bank) => &bank.lanes,
        }
    }

    /// The HTTP routes besides health and metrics: the simulated controllers' fault
    /// injection, mounted only in simulation.
    fn routes(&self, app: axum::Router) -> axum::Router {
        match self {
            Gates::Real(_) => app,
            #[cfg(feature = "sim")]
            Gates::Simulated(bank) => app.merge(crate::simulation::http::router(bank.controls())),
        }
    }

    /// Waits for each driver to hand its doors to their safe state and return.
    async fn stopped(self, grace: Duration) {
        match self {
            Gates::Real(lane) => stopped(vec![lane], grace).await,
            #[cfg(feature = "sim")]
            Gates::Simulated(bank) => {
                stopped(bank.lanes, grace).await;
                // The simulated controllers outlive the drivers that command them.
                drop(bank.controllers);
            }
        }
    }
}

async fn stopped(lanes: Vec<Lane>, grace: Duration) {
    for lane in lanes {
        if tokio::time::timeout(grace, lane.driver).await.is_err() {
            warn!(gate = %lane.link.id_string(), "a gate driver did not stop within the grace period");
        }
    }
}

/// The traveller screens on `[traveller] listen`, if set.
async fn serve_screens(
    cfg: &Config,
    shared: &Shared,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<Option<tokio::task::JoinHandle<()>>> {
    if cfg.traveller.listen.is_empty() {
        return Ok(None);
    }
    let listener = TcpListener::bind(&cfg.traveller.listen)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.traveller.listen))?;
    let addr = listener.local_addr()?;
    info!(%addr, "traveller screen listening");
    let app = traveller::router(shared.screens.clone());
    Ok(Some(tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            warn!(error = %e, "traveller screen server ended with an error");
        }
    })))
}

async fn serve(cfg: Config) -> anyhow::Result<()> {
    // Signal handlers first: a SIGTERM that arrives while the gates start must still mean
    // "stop cleanly" (doors to the safe state), not the default immediate death.
    let signals = super::Signals::install()?;
    for switch in cfg.dangerous.enabled() {
        warn!(
            switch,
            "DANGEROUS SWITCH ON: [dangerous].{switch} — not for a real border"
        );
    }
    let audit_key = audit::AuditKey::load_or_create(&cfg.audit.mac_key_file)?;
    let audit = AuditLog::open(&cfg.audit.file, &cfg.gate.id, &audit_key)?;
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
            "bcp": cfg.gate.bcp,
            "direction": cfg.gate.direction.as_str(),
            "dangerous": cfg.dangerous.enabled(),
        }),
    )?;
    let audit = Arc::new(Mutex::new(audit));
    let mut state = AppState::new(&cfg.gate.id, &cfg.gate.bcp, cfg.gate.direction)?;
    if !cfg.server.metrics_token_file.as_os_str().is_empty() {
        state.metrics_token = Some(Arc::new(console::read_token(
            &cfg.server.metrics_token_file,
        )?));
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let notifier = Arc::new(Notifier::from_env());
    let watchdog = Watchdog::new(crate::service::watchdog_interval());
    let shared = Shared {
        audit: audit.clone(),
        pseudonyms,
        metrics: Metrics::register(&state.registry)?,
        shutdown: stop_rx.clone(),
        screens: traveller::Screens::new({
            let mut s = cfg
                .traveller
                .settings()
                .map_err(|e| anyhow::anyhow!("[traveller] messages_dir: {}", e[0]))?;
            s.audio_dir
                .get_or_insert_with(|| cfg.vision.assets_dir().join("audio"));
            s
        }),
        watchdog: watchdog.clone(),
    };
    let gates = Gates::start(&cfg, &shared).await?;
    let screen = serve_screens(&cfg, &shared, stop_rx.clone()).await?;
    let links: Vec<Arc<LocalGate>> = gates.lanes().iter().map(|l| l.link.clone()).collect();
    let fleet = crate::fleet::start(&cfg.fleet, &cfg.state_dir(), &links)?;
    let env = console::Env {
        audit: audit.clone(),
        simulation: cfg.dangerous.simulation,
        state_dir: cfg.state_dir(),
        json_logs: cfg.log.format == LogFormat::Json,
        gates_write_here: true,
    };
    let console = console::start_for_daemon(&links, &cfg.console, env, stop_rx.clone()).await?;
    // The fleet publisher has taken the events the gates sent before it subscribed.
    for link in &links {
        link.started();
    }
    let listener = TcpListener::bind(cfg.listen_addr())
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {}: {e}", cfg.listen_addr()))?;
    let addr = listener.local_addr()?;
    // The bound address on its own line lets tests and scripts that asked for port 0 find it.
    info!(%addr, gate = %cfg.gate.id, "listening");
    state.ready.store(true, Ordering::Release);
    notifier.notify("READY=1");
    tokio::spawn(watchdog.run(notifier.clone(), stop_rx.clone()));

    let http_stop = stop_rx.clone();
    let app = gates.routes(server::router(state.clone()));
    let max_conns = cfg.server.max_connections;
    let http = tokio::spawn(server::serve(listener, app, max_conns, http_stop));

    signals.recv().await;
    info!("shutting down");
    state.ready.store(false, Ordering::Release);
    notifier.notify("STOPPING=1");
    let _ = stop_tx.send(true);
    let grace = Duration::from_secs_f64(cfg.server.shutdown_grace_s);
    if let Some(c) = console {
        let _ = tokio::time::timeout(grace, c.task).await;
    }
    gates.stopped(grace).await;
    if let Some(screen) = screen {
        let _ = tokio::time::timeout(grace, screen).await;
    }
    if let Some(fleet) = fleet {
        fleet.finish(grace).await;
    }
    match tokio::time::timeout(grace, http).await {
        Ok(Ok(Ok(()))) => {}
        Ok(Ok(Err(e))) => warn!(error = %e, "HTTP server ended with an error"),
        Ok(Err(e)) => warn!(error = %e, "HTTP task failed"),
        Err(_) => warn!("open connections did not close within the grace period"),
    }
    super::record_stop(&audit, "daemon_stopped")
}
