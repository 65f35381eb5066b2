//! The Modbus RTU client: the serial port, the tokio-modbus context over it (which frames and
//! encodes), and one transaction at a time with the answer timeout, the retries, the link
//! counters and the tracker's watchdog.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio_modbus::client::{Client as _, Context};
use tokio_modbus::Slave;
use tokio_serial::SerialPortBuilderExt;

use super::codec::{Op, Reply};
use super::map::{DoorMap, Parity};
use super::rtu;
use super::stats::LinkStats;
use super::tap::{Capture, Tap};
use super::tracker::DoorTracker;
use super::DoorError;

/// The open port: the tokio-modbus context and the tap's capture.
struct Link {
    ctx: Context,
    capture: Capture,
}

/// The client of one controller. The port is reopened after it fails.
pub(crate) struct Client {
    port: String,
    map: DoorMap,
    link: Option<Link>,
    stats: Arc<LinkStats>,
}

impl Client {
    /// Opens `port` with the map's serial settings and unit.
    pub(crate) fn open(port: &str, map: DoorMap, stats: Arc<LinkStats>) -> Result<Self, DoorError> {
        let mut client = Client {
            port: port.to_string(),
            map,
            link: None,
            stats,
        };
        client.link = Some(client.open_port()?);
        Ok(client)
    }

    /// The port path, for logs.
    pub(crate) fn port(&self) -> &str {
        &self.port
    }

    fn open_port(&self) -> Result<Link, DoorError> {
        let s = &self.map.serial;
        let parity = match s.parity {
            Parity::None => tokio_serial::Parity::None,
            Parity::Even => tokio_serial::Parity::Even,
            Parity::Odd => tokio_serial::Parity::Odd,
        };
        let stop = if s.stop_bits == 2 {
            tokio_serial::StopBits::Two
        } else {
            tokio_serial::StopBits::One
        };
        let stream = tokio_serial::new(&self.port, s.baud)
            .data_bits(tokio_serial::DataBits::Eight)
            .parity(parity)
            .stop_bits(stop)
            .flow_control(tokio_serial::FlowControl::None)
            .open_native_async()
            .map_err(|e| DoorError::Port {
                port: self.port.clone(),
                message: e.to_string(),
            })?;
        let capture = Capture::default();
        let ctx = tokio_modbus::client::rtu::attach_slave(
            Tap::new(stream, capture.clone()),
            Slave(self.map.unit_id),
        );
        Ok(Link { ctx, capture })
    }

    /// Runs one transaction with retries, keeping the counters and `tracker`'s watchdog.
    pub(crate) async fn transact<R>(
        &mut self,
        op: Op,
        tracker: &mut DoorTracker<R>,
    ) -> Result<Reply, DoorError> {
        let attempts = u32::from(self.map.retries) + 1;
        let mut last_err = DoorError::Timeout;
        for _ in 0..attempts {
            tracker.check_watchdog(Instant::now());
            let link = match self.link.as_mut() {
                Some(link) => link,
                None => {
                    self.stats.reconnects();
                    let link = self.open_port()?;
                    self.link.insert(link)
                }
            };
            // While the link is up, never wait past the watchdog deadline, so a dead link is
            // declared on time even in the middle of a transaction.
            let mut wait = self.map.response_timeout();
            if let Some(left) = tracker.watchdog_left(Instant::now()) {
                wait = wait.min(left.max(Duration::from_millis(1)));
            }
            self.stats.requests();
            match tokio::time::timeout(wait, link.ctx.call(op.request())).await {
                Ok(Ok(Ok(response))) => match op.decode(response) {
                    Ok(reply) => {
                        self.stats.answers();
                        tracker.answered(Instant::now());
                        return Ok(reply);
                    }
                    Err(e) => {
                        self.stats.protocol_errors();
                        last_err = e;
                    }
                },
                Ok(Ok(Err(code))) => {
                    // Application Protocol §7: an exception answer is a valid answer — the
                    // device is alive but refuses. Retrying will not help.
                    self.stats.answers();
                    self.stats.exceptions();
                    tracker.refused(Instant::now());
                    return Err(DoorError::Exception(u8::from(code)));
                }
                Ok(Err(tokio_modbus::Error::Protocol(e))) => {
                    self.stats.protocol_errors();
                    last_err = DoorError::Protocol(e.to_string());
                }
                Ok(Err(tokio_modbus::Error::Transport(e))) if is_framing(&e) => {
                    // tokio-modbus gave up resynchronising on garbage.
                    self.stats.crc_errors();
                    last_err = DoorError::Protocol(e.to_string());
                }
                Ok(Err(tokio_modbus::Error::Transport(e))) => {
                    // The port itself failed (unplugged adapter, closed pty): reopen it.
                    self.link = None;
                    last_err = DoorError::Port {
                        port: self.port.clone(),
                        message: e.to_string(),
                    };
                }
                Err(_elapsed) => {
                    let received = link.capture.take();
                    if received.is_empty() {
                        self.stats.timeouts();
                        last_err = DoorError::Timeout;
                    } else {
                        // Bytes came back but tokio-modbus could not frame them: the answer
                        // failed its CRC (Serial Line §2.5.1.2) or is not a frame at all.
                        self.stats.crc_errors();
                        let what = if rtu::crc_ok(&received) {
                            "unexpected frame"
                        } else {
                            "CRC error"
                        };
                        last_err = DoorError::Protocol(format!(
                            "{what} ({} byte(s) received)",
                            received.len()
                        ));
                    }
                }
            }
            if tracker.check_watchdog(Instant::now()) {
                // One attempt per poll while the link is down: no retry storm.
                break;
            }
        }
        Err(last_err)
    }
}

/// tokio-modbus reports "could not frame this" as `InvalidData`.
fn is_framing(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::InvalidData
}
