//! What every stand-alone simulated device shares: a stable symlink to its pty, commands
//! read from standard input one line at a time, answers and events written to standard
//! output without ever blocking the device, and the signals that stop it.

use std::future::Future;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::ExitCode;
use std::time::Duration;

use tokio::sync::mpsc;
use zeroize::Zeroizing;

/// A symlink naming the device's pty, removed when dropped (if it still points there).
pub struct Link {
    path: Option<PathBuf>,
    target: PathBuf,
}

impl Link {
    /// Creates `path` → `target`. A stale symlink at `path` (left by a killed run) is
    /// replaced; anything else there is an error, never overwritten.
    pub fn create(path: Option<&Path>, target: &str) -> Result<Link, String> {
        let target = PathBuf::from(target);
        let Some(path) = path else {
            return Ok(Link { path: None, target });
        };
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => std::fs::remove_file(path)
                .map_err(|e| format!("cannot replace the old link {}: {e}", path.display()))?,
            Ok(_) => {
                return Err(format!(
                    "{} exists and is not a symlink; not replacing it",
                    path.display()
                ))
            }
            Err(_) => {}
        }
        std::os::unix::fs::symlink(&target, path)
            .map_err(|e| format!("cannot create the link {}: {e}", path.display()))?;
        Ok(Link {
            path: Some(path.to_path_buf()),
            target,
        })
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            if std::fs::read_link(path).is_ok_and(|t| t == self.target) {
                let _ = std::fs::remove_file(path);
            }
        }
    }
}

/// Standard input, one line at a time (line end stripped), read on a thread of its own so
/// the device never waits for it. The channel closes at end of input or on a read error.
/// Lines are zeroized once handled: a scanner's lines are MRZ text.
pub fn stdin_lines() -> mpsc::UnboundedReceiver<Zeroizing<String>> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let stdin = std::io::stdin();
        let mut stdin = stdin.lock();
        loop {
            let mut line = Zeroizing::new(String::with_capacity(256));
            match stdin.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {
                    let end = line.trim_end_matches(['\r', '\n']).len();
                    line.truncate(end);
                    if tx.send(line).is_err() {
                        return;
                    }
                }
            }
        }
    });
    rx
}

/// Standard output through a thread of its own: a consumer that reads slowly never stalls
/// the device (lines queue in memory), and a consumer that went away is not an error.
pub struct Out {
    tx: Option<std::sync::mpsc::Sender<String>>,
    done: std::sync::mpsc::Receiver<()>,
}

impl Out {
    /// Starts the writer thread.
    pub fn new() -> Out {
        let (tx, rx) = std::sync::mpsc::channel::<String>();
        let (done_tx, done) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let stdout = std::io::stdout();
            let mut stdout = stdout.lock();
            for line in rx {
                if writeln!(stdout, "{line}")
                    .and_then(|()| stdout.flush())
                    .is_err()
                {
                    break;
                }
            }
            let _ = done_tx.send(());
        });
        Out { tx: Some(tx), done }
    }

    /// Writes one line.
    pub fn line(&self, line: impl Into<String>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(line.into());
        }
    }

    /// Writes what is queued (waiting at most `timeout` for a stuck consumer) and stops.
    pub fn finish(mut self, timeout: Duration) {
        self.tx = None;
        let _ = self.done.recv_timeout(timeout);
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn stop_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Prints `egate sim <device>: <error>` and gives the exit code of a device that failed.
pub fn fail(device: &str, error: impl std::fmt::Display) -> ExitCode {
    eprintln!("egate sim {device}: {error}");
    ExitCode::FAILURE
}

/// The traveller profile at `path`, or the specimen; a profile that does not load is a bad
/// configuration.
pub fn profile(
    device: &str,
    path: Option<&Path>,
) -> Result<sim::factory::profile::Profile, ExitCode> {
    match path {
        Some(path) => sim::factory::profile::Profile::load(path).map_err(|e| {
            fail(device, e);
            ExitCode::from(crate::cli::EXIT_BAD_CONFIG)
        }),
        None => Ok(sim::factory::profile::Profile::specimen()),
    }
}

/// Serves `device` on a current-thread tokio runtime of its own.
pub fn run(device: &str, serve: impl std::future::Future<Output = ExitCode>) -> ExitCode {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(serve),
        Err(e) => fail(device, format!("cannot start the runtime: {e}")),
    }
}

/// A device that has started: the symlink to its pty, its output (whose first line named
/// the pty), its commands on standard input, and the signal that stops it.
pub struct Session {
    _link: Link,
    /// Answers and events, one line each.
    pub out: Out,
    /// Commands, one line each.
    pub input: mpsc::UnboundedReceiver<Zeroizing<String>>,
    /// Resolves on SIGINT or SIGTERM.
    pub stop: Pin<Box<dyn Future<Output = ()>>>,
}

impl Session {
    /// What every device does once it has tried to open its pty: fail with the error, or
    /// create the symlink `link` to the pty (named by `pty`), write `<device>: <pty>` and
    /// start reading standard input.
    pub fn start<D>(
        device: &str,
        opened: Result<D, impl std::fmt::Display>,
        pty: impl FnOnce(&D) -> &str,
        link: Option<&Path>,
    ) -> Result<(D, Session), ExitCode> {
        let opened = opened.map_err(|e| fail(device, e))?;
        let pty = pty(&opened);
        let link = Link::create(link, pty).map_err(|e| fail(device, e))?;
        let out = Out::new();
        out.line(format!("{device}: {pty}"));
        let session = Session {
            _link: link,
            out,
            input: stdin_lines(),
            stop: Box::pin(stop_signal()),
        };
        Ok((opened, session))
    }

    /// Writes what is queued and stops (removing the symlink): a clean exit.
    pub fn finish(self) -> ExitCode {
        self.out.finish(Duration::from_secs(2));
        ExitCode::SUCCESS
    }
}
