//! A model of the contactless link, so tests and benchmarks can quote realistic read times
//! without a radio: each APDU costs its bytes at the bit rate plus a fixed turnaround.

use std::time::Duration;

/// Bit rate and per-APDU turnaround of the reader–chip link (ISO/IEC 14443: 106–848 kbit/s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkModel {
    /// Bits per second on the air.
    pub bit_rate: u32,
    /// Fixed time per command/response pair (frame delay, chip processing, reader overhead).
    pub turnaround: Duration,
}

impl LinkModel {
    /// 424 kbit/s and 5 ms per APDU: a typical desktop reader and passport.
    pub const TYPICAL: LinkModel = LinkModel {
        bit_rate: 424_000,
        turnaround: Duration::from_millis(5),
    };

    /// An instant link (no modelled time).
    pub const INSTANT: LinkModel = LinkModel {
        bit_rate: 0,
        turnaround: Duration::ZERO,
    };

    /// Modelled time of one exchange: (command + response bytes) × 10 bits (ISO/IEC 14443-4
    /// frames add start/stop and CRC overhead; 10 bits a byte is the usual estimate) at the
    /// bit rate, plus the turnaround.
    pub fn exchange_time(&self, command_len: usize, response_len: usize) -> Duration {
        if self.bit_rate == 0 {
            return self.turnaround;
        }
        let bits = (command_len + response_len) as u64 * 10;
        Duration::from_nanos(bits * 1_000_000_000 / u64::from(self.bit_rate)) + self.turnaround
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typical() {
        let t = LinkModel::TYPICAL.exchange_time(5, 258);
        assert!(t > Duration::from_millis(11) && t < Duration::from_millis(12));
        assert_eq!(LinkModel::INSTANT.exchange_time(5, 258), Duration::ZERO);
    }
}
