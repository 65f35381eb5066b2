//! The PC/SC chip-reader adapter (pcsc-lite through the `pcsc` crate): reader enumeration,
//! card inserted/removed events, APDU exchange, cancellation at shutdown. A card pulled during
//! a read surfaces as [`PcscError::CardRemoved`] (kind `Disconnected`), so the driver can
//! discard the half-read document.
//!
//! Blocking by design: the daemon runs it on a dedicated thread; [`Canceller`]
//! wakes a thread blocked in [`PcscReader::wait_event`] from another thread.

use std::ffi::{CStr, CString};
use std::time::Duration;

use crate::error::ErrorKind;

/// Errors of the PC/SC adapter.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PcscError {
    /// pcscd is not running or not reachable.
    #[error("PC/SC service not available (is pcscd running?)")]
    NoService,
    /// No reader is attached, or the named one is not there.
    #[error("no such reader: {0}")]
    NoReader(String),
    /// There is no card in the reader.
    #[error("no card in the reader")]
    NoCard,
    /// The card was removed (or reset) during an exchange: whatever was being read is void.
    #[error("card removed during the exchange")]
    CardRemoved,
    /// The wait was cancelled (shutdown).
    #[error("cancelled")]
    Cancelled,
    /// A wait timed out.
    #[error("timed out")]
    Timeout,
    /// The card's answer was not a response APDU.
    #[error("malformed response ({0} bytes)")]
    Malformed(usize),
    /// Any other PC/SC error.
    #[error("PC/SC: {0}")]
    Other(String),
}

impl PcscError {
    /// The driver's view of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            PcscError::NoService | PcscError::NoReader(_) | PcscError::CardRemoved => {
                ErrorKind::Disconnected
            }
            PcscError::NoCard => ErrorKind::Disconnected,
            PcscError::Cancelled | PcscError::Timeout => ErrorKind::Timeout,
            PcscError::Malformed(_) => ErrorKind::Protocol,
            PcscError::Other(_) => ErrorKind::Device,
        }
    }
}

fn map(e: pcsc::Error) -> PcscError {
    match e {
        pcsc::Error::NoService | pcsc::Error::ServiceStopped => PcscError::NoService,
        pcsc::Error::NoReadersAvailable
        | pcsc::Error::UnknownReader
        | pcsc::Error::ReaderUnavailable => PcscError::NoReader(e.to_string()),
        pcsc::Error::NoSmartcard => PcscError::NoCard,
        pcsc::Error::RemovedCard | pcsc::Error::ResetCard => PcscError::CardRemoved,
        pcsc::Error::Cancelled => PcscError::Cancelled,
        pcsc::Error::Timeout => PcscError::Timeout,
        other => PcscError::Other(other.to_string()),
    }
}

/// Names of the readers pcscd knows.
pub fn list_readers() -> Result<Vec<String>, PcscError> {
    let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(map)?;
    let readers = match ctx.list_readers_owned() {
        Ok(r) => r,
        Err(pcsc::Error::NoReadersAvailable) => Vec::new(),
        Err(e) => return Err(map(e)),
    };
    Ok(readers
        .into_iter()
        .map(|r| r.to_string_lossy().into_owned())
        .collect())
}

/// A card event on the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CardEvent {
    /// A card is present (it was inserted, or was there when watching started).
    Inserted,
    /// The card was removed.
    Removed,
}

/// Wakes a thread blocked in [`PcscReader::wait_event`] (for shutdown).
#[derive(Clone)]
pub struct Canceller(pcsc::Context);

impl Canceller {
    /// Cancels a pending wait; it returns [`PcscError::Cancelled`].
    pub fn cancel(&self) {
        let _ = self.0.cancel();
    }
}

/// One PC/SC reader and, when connected, the card in it.
pub struct PcscReader {
    ctx: pcsc::Context,
    name: CString,
    card: Option<pcsc::Card>,
    state: pcsc::State,
    buf: Vec<u8>,
}

impl PcscReader {
    /// Opens the reader whose name contains `name`, or the first reader when `None`.
    pub fn open(name: Option<&str>) -> Result<Self, PcscError> {
        let ctx = pcsc::Context::establish(pcsc::Scope::User).map_err(map)?;
        let readers = ctx.list_readers_owned().map_err(map)?;
        // An exact name wins over a substring ("Virtual PCD 00 00" vs "... 1 00 00").
        let chosen = readers
            .iter()
            .find(|r| name.is_some_and(|n| r.to_string_lossy() == n))
            .or_else(|| {
                readers
                    .iter()
                    .find(|r| name.is_none_or(|n| r.to_string_lossy().contains(n)))
            })
            .cloned()
            .ok_or_else(|| PcscError::NoReader(name.unwrap_or("(any)").to_string()))?;
        Ok(Self {
            ctx,
            name: chosen,
            card: None,
            state: pcsc::State::UNAWARE,
            buf: vec![0u8; pcsc::MAX_BUFFER_SIZE_EXTENDED],
        })
    }

    /// The reader's name.
    pub fn name(&self) -> String {
        self.name.to_string_lossy().into_owned()
    }

    /// A handle that cancels waits from another thread.
    pub fn canceller(&self) -> Canceller {
        Canceller(self.ctx.clone())
    }

    /// Waits up to `timeout` for the card to be inserted or removed; `Ok(None)` on timeout.
    pub fn wait_event(&mut self, timeout: Duration) -> Result<Option<CardEvent>, PcscError> {
        let mut rs = [pcsc::ReaderState::new(self.name.clone(), self.state)];
        match self.ctx.get_status_change(timeout, &mut rs) {
            Ok(()) => {}
            Err(pcsc::Error::Timeout) => return Ok(None),
            Err(e) => return Err(map(e)),
        }
        let before = self.state;
        let now = rs[0].event_state();
        self.state = now & !pcsc::State::CHANGED;
        let present = now.contains(pcsc::State::PRESENT);
        let was = before.contains(pcsc::State::PRESENT);
        Ok(match (was, present) {
            (false, true) => Some(CardEvent::Inserted),
            (true, false) => {
                self.card = None;
                Some(CardEvent::Removed)
            }
            _ => None,
        })
    }

    /// Whether a card is in the reader now.
    pub fn card_present(&mut self) -> Result<bool, PcscError> {
        let mut rs = [pcsc::ReaderState::new(
            self.name.clone(),
            pcsc::State::UNAWARE,
        )];
        self.ctx
            .get_status_change(Duration::ZERO, &mut rs)
            .map_err(map)?;
        Ok(rs[0].event_state().contains(pcsc::State::PRESENT))
    }

    /// After a failed exchange: whether pcscd notices the card gone within a second (it polls
    /// the reader driver a few times a second, so the removal may trail the error).
    fn card_gone_soon(&mut self) -> bool {
        for _ in 0..10 {
            if !self.card_present().unwrap_or(false) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    }

    /// Connects to the card (exclusive, T=1 or T=0) and returns its ATR.
    pub fn connect(&mut self) -> Result<Vec<u8>, PcscError> {
        let card = self
            .ctx
            .connect(&self.name, pcsc::ShareMode::Exclusive, pcsc::Protocols::ANY)
            .map_err(map)?;
        let atr = card
            .status2_owned()
            .map(|s| s.atr().to_vec())
            .unwrap_or_default();
        self.card = Some(card);
        Ok(atr)
    }

    /// Disconnects from the card, resetting it (the next session starts from power-up).
    pub fn disconnect(&mut self) {
        if let Some(card) = self.card.take() {
            let _ = card.disconnect(pcsc::Disposition::ResetCard);
        }
    }

    /// Sends one command APDU and returns the response APDU (data || SW1 SW2).
    pub fn transmit(&mut self, apdu: &[u8]) -> Result<Vec<u8>, PcscError> {
        let card = self.card.as_ref().ok_or(PcscError::NoCard)?;
        match card.transmit(apdu, &mut self.buf) {
            Ok(r) if r.len() >= 2 => Ok(r.to_vec()),
            Ok(r) => {
                // vpcd answers an empty response when the card went away mid-exchange.
                let n = r.len();
                if self.card_gone_soon() {
                    self.card = None;
                    return Err(PcscError::CardRemoved);
                }
                Err(PcscError::Malformed(n))
            }
            Err(e) => {
                let e = map(e);
                // pcscd reports a card pulled during the exchange in several ways (removed,
                // reset, or "not transacted" from vpcd); the reader state tells the truth.
                let gone = matches!(e, PcscError::CardRemoved | PcscError::NoCard)
                    || self.card_gone_soon();
                if gone {
                    self.card = None;
                    return Err(PcscError::CardRemoved);
                }
                Err(e)
            }
        }
    }

    /// The reader name as a C string (for diagnostics).
    pub fn c_name(&self) -> &CStr {
        &self.name
    }
}

/// The PC/SC reader as `document`'s transport: `read_document` runs on it directly.
impl document::reader::Transport for PcscReader {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, document::reader::TransportError> {
        use document::reader::{TransportError, TransportErrorKind};
        PcscReader::transmit(self, capdu).map_err(|e| {
            let kind = match e.kind() {
                ErrorKind::Disconnected => TransportErrorKind::Disconnected,
                ErrorKind::Timeout => TransportErrorKind::Timeout,
                ErrorKind::Protocol => TransportErrorKind::Protocol,
                _ => TransportErrorKind::Device,
            };
            TransportError::new(kind, e.to_string())
        })
    }
}
