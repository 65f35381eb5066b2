//! A real NATS server with JetStream for the fleet tests: Debian's `nats-server`, installed
//! by scripts/setup.sh, started on a free port with its store in a folder of the test.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{wait_child, LineLog};

/// A free TCP port on 127.0.0.1 (free when asked; a server binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `nats-server -js` on `port`, its JetStream store in `store`; returns once it is ready.
pub fn nats_server(port: u16, store: &Path) -> (Child, LineLog) {
    let mut child = Command::new("nats-server")
        .args(["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"])
        .arg(store)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("nats-server (Debian package nats-server, scripts/setup.sh)");
    let mut log = LineLog::read(child.stderr.take().unwrap());
    log.wait_since(
        0,
        |l| l.contains("Server is ready"),
        "nats-server ready",
        Duration::from_secs(20),
    );
    (child, log)
}

/// Kills the server when the test ends, passed or not.
pub struct Nats(pub Child);

impl Drop for Nats {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Stops the server with SIGTERM, as an operator would.
pub fn stop(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    wait_child(child, Duration::from_secs(10)).expect("nats-server stops on SIGTERM");
}
