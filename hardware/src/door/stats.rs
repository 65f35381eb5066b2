//! Link counters, shared between the polling task and whoever exports metrics.

use std::sync::atomic::{AtomicU64, Ordering};

/// Monotonic counters of the Modbus link (plain atomics; the daemon maps them to Prometheus
/// counters such as `egate_door_link_crc_errors_total`).
#[derive(Debug, Default)]
pub struct LinkStats {
    requests: AtomicU64,
    answers: AtomicU64,
    timeouts: AtomicU64,
    crc_errors: AtomicU64,
    protocol_errors: AtomicU64,
    exceptions: AtomicU64,
    link_faults: AtomicU64,
    reconnects: AtomicU64,
    polls: AtomicU64,
}

/// A copy of [`LinkStats`] at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LinkStatsSnapshot {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Valid answers received (exceptions included).
    pub answers: u64,
    /// Requests that got no byte back in time.
    pub timeouts: u64,
    /// Requests whose answer arrived but failed the CRC or could not be framed.
    pub crc_errors: u64,
    /// Valid frames that broke the protocol (wrong unit, wrong function, bad length).
    pub protocol_errors: u64,
    /// Modbus exception answers (Application Protocol §7).
    pub exceptions: u64,
    /// Link faults declared by the watchdog.
    pub link_faults: u64,
    /// Times the serial port was reopened.
    pub reconnects: u64,
    /// Complete polls (inputs and registers read).
    pub polls: u64,
}

macro_rules! bump {
    ($($name:ident),*) => {
        impl LinkStats {
            $(
                pub(crate) fn $name(&self) {
                    self.$name.fetch_add(1, Ordering::Relaxed);
                }
            )*

            /// Reads every counter.
            pub fn snapshot(&self) -> LinkStatsSnapshot {
                LinkStatsSnapshot {
                    $($name: self.$name.load(Ordering::Relaxed),)*
                }
            }
        }
    };
}

bump!(
    requests,
    answers,
    timeouts,
    crc_errors,
    protocol_errors,
    exceptions,
    link_faults,
    reconnects,
    polls
);
