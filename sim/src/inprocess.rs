//! The in-process front end: the virtual chip behind `document`'s [`Transport`] trait, for fast
//! tests and benchmarks. It counts APDUs and bytes and accumulates the link model's time, so a
//! test can quote the modelled wall time of a read without waiting for it; it can also pull
//! the card out after a given number of APDUs.

use std::time::Duration;

use document::reader::{Transport, TransportError, TransportErrorKind};

use crate::chip::{LinkModel, VirtualChip};

/// A virtual chip on an in-process link.
pub struct InProcessCard {
    chip: VirtualChip,
    link: LinkModel,
    modelled: Duration,
    apdus: u64,
    bytes: u64,
    pull_after: Option<u64>,
}

impl InProcessCard {
    /// The chip on a link with the given model ([`LinkModel::INSTANT`] for none).
    pub fn new(chip: VirtualChip, link: LinkModel) -> Self {
        Self {
            chip,
            link,
            modelled: Duration::ZERO,
            apdus: 0,
            bytes: 0,
            pull_after: None,
        }
    }

    /// Removes the card after `n` more APDUs: the next exchange fails with `Disconnected`.
    pub fn pull_after(&mut self, n: u64) {
        self.pull_after = Some(self.apdus + n);
    }

    /// Modelled link time so far: bytes at the bit rate, turnaround and the chip's answer delay
    /// per APDU.
    pub fn modelled_time(&self) -> Duration {
        self.modelled
    }

    /// APDUs exchanged.
    pub fn apdus(&self) -> u64 {
        self.apdus
    }

    /// Bytes exchanged (commands and responses).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The chip.
    pub fn chip(&self) -> &VirtualChip {
        &self.chip
    }

    /// The chip, mutably (e.g. to reset it).
    pub fn chip_mut(&mut self) -> &mut VirtualChip {
        &mut self.chip
    }
}

impl Transport for InProcessCard {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        if self.pull_after.is_some_and(|n| self.apdus >= n) {
            return Err(TransportError::new(
                TransportErrorKind::Disconnected,
                "card removed",
            ));
        }
        let r = self.chip.process(capdu);
        self.apdus += 1;
        self.bytes += (capdu.len() + r.len()) as u64;
        self.modelled +=
            self.link.exchange_time(capdu.len(), r.len()) + self.chip.spec().quirks.answer_delay;
        Ok(r)
    }
}
