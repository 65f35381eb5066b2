//! The systemd service protocol (`sd_notify(3)`, `systemd.service(5)` `Type=notify` and
//! `WatchdogSec=`): `READY=1` once `/ready` is true, `WATCHDOG=1` while every gate's driver
//! loop is turning, `STOPPING=1` on shutdown. Messages are datagrams on the Unix socket named
//! by `$NOTIFY_SOCKET` (a path, or an abstract name written with a leading `@`). Outside
//! systemd (no `$NOTIFY_SOCKET`) every call does nothing.
//!
//! The watchdog proves the driver loops live, not just the process: each driver beats its
//! [`Heartbeat`] on every wake and wakes at least every quarter of `WatchdogSec`; the
//! notifier sends `WATCHDOG=1` every half interval only if every running driver beat since
//! the last one. A driver that stalls (a blocked mutex, a busy loop) stops the pings and
//! systemd restarts the daemon; a driver that ended (shutdown, audit failure) is no longer
//! counted.

use std::os::unix::net::UnixDatagram;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tracing::{debug, warn};

/// Where `sd_notify` messages go.
pub struct Notifier {
    target: Option<(UnixDatagram, Target)>,
}

enum Target {
    Path(PathBuf),
    Abstract(Vec<u8>),
}

impl Notifier {
    /// The notifier of `$NOTIFY_SOCKET`; without it, one that sends nothing.
    pub fn from_env() -> Notifier {
        let Some(name) = std::env::var_os("NOTIFY_SOCKET").filter(|v| !v.is_empty()) else {
            return Notifier { target: None };
        };
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(name.as_os_str()).to_vec();
        // sd_notify(3): a name that starts with '@' is in the abstract namespace.
        let target = match bytes.strip_prefix(b"@") {
            Some(abs) => Target::Abstract(abs.to_vec()),
            None => Target::Path(PathBuf::from(name)),
        };
        match UnixDatagram::unbound() {
            Ok(sock) => Notifier {
                target: Some((sock, target)),
            },
            Err(e) => {
                warn!(error = %e, "NOTIFY_SOCKET is set but no datagram socket can be made");
                Notifier { target: None }
            }
        }
    }

    /// Sends `state` (e.g. `READY=1`); a failure is logged, never fatal: the gate runs on.
    pub fn notify(&self, state: &str) {
        let Some((sock, target)) = &self.target else {
            return;
        };
        let sent = match target {
            Target::Path(p) => sock.send_to(state.as_bytes(), p),
            Target::Abstract(name) => {
                use std::os::linux::net::SocketAddrExt;
                std::os::unix::net::SocketAddr::from_abstract_name(name)
                    .and_then(|addr| sock.send_to_addr(state.as_bytes(), &addr))
            }
        };
        match sent {
            Ok(_) => debug!(state, "sd_notify"),
            Err(e) => warn!(error = %e, state, "sd_notify failed"),
        }
    }
}

/// The watchdog interval systemd asks for (`$WATCHDOG_USEC`), if it is meant for this
/// process (`$WATCHDOG_PID`, when set, is our pid).
pub fn watchdog_interval() -> Option<Duration> {
    if let Some(pid) = std::env::var("WATCHDOG_PID").ok().filter(|p| !p.is_empty()) {
        if pid.parse::<u32>().ok() != Some(std::process::id()) {
            return None;
        }
    }
    let usec: u64 = std::env::var("WATCHDOG_USEC").ok()?.parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// One driver's beat count and the count the last check saw.
type Beats = (Arc<AtomicU64>, u64);

/// The heartbeats of the gates' driver loops, checked by the notifier.
#[derive(Clone, Default)]
pub struct Watchdog {
    /// `WatchdogSec`, when systemd asked for one.
    interval: Option<Duration>,
    /// Each running driver's beat count, with the count the last check saw.
    beats: Arc<Mutex<Vec<Beats>>>,
}

impl Watchdog {
    /// A watchdog over `interval` (`None`: no watchdog; heartbeats cost nothing).
    pub fn new(interval: Option<Duration>) -> Watchdog {
        Watchdog {
            interval,
            beats: Default::default(),
        }
    }

    /// A new driver's heartbeat.
    pub fn heartbeat(&self) -> Heartbeat {
        let count = Arc::new(AtomicU64::new(0));
        if let Ok(mut beats) = self.beats.lock() {
            // Never equal to a count: a new driver counts as alive until the next check.
            beats.push((count.clone(), u64::MAX));
        }
        Heartbeat {
            count,
            every: self.interval.map(|i| i / 4),
        }
    }

    /// Sends `WATCHDOG=1` through `notifier` every half interval while every running
    /// driver beats; returns when `stop` turns true. Without an interval, returns at once.
    pub async fn run(self, notifier: Arc<Notifier>, mut stop: tokio::sync::watch::Receiver<bool>) {
        let Some(interval) = self.interval else {
            return;
        };
        let mut tick = tokio::time::interval(interval / 2);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                _ = tick.tick() => {}
            }
            let Ok(mut beats) = self.beats.lock() else {
                return;
            };
            // A driver that returned dropped its heartbeat: only this list holds it now.
            beats.retain(|(b, _)| Arc::strong_count(b) > 1);
            let mut stalled = 0;
            for (count, seen) in beats.iter_mut() {
                let now = count.load(Ordering::Acquire);
                stalled += usize::from(now == *seen);
                *seen = now;
            }
            drop(beats);
            if stalled > 0 {
                warn!(stalled, "a gate driver loop did not turn: no watchdog ping");
            } else {
                notifier.notify("WATCHDOG=1");
            }
        }
    }
}

/// One driver loop's heartbeat.
pub struct Heartbeat {
    count: Arc<AtomicU64>,
    every: Option<Duration>,
}

impl Heartbeat {
    /// A heartbeat no watchdog watches (tests).
    #[cfg(test)]
    pub fn unwatched() -> Heartbeat {
        Heartbeat {
            count: Arc::new(AtomicU64::new(0)),
            every: None,
        }
    }

    /// The loop turned.
    pub fn beat(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
    }

    /// Resolves when the loop must wake to beat again (never without a watchdog).
    pub async fn due(&self) {
        match self.every {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listener() -> (tempfile::TempDir, UnixDatagram, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        (dir, sock, path)
    }

    fn recv(sock: &UnixDatagram) -> Option<String> {
        let mut buf = [0u8; 256];
        sock.recv(&mut buf)
            .ok()
            .map(|n| String::from_utf8_lossy(&buf[..n]).into_owned())
    }

    #[test]
    fn notify_sends_one_datagram_per_state() {
        let (_dir, sock, path) = listener();
        let n = Notifier {
            target: Some((UnixDatagram::unbound().unwrap(), Target::Path(path))),
        };
        n.notify("READY=1");
        assert_eq!(recv(&sock).as_deref(), Some("READY=1"));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_stalled_driver_stops_the_pings_and_an_ended_one_does_not() {
        let (_dir, sock, path) = listener();
        sock.set_read_timeout(Some(Duration::from_millis(400)))
            .unwrap();
        let n = Arc::new(Notifier {
            target: Some((UnixDatagram::unbound().unwrap(), Target::Path(path))),
        });
        let wd = Watchdog::new(Some(Duration::from_millis(200)));
        let hb = wd.heartbeat();
        let (stop_tx, stop) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(wd.clone().run(n, stop));
        // A driver that beats keeps the pings coming.
        let beating = tokio::spawn(async move {
            for _ in 0..20 {
                hb.beat();
                hb.due().await;
            }
            hb
        });
        let s = sock.try_clone().unwrap();
        let got = tokio::task::spawn_blocking(move || (0..3).map(|_| recv(&s)).collect::<Vec<_>>())
            .await
            .unwrap();
        assert!(
            got.iter().all(|g| g.as_deref() == Some("WATCHDOG=1")),
            "{got:?}"
        );
        // The driver stalls (holds its heartbeat, stops beating): the pings stop.
        let hb = beating.await.unwrap();
        while recv(&sock).is_some() {}
        let s = sock.try_clone().unwrap();
        let silent = tokio::task::spawn_blocking(move || recv(&s)).await.unwrap();
        assert_eq!(silent, None);
        // It ends (drops its heartbeat): no driver is stalled, the pings resume.
        drop(hb);
        let s = sock.try_clone().unwrap();
        let resumed = tokio::task::spawn_blocking(move || recv(&s)).await.unwrap();
        assert_eq!(resumed.as_deref(), Some("WATCHDOG=1"));
        stop_tx.send(true).unwrap();
        task.await.unwrap();
    }
}
