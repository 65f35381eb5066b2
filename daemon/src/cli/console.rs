//! `egate console`: the officers' console for a bank of gate daemons, and its account tools.
//!
//! ```text
//! egate console --gates FILE [--config FILE] [--listen ADDR] [--state-dir DIR]
//! egate console --stream-gates ID,ID,... --config FILE [--listen ADDR] [--state-dir DIR]
//! egate console adduser --users FILE --id ID --role officer|supervisor|technician [--generate]
//! egate console hash-password            # reads a password on stdin, prints its argon2 hash
//! egate console new-token FILE           # writes a random gate API token (mode 0600)
//! ```
//!
//! The gates file lists the daemons' gate APIs:
//!
//! ```toml
//! [[gate]]
//! id = "gate-1"
//! url = "https://10.0.0.11:8443"          # the daemon's [console] listen
//! token_file = "/etc/egate/gate-api.token" # the daemon's [console] gate_api_token_file
//! fingerprint = "AB:CD:..."                # SHA-256 of the daemon's TLS certificate
//! client_cert_file = "/etc/egate/console.pem" # signed by the daemon's gate_api_client_ca_file
//! client_key_file = "/etc/egate/console.key"  # signs each command's officer assertion
//! ```
//!
//! With `--stream-gates` the console follows those gates on the NATS JetStream stream their
//! daemons publish to (the config's `[fleet]`: `nats_url`, `stream`, `subject_prefix`), with
//! no connection to the gates themselves: passages, alarms, device health and lane state, no
//! commands and no photos (see `crate::fleet::follow`).
//!
//! The console's own settings come from the `[console]`, `[audit]` and `[log]` sections of the
//! config file (its users file, TLS certificate, listen address, audit trail).

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use tracing::error;

use audit::AuditLog;
use console::auth;
use console::link::GateLink;

use crate::config::Config;

/// Arguments of `egate console`.
#[derive(clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ConsoleArgs {
    #[command(subcommand)]
    cmd: Option<ConsoleSub>,
    /// The gates file: `[[gate]]` entries with id, url, token_file, fingerprint,
    /// client_cert_file, client_key_file.
    #[arg(long, conflicts_with = "stream_gates")]
    gates: Option<PathBuf>,
    /// Follow these gates (ids, comma-separated) on the fleet stream of the config's [fleet]
    /// instead of connecting to their gate APIs: events, alarms and statistics; no commands.
    #[arg(long, value_delimiter = ',', value_name = "ID,...")]
    stream_gates: Vec<String>,
    /// Configuration file (TOML); its [console], [audit] and [log] sections apply.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// Override `console.listen`, e.g. 127.0.0.1:0 for a free port.
    #[arg(long)]
    listen: Option<String>,
    /// Directory for the console's audit trail and pseudonym key (overrides `[audit]`).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Override `console.users_file`.
    #[arg(long)]
    users: Option<PathBuf>,
}

#[derive(clap::Subcommand)]
enum ConsoleSub {
    /// Add or replace an officer account in a users file (password on stdin, or generated)
    Adduser {
        /// The users file (created if absent).
        #[arg(long)]
        users: PathBuf,
        /// Officer id (1-64 of A-Z a-z 0-9 . - _), recorded in the audit trail.
        #[arg(long)]
        id: String,
        /// officer, supervisor or technician.
        #[arg(long)]
        role: String,
        /// Generate a random password and print it once instead of reading one on stdin.
        #[arg(long)]
        generate: bool,
    },
    /// Read a password on stdin and print its argon2id hash
    HashPassword,
    /// Write a random gate API bearer token to a file (mode 0600)
    NewToken {
        /// Where to write it.
        file: PathBuf,
    },
}

/// Entry point of `egate console`.
pub fn main(args: ConsoleArgs) -> ExitCode {
    match args.cmd {
        Some(ConsoleSub::Adduser {
            users,
            id,
            role,
            generate,
        }) => adduser(&users, &id, &role, generate),
        Some(ConsoleSub::HashPassword) => match read_password() {
            Ok(pw) => match auth::hash_password(&pw) {
                Ok(h) => {
                    println!("{h}");
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&format!("hashing failed: {e}")),
            },
            Err(e) => fail(&e),
        },
        Some(ConsoleSub::NewToken { file }) => new_token(&file),
        None => match args.gates.clone() {
            Some(gates) => serve(args, Source::Gates(gates)),
            None if !args.stream_gates.is_empty() => {
                let ids = args.stream_gates.clone();
                serve(args, Source::Stream(ids))
            }
            None => {
                eprintln!(
                    "egate console: give --gates FILE or --stream-gates ID,... (or a subcommand; see --help)"
                );
                ExitCode::from(super::EXIT_USAGE)
            }
        },
    }
}

fn fail(msg: &str) -> ExitCode {
    eprintln!("egate console: {msg}");
    ExitCode::FAILURE
}

fn read_password() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password: {e}"))?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.chars().count() < 12 {
        return Err("a password needs at least 12 characters".into());
    }
    Ok(pw)
}

fn adduser(users: &std::path::Path, id: &str, role: &str, generate: bool) -> ExitCode {
    if !auth::valid_id(id) {
        return usage("--id: use 1-64 of A-Z a-z 0-9 . - _");
    }
    let Some(role) = auth::Role::parse(role) else {
        return usage("--role: officer, supervisor or technician");
    };
    let pw = if generate {
        auth::random_password()
    } else {
        match read_password() {
            Ok(p) => p,
            Err(e) => return fail(&e),
        }
    };
    let hash = match auth::hash_password(&pw) {
        Ok(h) => h,
        Err(e) => return fail(&format!("hashing failed: {e}")),
    };
    let old = match std::fs::read_to_string(users) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return fail(&format!("{}: {e}", users.display())),
    };
    let text = match auth::upsert_user(
        &old,
        auth::UserEntry {
            id: id.into(),
            role,
            password_hash: hash,
        },
    ) {
        Ok(t) => t,
        Err(e) => return fail(&format!("{}: {e}", users.display())),
    };
    if let Err(e) = audit::private_file(users, text.as_bytes()) {
        return fail(&format!("{}: {e}", users.display()));
    }
    if generate {
        println!("{id} ({}) password: {pw}", role.as_str());
    } else {
        println!("{id} ({}) saved in {}", role.as_str(), users.display());
    }
    ExitCode::SUCCESS
}

fn usage(msg: &str) -> ExitCode {
    eprintln!("egate console: {msg}");
    ExitCode::from(super::EXIT_USAGE)
}

fn new_token(file: &std::path::Path) -> ExitCode {
    let token = auth::random_token();
    match audit::private_file(file, format!("{token}\n").as_bytes()) {
        Ok(()) => {
            println!("gate API token written to {}", file.display());
            ExitCode::SUCCESS
        }
        Err(e) => fail(&format!("{}: {e}", file.display())),
    }
}

/// Where the console's gates come from.
enum Source {
    /// A gates file: each gate's API.
    Gates(PathBuf),
    /// These gate ids, followed on the fleet stream.
    Stream(Vec<String>),
}

fn serve(args: ConsoleArgs, source: Source) -> ExitCode {
    let overrides = |cfg: &mut Config| {
        super::given(&mut cfg.console.listen, &args.listen);
        super::given(&mut cfg.console.users_file, &args.users);
        if let Some(dir) = &args.state_dir {
            cfg.audit.keep_in(dir, "console-audit.jsonl");
        }
    };
    let cfg = match super::load_config(args.config.as_deref(), "egate console", overrides, |_| {
        Vec::new()
    }) {
        Ok(cfg) => cfg,
        Err(code) => return code,
    };
    let gates = match source {
        Source::Gates(file) => match gates_file(&file) {
            Ok(entries) => Gates::Api(entries),
            Err(code) => return code,
        },
        Source::Stream(ids) => {
            let mut seen = std::collections::BTreeSet::new();
            if let Some(bad) = ids
                .iter()
                .find(|id| !auth::valid_id(id) || !seen.insert(id.as_str()))
            {
                return usage(&format!(
                    "--stream-gates: gate id {bad:?} is invalid or repeated (1-64 of A-Z a-z 0-9 . - _)"
                ));
            }
            if cfg.fleet.console_consumer.is_empty() {
                eprintln!(
                    "egate console: --stream-gates needs [fleet] console_consumer in the config: this console's own consumer name on the stream"
                );
                return ExitCode::from(super::EXIT_BAD_CONFIG);
            }
            if cfg.fleet.nats_url.trim().is_empty() {
                eprintln!(
                    "egate console: --stream-gates needs [fleet] nats_url in the config (the stream the gates publish to)"
                );
                return ExitCode::from(super::EXIT_BAD_CONFIG);
            }
            Gates::Stream(ids)
        }
    };
    super::init_logging(&cfg.log);
    let rt = match super::runtime("egate-console") {
        Ok(rt) => rt,
        Err(e) => return fail(&format!("cannot start the async runtime: {e}")),
    };
    match rt.block_on(run(cfg, gates)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            error!(error = %format!("{e:#}"), "egate console failed");
            ExitCode::FAILURE
        }
    }
}

/// The gates file's entries, or the exit code of its error (said on stderr).
fn gates_file(file: &std::path::Path) -> Result<Vec<console::remote::GateEntry>, ExitCode> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        eprintln!("egate console: {}: {e}", file.display());
        ExitCode::from(super::EXIT_BAD_CONFIG)
    })?;
    console::remote::parse_gates_file(file, &text).map_err(|e| {
        eprintln!("egate console: {e}");
        ExitCode::from(super::EXIT_BAD_CONFIG)
    })
}

/// The console's gates, checked.
enum Gates {
    /// Each through its gate API.
    Api(Vec<console::remote::GateEntry>),
    /// Followed on the fleet stream.
    Stream(Vec<String>),
}

async fn run(cfg: Config, gates: Gates) -> anyhow::Result<()> {
    let ids: Vec<String> = match &gates {
        Gates::Api(entries) => entries.iter().map(|e| e.id.clone()).collect(),
        Gates::Stream(ids) => ids.clone(),
    };
    let audit_key = audit::AuditKey::load_or_create(&cfg.audit.mac_key_file)?;
    let audit = AuditLog::open(&cfg.audit.file, "console", &audit_key)?;
    audit.append(
        "console_started",
        &serde_json::json!({ "version": env!("CARGO_PKG_VERSION"), "gates": ids,
                             "source": match gates { Gates::Api(_) => "gate_api", Gates::Stream(_) => "fleet_stream" } }),
    )?;
    let audit = Arc::new(Mutex::new(audit));
    let mut links: Vec<Arc<dyn GateLink>> = Vec::new();
    let mut following = None;
    match &gates {
        Gates::Api(entries) => {
            for e in entries {
                links.push(console::remote::RemoteGate::connect(e)?);
            }
        }
        Gates::Stream(ids) => {
            let f = crate::fleet::follow::follow(&cfg.fleet, ids);
            links.extend(f.links.iter().map(|l| Arc::clone(l) as Arc<dyn GateLink>));
            following = Some(f.task);
        }
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let state_dir = cfg.state_dir();
    // Before the console starts: a signal during start-up must still stop it cleanly.
    let signals = super::Signals::install()?;
    let c = console::start(
        links,
        &cfg.console,
        console::Env {
            audit: Arc::clone(&audit),
            simulation: false,
            state_dir,
            json_logs: cfg.log.format == crate::config::sections::LogFormat::Json,
            gates_write_here: false,
        },
        stop_rx,
    )
    .await?;
    eprintln!(
        "egate console: https://{}/ for {} gate(s); certificate SHA-256 {}",
        c.addr,
        ids.len(),
        c.fingerprint
    );
    signals.recv().await;
    if let Some(task) = following {
        task.abort();
    }
    let _ = stop_tx.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), c.task).await;
    super::record_stop(&audit, "console_stopped")
}
