//! Reading an eMRTD chip: the [`Transport`] boundary, file reading with adaptive Le and
//! extended length ([`Chip`]), and the document-reading orchestrator [`read_document`].
//!
//! The orchestrator follows ICAO 9303-11 §4.2 (chip access procedure): read EF.CardAccess; PACE
//! when it is offered, BAC otherwise (or as fallback); select the eMRTD application; read
//! EF.COM, EF.SOD and the data groups. Any failure — a card pulled mid-read included — is an
//! error: a partly read document is never returned. Personal data in the result is wiped on drop.

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::aa::{self, AaVerdict};
use crate::apdu::{self, ApduError, CommandApdu, ResponseApdu, StatusWord};
use crate::bac::{self, BacError};
use crate::ca::{self, CaVerdict};
use crate::lds::{self, LdsError};
use crate::mrz::{Mrz, MrzKey};
use crate::pace::{self, PaceOptions, PaceOutcome, Password};
use crate::secinfo::{Mapping, SecurityInfos};
use crate::sm::{SecureChannel, SmError};
use crate::tlv;

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

/// Errors of reading a document.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The transport failed (card removed, timeout, reader fault).
    #[error("transport: {0}")]
    Transport(#[from] TransportError),
    /// Secure messaging failed (wrong MAC, the chip ended the session).
    #[error("secure messaging: {0}")]
    SecureMessaging(#[from] SmError),
    /// BAC failed (wrong MRZ, BAC not supported).
    #[error("BAC: {0}")]
    Bac(#[from] BacError),
    /// PACE failed.
    #[error("PACE: {0}")]
    Pace(String),
    /// The chip requires PACE (its EF.CardAccess offers it and BAC failed) but this build has
    /// no PACE implementation to call.
    #[error("chip requires PACE, which is not available in this build")]
    PaceNotAvailable,
    /// PACE is needed for a CAN, but the chip offers no PACE.
    #[error("a CAN was given but the chip offers no PACE")]
    CanWithoutPace,
    /// A mandatory file is missing.
    #[error("file {0} not found")]
    FileNotFound(&'static str),
    /// The chip refused access to a file (6982).
    #[error("access to {0} denied")]
    AccessDenied(&'static str),
    /// The chip answered an unexpected status word.
    #[error("{step}: chip answered {sw}")]
    Status {
        /// What was being done.
        step: &'static str,
        /// The status word.
        sw: StatusWord,
    },
    /// The chip kept rejecting reads even at the smallest Le.
    #[error("reading {0}: chip rejects every read size")]
    ReadSize(&'static str),
    /// A file's contents are malformed.
    #[error("file {file}: {error}")]
    Lds {
        /// The file.
        file: &'static str,
        /// The parse error.
        error: LdsError,
    },
    /// A file's TLV header or length is malformed.
    #[error("file {0}: malformed length")]
    BadFileLength(&'static str),
    /// An APDU could not be encoded or parsed.
    #[error("APDU: {0}")]
    Apdu(#[from] ApduError),
}

/// An elementary file of the eMRTD (ICAO 9303-10 §3.6, §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId {
    /// File identifier for SELECT.
    pub fid: u16,
    /// Short EF identifier (0 when none).
    pub sfi: u8,
    /// Name for reports and errors.
    pub name: &'static str,
}

impl FileId {
    /// EF.CardAccess (master file; readable before access control).
    pub const CARD_ACCESS: FileId = FileId {
        fid: 0x011C,
        sfi: 0x1C,
        name: "EF.CardAccess",
    };
    /// EF.CardSecurity (master file).
    pub const CARD_SECURITY: FileId = FileId {
        fid: 0x011D,
        sfi: 0x1D,
        name: "EF.CardSecurity",
    };
    /// EF.ATR/INFO (master file; extended-length information).
    pub const ATR_INFO: FileId = FileId {
        fid: 0x2F01,
        sfi: 0x01,
        name: "EF.ATR/INFO",
    };
    /// EF.COM.
    pub const COM: FileId = FileId {
        fid: 0x011E,
        sfi: 0x1E,
        name: "EF.COM",
    };
    /// EF.SOD.
    pub const SOD: FileId = FileId {
        fid: 0x011D,
        sfi: 0x1D,
        name: "EF.SOD",
    };

    /// Data group `n` (1..=16): FID 01nn, SFI nn.
    pub fn dg(n: u8) -> Option<FileId> {
        const NAMES: [&str; 16] = [
            "DG1", "DG2", "DG3", "DG4", "DG5", "DG6", "DG7", "DG8", "DG9", "DG10", "DG11", "DG12",
            "DG13", "DG14", "DG15", "DG16",
        ];
        (1..=16).contains(&n).then(|| FileId {
            fid: 0x0100 + n as u16,
            sfi: n,
            name: NAMES[n as usize - 1],
        })
    }
}

/// Whether to use extended-length READ BINARY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtendedLength {
    /// Use it when EF.ATR/INFO announces it (ISO/IEC 7816-4 DO'7F66'); fall back on rejection.
    Auto,
    /// Never.
    Off,
    /// Always, with this maximum response length; fall back on rejection.
    On(usize),
}

/// Options of the reader.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ReaderOptions {
    /// Extended-length reads.
    pub extended_length: ExtendedLength,
    /// First Le for short reads (256); lowered 256 → 224 → 192 → 160 → 128 on rejection.
    pub initial_le: usize,
    /// Read files by short EF identifier (saves a SELECT per file); falls back to SELECT.
    pub use_sfi: bool,
    /// Try PACE when EF.CardAccess offers it.
    pub prefer_pace: bool,
    /// Data groups to read when EF.COM lists them.
    pub data_groups: Vec<u8>,
    /// Run Active Authentication when DG15 is present (ICAO 9303-11 §6.1).
    pub active_authentication: bool,
    /// Run Chip Authentication when DG14 offers it and PACE-CAM did not already prove the
    /// chip (ICAO 9303-11 §6.2). It runs last: it replaces the secure channel.
    pub chip_authentication: bool,
}

impl Default for ReaderOptions {
    fn default() -> Self {
        ReaderOptions {
            extended_length: ExtendedLength::Auto,
            initial_le: 256,
            use_sfi: true,
            prefer_pace: true,
            data_groups: vec![1, 2, 7, 11, 12, 14, 15],
            active_authentication: true,
            chip_authentication: true,
        }
    }
}

/// The Le ladder of adaptive short reads.
const LE_LADDER: [usize; 5] = [256, 224, 192, 160, 128];

/// Counters for benchmarks and reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// APDUs exchanged.
    pub apdus: u32,
    /// Command bytes sent.
    pub bytes_sent: u64,
    /// Response bytes received.
    pub bytes_received: u64,
    /// Each step with its duration and APDU count.
    pub steps: Vec<StepStat>,
}

/// Time and APDUs of one step of the read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepStat {
    /// "EF.CardAccess", "PACE", "BAC", "DG2", ...
    pub step: &'static str,
    /// Wall time.
    pub duration: Duration,
    /// APDUs in this step.
    pub apdus: u32,
    /// Bytes of file content read in this step (0 for protocol steps).
    pub file_bytes: usize,
}

/// A transport wrapper counting APDUs and bytes; what PACE and CA are handed, so their APDUs
/// are counted too.
#[derive(Debug)]
pub struct Counting<T> {
    inner: T,
    apdus: u32,
    sent: u64,
    received: u64,
}

impl<T: Transport> Transport for Counting<T> {
    fn transmit(&mut self, capdu: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.apdus += 1;
        self.sent += capdu.len() as u64;
        let mut r = self.inner.transmit(capdu)?;
        self.received += r.len() as u64;
        // ISO/IEC 7816-4 §5.3.4 (T=0 transports): SW 61xx means more response bytes wait;
        // fetch them with GET RESPONSE (a bounded number of times) and join them, so every
        // protocol above (BAC, PACE, secure messaging) sees one complete response.
        let mut rounds = 0;
        while r.len() >= 2 && r[r.len() - 2] == 0x61 && rounds < 64 {
            rounds += 1;
            let n = r[r.len() - 1];
            r.truncate(r.len() - 2);
            let get = [0x00, 0xC0, 0x00, 0x00, n];
            self.apdus += 1;
            self.sent += get.len() as u64;
            let more = self.inner.transmit(&get)?;
            self.received += more.len() as u64;
            r.extend_from_slice(&more);
        }
        Ok(r)
    }
}

/// A chip session: transport, optional secure channel, the read-size state learnt from this
/// chip, and counters.
pub struct Chip<T: Transport> {
    transport: Counting<T>,
    sm: Option<SecureChannel>,
    options: ReaderOptions,
    /// Current short Le, lowered on rejection and remembered for this chip.
    le: usize,
    /// Maximum extended-length response, when extended reads are in use.
    extended_max: Option<usize>,
    steps: Vec<StepStat>,
}

impl<T: Transport> fmt::Debug for Chip<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Chip(sm={:?}, le={}, extended={:?}, apdus={})",
            self.sm, self.le, self.extended_max, self.transport.apdus
        )
    }
}

impl<T: Transport> Chip<T> {
    /// A session over `transport`, no secure messaging yet.
    pub fn new(transport: T, options: ReaderOptions) -> Self {
        let le = LE_LADDER
            .iter()
            .copied()
            .find(|l| *l <= options.initial_le)
            .unwrap_or(128);
        let extended_max = match options.extended_length {
            ExtendedLength::On(n) => Some(n.clamp(256, 65536)),
            _ => None,
        };
        Chip {
            transport: Counting {
                inner: transport,
                apdus: 0,
                sent: 0,
                received: 0,
            },
            sm: None,
            options,
            le,
            extended_max,
            steps: Vec::new(),
        }
    }

    /// The (counting) transport, for protocols that drive the chip themselves (PACE, CA).
    pub fn transport_mut(&mut self) -> &mut Counting<T> {
        &mut self.transport
    }

    /// Installs the secure channel established by BAC, PACE or CA; later commands are protected.
    pub fn set_secure_channel(&mut self, sm: SecureChannel) {
        self.sm = Some(sm);
    }

    /// The secure channel in use.
    pub fn secure_channel_mut(&mut self) -> Option<&mut SecureChannel> {
        self.sm.as_mut()
    }

    /// The short Le currently in use for this chip.
    pub fn current_le(&self) -> usize {
        self.le
    }

    /// The extended-length maximum in use, if any.
    pub fn extended_max(&self) -> Option<usize> {
        self.extended_max
    }

    /// Counters so far.
    pub fn stats(&self) -> ReadStats {
        ReadStats {
            apdus: self.transport.apdus,
            bytes_sent: self.transport.sent,
            bytes_received: self.transport.received,
            steps: self.steps.clone(),
        }
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport.inner
    }

    /// Sends a command, protected when a secure channel is set.
    pub fn send(&mut self, cmd: &CommandApdu) -> Result<ResponseApdu, ReadError> {
        match self.sm.as_mut() {
            None => {
                let r = self.transport.transmit(&cmd.to_bytes()?)?;
                Ok(ResponseApdu::parse(&r)?)
            }
            Some(sm) => {
                let p = sm.protect_command(cmd)?;
                let r = self.transport.transmit(&p.to_bytes()?)?;
                match sm.unprotect_response(&r) {
                    Ok(resp) => Ok(resp),
                    // A plain error status: the chip refused the command; with 6987/6988 it has
                    // also dropped the session. Callers see the status word.
                    Err(SmError::Unprotected(sw)) => {
                        if sw == StatusWord::SM_OBJECTS_INCORRECT
                            || sw == StatusWord::SM_OBJECTS_MISSING
                        {
                            self.sm = None;
                            return Err(SmError::Unprotected(sw).into());
                        }
                        Ok(ResponseApdu::new(Vec::new(), sw))
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    fn record(&mut self, step: &'static str, start: Instant, apdus0: u32, file_bytes: usize) {
        self.steps.push(StepStat {
            step,
            duration: start.elapsed(),
            apdus: self.transport.apdus - apdus0,
            file_bytes,
        });
    }

    /// SELECT of the eMRTD application (ICAO 9303-10 §3.6.1), without Le.
    pub fn select_application(&mut self) -> Result<(), ReadError> {
        let r = self.send(&apdu::select_emrtd_application())?;
        match r.sw {
            StatusWord::SUCCESS => Ok(()),
            StatusWord::FILE_NOT_FOUND => Err(ReadError::FileNotFound("eMRTD application")),
            sw => Err(ReadError::Status {
                step: "SELECT eMRTD application",
                sw,
            }),
        }
    }

    /// SELECT of the master file (for EF.CardAccess, EF.CardSecurity, EF.ATR/INFO).
    pub fn select_master_file(&mut self) -> Result<(), ReadError> {
        let r = self.send(&apdu::select_master_file())?;
        match r.sw {
            StatusWord::SUCCESS => Ok(()),
            sw => Err(ReadError::Status {
                step: "SELECT master file",
                sw,
            }),
        }
    }

    fn select_ef(&mut self, f: FileId) -> Result<(), ReadError> {
        let r = self.send(&apdu::select_ef(f.fid))?;
        match r.sw {
            StatusWord::SUCCESS => Ok(()),
            StatusWord::FILE_NOT_FOUND => Err(ReadError::FileNotFound(f.name)),
            StatusWord::SECURITY_STATUS_NOT_SATISFIED => Err(ReadError::AccessDenied(f.name)),
            sw => Err(ReadError::Status { step: "SELECT", sw }),
        }
    }

    /// Reads a whole transparent EF whose content is one BER-TLV object (all LDS files,
    /// EF.CardAccess, EF.CardSecurity), adapting the read size to the chip.
    pub fn read_file(&mut self, f: FileId) -> Result<Zeroizing<Vec<u8>>, ReadError> {
        let start = Instant::now();
        let apdus0 = self.transport.apdus;
        let r = self.read_file_inner(f);
        if let Ok(d) = &r {
            self.record(f.name, start, apdus0, d.len());
        }
        r
    }

    fn read_file_inner(&mut self, f: FileId) -> Result<Zeroizing<Vec<u8>>, ReadError> {
        let mut data: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
        // First chunk: by short EF identifier when allowed (implicitly selects the EF), else
        // SELECT then READ BINARY at offset 0.
        let mut selected = false;
        let mut sfi = (self.options.use_sfi && f.sfi != 0).then_some(f.sfi);
        let mut total: Option<usize> = None;
        loop {
            let offset = data.len();
            if let Some(t) = total {
                if offset >= t {
                    break;
                }
            }
            let want = match total {
                Some(t) => (t - offset).min(self.chunk_limit()),
                None => self.chunk_limit(),
            };
            if sfi.is_none() && !selected {
                self.select_ef(f)?;
                selected = true;
            }
            match self.read_chunk(f, sfi.filter(|_| offset <= 255), offset, want)? {
                Chunk::Data(d) => {
                    if d.is_empty() {
                        return Err(ReadError::BadFileLength(f.name));
                    }
                    let got = d.len();
                    data.extend_from_slice(&d);
                    if total.is_none() {
                        let (_, t) = tlv::encoded_size(&data)
                            .map_err(|_| ReadError::BadFileLength(f.name))?;
                        total = Some(t);
                    }
                    let t = total.unwrap_or(0);
                    // A short answer that is not the end of the file: this chip sends less
                    // than asked; read in its size from now on.
                    // (Odd-INS answers carry a DO'53' header inside Ne, so they are short by design.)
                    if got < want && data.len() < t && offset <= 0x7FFF {
                        self.shrink_to(got);
                    }
                    if data.len() > t {
                        data.truncate(t);
                    }
                    // After the first chunk, address the EF by the current-EF offset.
                    if sfi.is_some() {
                        selected = true;
                        sfi = None;
                    }
                }
                Chunk::SizeRejected => {
                    if !self.step_down() {
                        return Err(ReadError::ReadSize(f.name));
                    }
                }
                Chunk::SfiRejected => {
                    sfi = None;
                }
            }
        }
        Ok(data)
    }

    fn chunk_limit(&self) -> usize {
        self.extended_max.unwrap_or(self.le)
    }

    fn step_down(&mut self) -> bool {
        if self.extended_max.take().is_some() {
            // Extended length rejected: short reads from now on.
            return true;
        }
        match LE_LADDER.iter().copied().find(|l| *l < self.le) {
            Some(l) => {
                self.le = l;
                true
            }
            None => false,
        }
    }

    fn shrink_to(&mut self, got: usize) {
        if let Some(m) = self.extended_max {
            if got > 256 {
                self.extended_max = Some(got.min(m));
                return;
            }
            self.extended_max = None;
        }
        self.le = LE_LADDER
            .iter()
            .copied()
            .find(|l| *l <= got)
            .unwrap_or_else(|| got.max(1));
    }

    fn read_chunk(
        &mut self,
        f: FileId,
        sfi: Option<u8>,
        offset: usize,
        want: usize,
    ) -> Result<Chunk, ReadError> {
        let odd = offset > 0x7FFF;
        let mut ne = want;
        for _ in 0..2 {
            let cmd = if odd {
                // ICAO 9303-10 §3.6.2 / ISO 7816-4: offsets beyond 32767 use INS B1 with DO'54'.
                // The answer wraps the data in DO'53'.
                apdu::read_binary_odd(offset as u32, ne)
            } else if let Some(s) = sfi {
                apdu::read_binary_sfi(s, offset as u8, ne)
            } else {
                apdu::read_binary(offset as u16, ne)
            };
            let r = self.send(&cmd)?;
            match r.sw {
                StatusWord::SUCCESS | StatusWord::END_OF_FILE if !r.data.is_empty() => {
                    if odd {
                        let (t, _) = tlv::expect(&r.data, 0x53)
                            .map_err(|_| ReadError::BadFileLength(f.name))?;
                        return Ok(Chunk::Data(t.value.to_vec()));
                    }
                    return Ok(Chunk::Data(r.data));
                }
                sw if sw.exact_length().is_some() => {
                    ne = sw.exact_length().unwrap_or(ne);
                    continue;
                }
                StatusWord::WRONG_PARAMETERS
                | StatusWord::WRONG_LENGTH
                | StatusWord::END_OF_FILE => return Ok(Chunk::SizeRejected),
                StatusWord::FILE_NOT_FOUND => return Err(ReadError::FileNotFound(f.name)),
                StatusWord::SECURITY_STATUS_NOT_SATISFIED => {
                    return Err(ReadError::AccessDenied(f.name))
                }
                StatusWord::WRONG_P1P2
                | StatusWord::INS_NOT_SUPPORTED
                | StatusWord::CONDITIONS_NOT_SATISFIED
                    if sfi.is_some() =>
                {
                    return Ok(Chunk::SfiRejected)
                }
                sw => {
                    return Err(ReadError::Status {
                        step: "READ BINARY",
                        sw,
                    })
                }
            }
        }
        Ok(Chunk::SizeRejected)
    }

    /// Reads EF.ATR/INFO and enables extended-length reads when it announces them
    /// (ISO/IEC 7816-4 §12.7.1, DO'7F66' extended length information: max command and
    /// response lengths). Absent or unparsable: stays with short reads.
    pub fn probe_extended_length(&mut self) {
        if self.options.extended_length != ExtendedLength::Auto {
            return;
        }
        let Ok(info) = self.read_file_raw_sfi(FileId::ATR_INFO) else {
            return;
        };
        if let Some(max) = extended_length_info(&info) {
            // Keep room for secure-messaging overhead (DO'87' header and padding, DO'99', DO'8E').
            let usable = max.saturating_sub(64);
            if usable > 256 {
                self.extended_max = Some(usable.min(65536));
            }
        }
    }

    /// EF.ATR/INFO is not one TLV object but a sequence; read up to 256 bytes by SFI.
    fn read_file_raw_sfi(&mut self, f: FileId) -> Result<Vec<u8>, ReadError> {
        let r = self.send(&apdu::read_binary_sfi(f.sfi, 0, 256))?;
        if r.data.is_empty() {
            return Err(ReadError::FileNotFound(f.name));
        }
        Ok(r.data)
    }
}

enum Chunk {
    Data(Vec<u8>),
    SizeRejected,
    SfiRejected,
}

/// The maximum response length from DO'7F66' in EF.ATR/INFO, if present.
pub fn extended_length_info(info: &[u8]) -> Option<usize> {
    let (_, rest) = tlv::find_deep(info, 0x7F66)
        .ok()
        .flatten()
        .map(|t| ((), t))?;
    let ints: Vec<usize> = tlv::parse_all(rest.value)
        .ok()?
        .into_iter()
        .filter(|t| t.tag == 0x02 && !t.value.is_empty() && t.value.len() <= 4)
        .map(|t| t.value.iter().fold(0usize, |a, b| (a << 8) | *b as usize))
        .collect();
    ints.get(1).copied()
}

/// How to unlock the chip.
#[derive(Clone)]
#[non_exhaustive]
pub enum AccessKey {
    /// The MRZ (document number, birth and expiry dates): BAC or PACE with the MRZ password.
    Mrz(MrzKey),
    /// The card access number printed on the document: PACE only.
    Can(Zeroizing<String>),
}

impl fmt::Debug for AccessKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessKey::Mrz(_) => f.write_str("AccessKey::Mrz(<redacted>)"),
            AccessKey::Can(_) => f.write_str("AccessKey::Can(<redacted>)"),
        }
    }
}

impl From<&Mrz> for AccessKey {
    fn from(m: &Mrz) -> Self {
        AccessKey::Mrz(m.key())
    }
}

/// The access-control protocol that unlocked the chip.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccessProtocol {
    /// Basic Access Control, 3DES secure messaging.
    Bac,
    /// PACE; the string names the protocol (mapping, cipher) as PACE reports it.
    Pace(String),
}

/// A document read from a chip: raw files (personal data wiped on drop) and counters. Parsed
/// views are computed on demand with [`ReadDocument::mrz`] and [`ReadDocument::face`].
pub struct ReadDocument {
    /// The access protocol used.
    pub access: AccessProtocol,
    /// EF.CardAccess, when present.
    pub card_access: Option<Vec<u8>>,
    /// EF.CardSecurity, when read (after PACE).
    pub card_security: Option<Vec<u8>>,
    /// EF.COM.
    pub com: Option<Vec<u8>>,
    /// EF.SOD.
    pub sod: Vec<u8>,
    /// Data groups by number, raw bytes.
    pub data_groups: BTreeMap<u8, Zeroizing<Vec<u8>>>,
    /// PACE details when PACE was used.
    pub pace: Option<PaceSummary>,
    /// Active Authentication verdict (None: not run — no DG15 or disabled).
    pub active_authentication: Option<AaVerdict>,
    /// Chip Authentication verdict (None: not run — no DG14 CA info, disabled, or PACE-CAM).
    pub chip_authentication: Option<CaVerdict>,
    /// Counters and step timings.
    pub stats: ReadStats,
}

/// What PACE established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaceSummary {
    /// The protocol OID used.
    pub protocol_oid: String,
    /// The mapping.
    pub mapping: Mapping,
    /// The standardized domain-parameter id (0 for explicit parameters).
    pub parameter_id: u32,
    /// PACE-CAM: whether the chip's CA data verified against EF.CardSecurity's key
    /// (None when not CAM or EF.CardSecurity was unreadable). The signature over
    /// EF.CardSecurity is passive authentication's business.
    pub cam_verified: Option<bool>,
}

impl fmt::Debug for ReadDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dgs: Vec<(u8, usize)> = self
            .data_groups
            .iter()
            .map(|(k, v)| (*k, v.len()))
            .collect();
        write!(
            f,
            "ReadDocument(access={:?}, sod={} bytes, data_groups={:?}, apdus={})",
            self.access,
            self.sod.len(),
            dgs,
            self.stats.apdus
        )
    }
}

impl ReadDocument {
    /// DG1 parsed into an [`Mrz`].
    pub fn mrz(&self) -> Result<Mrz, LdsError> {
        let dg1 = self.data_groups.get(&1).ok_or(LdsError::Missing("DG1"))?;
        lds::parse_dg1(dg1)
    }

    /// DG2 parsed (first face image and its metadata).
    pub fn face(&self) -> Result<lds::FaceImage, LdsError> {
        let dg2 = self.data_groups.get(&2).ok_or(LdsError::Missing("DG2"))?;
        lds::parse_dg2(dg2)
    }

    /// Raw bytes of data group `n`.
    pub fn dg(&self, n: u8) -> Option<&[u8]> {
        self.data_groups.get(&n).map(|v| v.as_slice())
    }
}

/// True when EF.CardAccess holds a PACEInfo (OID prefix id-PACE 0.4.0.127.0.7.2.2.4,
/// ICAO 9303-11 §9.2.1).
pub fn card_access_offers_pace(card_access: &[u8]) -> bool {
    const ID_PACE: [u8; 8] = [0x04, 0x00, 0x7F, 0x00, 0x07, 0x02, 0x02, 0x04];
    // OID tag 06, length 0A (the id-PACE-* protocol OIDs are 10 bytes).
    card_access
        .windows(10)
        .any(|w| w[0] == 0x06 && w[1] == 0x0A && w[2..10] == ID_PACE)
}

fn ca_error_sw(_e: &ca::CaError) -> StatusWord {
    StatusWord::NO_PRECISE_DIAGNOSIS
}

/// INTERNAL AUTHENTICATE with a fresh 8-byte challenge, verified against the DG15 key.
fn active_authenticate<T: Transport>(
    chip: &mut Chip<T>,
    dg15: &[u8],
    dg14: Option<&SecurityInfos>,
) -> Result<AaVerdict, ReadError> {
    let key = match aa::dg15_public_key(dg15) {
        Ok(k) => k,
        Err(e) => {
            return Ok(AaVerdict {
                check: crate::pa::Check::not_possible(
                    aa::CHECK_NAME,
                    "aa_key_unsupported",
                    format!("DG15 key: {e}"),
                ),
                algorithm: None,
            })
        }
    };
    let mut challenge = [0u8; 8];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut challenge);
    let cmd = CommandApdu::parse(&aa::internal_authenticate_apdu(&challenge, 256))?;
    let r = chip.send(&cmd)?;
    let hash = dg14
        .and_then(|i| i.active_authentication())
        .and_then(|a| a.signature_algorithm.as_deref())
        .and_then(aa::hash_from_aa_signature_oid);
    if !r.sw.is_success() {
        return Ok(AaVerdict {
            check: crate::pa::Check::fail(
                aa::CHECK_NAME,
                "aa_signature_invalid",
                format!("chip answered INTERNAL AUTHENTICATE with {}", r.sw),
            ),
            algorithm: None,
        });
    }
    Ok(aa::verify(&key, &challenge, &r.data, hash))
}

/// Runs PACE with the document-pace implementation over the chip's counting transport.
fn establish_pace<T: Transport>(
    chip: &mut Chip<T>,
    card_access: &[u8],
    key: &AccessKey,
) -> Result<PaceOutcome, ReadError> {
    let infos = SecurityInfos::parse(card_access)
        .map_err(|e| ReadError::Pace(format!("EF.CardAccess: {e}")))?;
    let password = match key {
        AccessKey::Mrz(m) => Password::Mrz(m.clone()),
        AccessKey::Can(c) => Password::Can(c.clone()),
    };
    match pace::establish(
        chip.transport_mut(),
        &infos,
        &password,
        &PaceOptions::default(),
    ) {
        Ok(o) => Ok(o),
        Err(pace::PaceError::Transport(e)) => Err(ReadError::Transport(e)),
        Err(e) => Err(ReadError::Pace(e.to_string())),
    }
}

/// Reads a document (ICAO 9303-11 §4.2): EF.CardAccess, PACE or BAC, EF.COM, EF.SOD and the
/// data groups listed in EF.COM among `options.data_groups`. DG1 and EF.SOD are mandatory;
/// optional data groups the chip lacks are skipped. Any transport or secure-messaging failure
/// aborts the read with an error.
pub fn read_document<T: Transport>(
    transport: T,
    key: &AccessKey,
    options: ReaderOptions,
) -> Result<ReadDocument, ReadError> {
    let mut chip = Chip::new(transport, options);
    read_with(&mut chip, key)
}

/// [`read_document`] on an existing [`Chip`] (to inspect its counters and learnt Le afterwards).
pub fn read_with<T: Transport>(
    chip: &mut Chip<T>,
    key: &AccessKey,
) -> Result<ReadDocument, ReadError> {
    // ICAO 9303-11 §4.2: EF.CardAccess is in the master file and readable without access
    // control; its absence means no PACE.
    let card_access = match chip.read_file(FileId::CARD_ACCESS) {
        Ok(d) => Some(d.to_vec()),
        Err(ReadError::FileNotFound(_) | ReadError::AccessDenied(_) | ReadError::Status { .. }) => {
            None
        }
        Err(ReadError::ReadSize(_) | ReadError::BadFileLength(_)) => None,
        Err(e) => return Err(e),
    };
    chip.probe_extended_length();
    let offers_pace = card_access.as_deref().is_some_and(card_access_offers_pace);

    let mut access = None;
    let mut pace_error = None;
    let mut pace_outcome: Option<PaceOutcome> = None;
    if offers_pace && chip.options.prefer_pace {
        let start = Instant::now();
        let apdus0 = chip.transport.apdus;
        match establish_pace(chip, card_access.as_deref().unwrap_or(&[]), key) {
            Ok(outcome) => {
                let name = pace::protocol_name(&outcome.protocol);
                pace_outcome = Some(outcome);
                chip.record("PACE", start, apdus0, 0);
                access = Some(AccessProtocol::Pace(name));
            }
            Err(e @ ReadError::Transport(_)) => return Err(e),
            Err(e) => pace_error = Some(e),
        }
    }
    // Install PACE's channel; keep what is needed to verify PACE-CAM below.
    let mut pace_parts = None;
    if let Some(outcome) = pace_outcome {
        let PaceOutcome {
            channel,
            protocol,
            mapping,
            parameter_id,
            cam,
            ..
        } = outcome;
        chip.set_secure_channel(channel);
        pace_parts = Some((protocol.oid(), mapping, parameter_id, cam));
    }
    let card_security = if access.is_some() {
        // EF.CardSecurity (master file) holds the chip-authentication keys for PACE-CAM/CA.
        match chip.read_file(FileId::CARD_SECURITY) {
            Ok(d) => Some(d.to_vec()),
            Err(ReadError::Transport(e)) => return Err(ReadError::Transport(e)),
            Err(ReadError::SecureMessaging(e)) => return Err(ReadError::SecureMessaging(e)),
            Err(_) => None,
        }
    } else {
        None
    };
    // ICAO 9303-11 §4.4.3.5: PACE-CAM is verified with the chip-authentication key from
    // EF.CardSecurity (chosen by key id = parameter id when several share the curve).
    let pace = pace_parts.map(|(protocol_oid, mapping, parameter_id, cam)| {
        let cam_verified = match (&card_security, cam) {
            (Some(cs), Some(ev)) => SecurityInfos::parse_card_security_unverified(cs)
                .ok()
                .map(|infos| pace::verify_cam_evidence(&ev, parameter_id, &infos)),
            _ => None,
        };
        PaceSummary {
            protocol_oid,
            mapping,
            parameter_id,
            cam_verified,
        }
    });
    chip.select_application()?;
    if access.is_none() {
        let mrz = match key {
            AccessKey::Mrz(m) => m,
            AccessKey::Can(_) => {
                return Err(pace_error.unwrap_or(if offers_pace {
                    ReadError::PaceNotAvailable
                } else {
                    ReadError::CanWithoutPace
                }))
            }
        };
        let start = Instant::now();
        let apdus0 = chip.transport.apdus;
        match bac::perform(chip.transport_mut(), mrz) {
            Ok(sm) => {
                chip.set_secure_channel(sm);
                chip.record("BAC", start, apdus0, 0);
                access = Some(AccessProtocol::Bac);
            }
            Err(BacError::Transport(e)) => return Err(e.into()),
            // The chip offers PACE and refuses BAC: PACE was the only way in.
            Err(e) if offers_pace => return Err(pace_error.unwrap_or(ReadError::Bac(e))),
            Err(e) => return Err(e.into()),
        }
    }
    let access = access.unwrap_or(AccessProtocol::Bac);

    let com = match chip.read_file(FileId::COM) {
        Ok(d) => Some(d.to_vec()),
        Err(ReadError::FileNotFound(_)) => None,
        Err(e) => return Err(e),
    };
    let listed: Option<Vec<u8>> = match &com {
        Some(c) => Some(
            lds::parse_com(c)
                .map_err(|error| ReadError::Lds {
                    file: "EF.COM",
                    error,
                })?
                .data_groups,
        ),
        None => None,
    };
    let sod = chip.read_file(FileId::SOD)?.to_vec();
    let mut data_groups = BTreeMap::new();
    let wanted = chip.options.data_groups.clone();
    for n in wanted {
        if let Some(l) = &listed {
            if !l.contains(&n) && n != 1 {
                continue;
            }
        }
        let Some(f) = FileId::dg(n) else { continue };
        match chip.read_file(f) {
            Ok(d) => {
                data_groups.insert(n, d);
            }
            // Optional data groups may be absent or access-protected (DG3/DG4 need EAC).
            Err(ReadError::FileNotFound(_) | ReadError::AccessDenied(_)) if n != 1 => {}
            Err(e) => return Err(e),
        }
    }
    if !data_groups.contains_key(&1) {
        return Err(ReadError::FileNotFound("DG1"));
    }
    let dg14_infos = data_groups
        .get(&14)
        .and_then(|d| SecurityInfos::parse(d).ok());

    // Active Authentication (ICAO 9303-11 §6.1) while the current channel still stands.
    let active_authentication = match data_groups.get(&15) {
        Some(dg15) if chip.options.active_authentication => {
            let start = Instant::now();
            let apdus0 = chip.transport.apdus;
            let v = active_authenticate(chip, dg15, dg14_infos.as_ref())?;
            chip.record("AA", start, apdus0, 0);
            Some(v)
        }
        _ => None,
    };

    // Chip Authentication (ICAO 9303-11 §6.2) last: it replaces the secure channel, and a
    // failure (a cloned chip) leaves no usable channel.
    let cam = pace
        .as_ref()
        .is_some_and(|p| p.mapping == Mapping::ChipAuthentication);
    let chip_authentication = match (&dg14_infos, chip.sm.take()) {
        (Some(infos), Some(channel))
            if chip.options.chip_authentication && !cam && ca::select(infos).is_some() =>
        {
            let start = Instant::now();
            let apdus0 = chip.transport.apdus;
            let outcome = match ca::authenticate(chip.transport_mut(), channel, infos) {
                Ok(o) => o,
                Err(ca::CaError::Transport(e)) => return Err(ReadError::Transport(e)),
                Err(e) => {
                    return Err(ReadError::Status {
                        step: "Chip Authentication",
                        sw: ca_error_sw(&e),
                    })
                }
            };
            chip.sm = outcome.channel;
            chip.record("CA", start, apdus0, 0);
            Some(outcome.verdict)
        }
        (_, channel) => {
            chip.sm = channel;
            None
        }
    };

    Ok(ReadDocument {
        access,
        card_access,
        card_security,
        com,
        sod,
        data_groups,
        pace,
        active_authentication,
        chip_authentication,
        stats: chip.stats(),
    })
}
