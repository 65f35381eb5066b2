//! The link model against the real path: the bench document read through pcscd and vpcd
//! (the production PC/SC adapter, the virtual chip answering after the modelled link time)
//! beside the in-process model of the same read. Needs pcscd with the vpcd driver, e.g.
//! `scripts/with-pcscd.sh egate bench doc --vpcd 127.0.0.1:35963`.

use std::time::{Duration, Instant};

use document::reader::{read_document, AccessKey, ReaderOptions};
use hardware::pcsc_reader::{CardEvent, PcscReader};
use sim::chip::{LinkModel, VirtualChip};
use sim::vpcd::{AckReport, LinkSocketOptions, VpcdOptions, VpcdSlot};

use super::document::Fixture;
use super::BenchError;

/// How long pcscd may take to see a card come or go (it polls vpcd a few times a second).
const CARD_EVENT_WAIT: Duration = Duration::from_secs(15);

/// The reads through pcscd + vpcd.
pub(super) struct VpcdFigures {
    /// Wall time of each whole read (access control to the last data group and AA/CA),
    /// sorted.
    pub walls: Vec<Duration>,
    /// APDUs of one read.
    pub apdus: u32,
    /// The card side's socket options, read back after the last read.
    pub socket: LinkSocketOptions,
    /// Over all reads: vpcd's messages, and at how many the card's socket was in quick-ACK
    /// mode.
    pub acks: AckReport,
}

impl VpcdFigures {
    /// The median read.
    pub fn median(&self) -> Duration {
        self.walls
            .get(self.walls.len().saturating_sub(1) / 2)
            .copied()
            .unwrap_or_default()
    }
}

fn vpcd_err(what: &str, e: impl std::fmt::Display) -> BenchError {
    BenchError::Vpcd(format!("{what}: {e}"))
}

/// Reads the fixture's document `reads` times (after one warm-up) through pcscd, with the
/// virtual chip on vpcd at `addr` answering on `link`'s timing, from PC/SC reader `reader`.
pub(super) fn read_through_vpcd(
    fx: &Fixture,
    addr: &str,
    reader: &str,
    reads: u32,
    link: LinkModel,
) -> Result<VpcdFigures, BenchError> {
    let mut slot = VpcdSlot::new(
        addr,
        VpcdOptions {
            realtime: Some(link),
        },
    )
    .map_err(|e| vpcd_err(&format!("vpcd address {addr}"), e))?;
    let key = AccessKey::from(&fx.mrz);
    let mut walls = Vec::with_capacity(reads as usize);
    let mut apdus = 0;
    let mut socket = None;
    for i in 0..=reads {
        slot.insert(VirtualChip::new(fx.chip.clone())).map_err(|e| {
            vpcd_err(
                &format!("connecting the card to vpcd at {addr} (is pcscd with vsmartcard-vpcd running?)"),
                e,
            )
        })?;
        let mut pcsc = wait_for_card(reader)?;
        pcsc.connect()
            .map_err(|e| vpcd_err("connecting to the card", e))?;
        let start = Instant::now();
        let doc = read_document(&mut pcsc, &key, ReaderOptions::default())
            .map_err(|e| BenchError::Read(e.to_string()))?;
        let wall = start.elapsed();
        socket = Some(
            slot.socket_options()
                .map_err(|e| vpcd_err("reading the card socket's options", e))?,
        );
        pcsc.disconnect();
        slot.remove();
        wait_for_removal(&mut pcsc)?;
        apdus = doc.stats.apdus;
        if i > 0 {
            walls.push(wall);
        }
    }
    walls.sort_unstable();
    Ok(VpcdFigures {
        walls,
        apdus,
        socket: socket.ok_or_else(|| vpcd_err("no read", "nothing measured"))?,
        acks: slot.ack_report(),
    })
}

fn wait_for_card(name: &str) -> Result<PcscReader, BenchError> {
    let mut reader =
        PcscReader::open(Some(name)).map_err(|e| vpcd_err(&format!("PC/SC reader {name:?}"), e))?;
    let deadline = Instant::now() + CARD_EVENT_WAIT;
    while !reader.card_present().unwrap_or(false) {
        if Instant::now() >= deadline {
            return Err(vpcd_err(
                &format!("PC/SC reader {name:?}"),
                "no card 15 s after connecting to vpcd (does --vpcd name this reader's port?)",
            ));
        }
        let _ = reader.wait_event(Duration::from_millis(200));
    }
    Ok(reader)
}

fn wait_for_removal(reader: &mut PcscReader) -> Result<(), BenchError> {
    let deadline = Instant::now() + CARD_EVENT_WAIT;
    while reader.card_present().unwrap_or(true) {
        if Instant::now() >= deadline {
            return Err(vpcd_err("PC/SC", "card still present 15 s after removal"));
        }
        if let Ok(Some(CardEvent::Removed)) = reader.wait_event(Duration::from_millis(200)) {
            break;
        }
    }
    Ok(())
}
