//! The boundary between this crate and a chip: something that carries command APDUs to it
//! and brings back its responses (ISO/IEC 7816-4 §5.1; the transmission protocol itself is
//! the reader's business: PC/SC in `hardware`, vpcd or in-process in `sim`).

/// What kind of failure a transport reports; the driver chooses retry, refer or fault by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// The card was removed or the reader went away.
    Disconnected,
    /// The card or reader did not answer in time.
    Timeout,
    /// The exchange broke the protocol (malformed frame, T=1 error).
    Protocol,
    /// The reader device failed.
    Device,
}

/// A transport failure. The message is for operators; it never holds APDU contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind:?}: {message}")]
pub struct TransportError {
    /// The kind of failure.
    pub kind: TransportErrorKind,
    /// A short description.
    pub message: String,
}

impl TransportError {
    /// A transport error of `kind`.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError {
            kind,
            message: message.into(),
        }
    }

    /// The kind of failure.
    pub fn kind(&self) -> TransportErrorKind {
        self.kind
    }
}

/// Something that carries command APDUs to a chip and brings back its response APDUs: the
/// PC/SC adapter in `hardware`, the simulator's in-process front end, test scripts.
pub trait Transport {
    /// Sends one command APDU and returns the complete response APDU (data || SW1 SW2).
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError>;
}

impl<T: Transport + ?Sized> Transport for &mut T {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(capdu)
    }
}

impl<T: Transport + ?Sized> Transport for Box<T> {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        (**self).transmit(capdu)
    }
}
