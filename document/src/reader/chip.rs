//! Chip file access (ICAO 9303-10 §3.6, ISO/IEC 7816-4 §7.2): SELECT and READ BINARY with an
//! adaptive Le that steps down when a chip refuses a size, extended length when EF.ATR/INFO
//! announces it, short EF identifiers, and per-step counters.
//!
//! Under secure messaging with short APDUs the first Le is the largest plaintext whose
//! protected response fits in 256 bytes ([`sm::max_plaintext`], ICAO 9303-11 §9.8). A chip
//! that answers inside a session without secure-messaging data objects has ended the session
//! (ICAO 9303-11 §9.8.6): the reader runs access control again with the same password and
//! resumes the file at the same offset with a smaller Le, a bounded number of times, and
//! records each [`Recovery`].

use std::fmt;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use super::ReadError;
use crate::apdu::{self, CommandApdu, ResponseApdu, StatusWord, SHORT_MAX_NE};
use crate::bac;
use crate::mrz::MrzKey;
use crate::pace::{self, PaceOptions, Password};
use crate::secinfo::SecurityInfos;
use crate::sm::{self, SecureChannel, SmError};
use crate::tlv;
use crate::transport::{Transport, TransportError};

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
    const fn new(fid: u16, sfi: u8, name: &'static str) -> FileId {
        FileId { fid, sfi, name }
    }

    /// EF.CardAccess (master file; readable before access control).
    pub const CARD_ACCESS: FileId = FileId::new(0x011C, 0x1C, "EF.CardAccess");
    /// EF.CardSecurity (master file).
    pub const CARD_SECURITY: FileId = FileId::new(0x011D, 0x1D, "EF.CardSecurity");
    /// EF.ATR/INFO (master file; extended-length information).
    pub const ATR_INFO: FileId = FileId::new(0x2F01, 0x01, "EF.ATR/INFO");
    /// EF.COM.
    pub const COM: FileId = FileId::new(0x011E, 0x1E, "EF.COM");
    /// EF.SOD.
    pub const SOD: FileId = FileId::new(0x011D, 0x1D, "EF.SOD");

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
    /// Under secure messaging it is capped at what a short protected response can hold
    /// ([`sm::max_plaintext`]: 223 bytes with AES, 231 with 3DES).
    pub initial_le: usize,
    /// Read files by short EF identifier (saves a SELECT per file); falls back to SELECT.
    pub use_sfi: bool,
    /// Try PACE when EF.CardAccess offers it.
    pub prefer_pace: bool,
    /// Data groups to read when EF.SOD or EF.COM lists them. DG14 and DG15 (the
    /// chip-authentication keys) are read whenever listed, whatever this says.
    pub data_groups: Vec<u8>,
    /// Run Active Authentication when DG15 is present (ICAO 9303-11 §6.1).
    pub active_authentication: bool,
    /// Run Chip Authentication when DG14 offers it and PACE-CAM did not already prove the
    /// chip (ICAO 9303-11 §6.2). It runs last: it replaces the secure channel.
    pub chip_authentication: bool,
    /// How many times one read may re-run access control after the chip ended its secure
    /// messaging session (ICAO 9303-11 §9.8.6); beyond it the read fails.
    pub max_recoveries: usize,
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
            max_recoveries: 4,
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
    /// Each step with its duration and APDU count. A recovery is a step of its own
    /// ("recovery"), inside the step of the file being read.
    pub steps: Vec<StepStat>,
    /// Each time the chip ended its secure-messaging session and the reader re-ran access
    /// control to continue.
    pub recoveries: Vec<Recovery>,
}

/// One recovery from a chip that answered without secure-messaging data objects inside a
/// session (ICAO 9303-11 §9.8.6): access control ran again and the file read resumed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovery {
    /// The file being read.
    pub file: &'static str,
    /// The offset at which the read resumed.
    pub offset: usize,
    /// The plain status word the chip answered.
    pub status: StatusWord,
    /// The Le that was refused.
    pub le_before: usize,
    /// The Le the read resumed with.
    pub le_after: usize,
    /// Time from the refused command to the restored session (the cost of the recovery).
    pub duration: Duration,
    /// APDUs of the refused command and the new access control.
    pub apdus: u32,
}

/// How to open the chip again after it ended its session: the access control that opened it
/// first, with the same password.
#[derive(Clone)]
pub(super) enum Reopen {
    /// BAC with the MRZ key.
    Bac(MrzKey),
    /// PACE with the same protocol and password.
    Pace {
        /// EF.CardAccess, parsed.
        infos: SecurityInfos,
        /// The password.
        password: Password,
        /// The protocol OID of the first run.
        protocol_oid: String,
    },
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
    pub(super) apdus: u32,
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
    pub(super) transport: Counting<T>,
    pub(super) sm: Option<SecureChannel>,
    pub(super) options: ReaderOptions,
    /// Current short Le, lowered on rejection and remembered for this chip.
    le: usize,
    /// Maximum extended-length response, when extended reads are in use.
    extended_max: Option<usize>,
    steps: Vec<StepStat>,
    /// How to re-run access control when the chip ends its session (set by the read
    /// procedure once access control succeeded, cleared before Chip Authentication).
    pub(super) reopen: Option<Reopen>,
    /// Whether the eMRTD application (rather than the master file) is the current DF.
    in_application: bool,
    recoveries: Vec<Recovery>,
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
            reopen: None,
            in_application: false,
            recoveries: Vec::new(),
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

    /// The short Le currently in use for this chip (capped under secure messaging at what a
    /// short protected response can hold).
    pub fn current_le(&self) -> usize {
        self.le.min(self.short_cap())
    }

    /// The largest short Le the current channel can answer: 256 in plain, the largest
    /// plaintext whose protected response fits in 256 bytes under secure messaging.
    fn short_cap(&self) -> usize {
        self.sm.as_ref().map_or(SHORT_MAX_NE, |c| {
            sm::max_plaintext(c.cipher(), SHORT_MAX_NE)
        })
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
            recoveries: self.recoveries.clone(),
        }
    }

    /// Gives the transport back.
    pub fn into_transport(self) -> T {
        self.transport.inner
    }

    /// Sends a command, protected when a secure channel is set. A response without
    /// secure-messaging data objects inside a session means the chip has ended the session
    /// (ICAO 9303-11 §9.8.6): the channel is dropped and the status comes back as
    /// [`SmError::Unprotected`].
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
                    Err(e @ SmError::Unprotected(_)) => {
                        // The send sequence counters no longer agree whatever the chip does
                        // next; only new access control gives a usable channel.
                        self.sm = None;
                        Err(e.into())
                    }
                    Err(e) => Err(e.into()),
                }
            }
        }
    }

    pub(super) fn record(
        &mut self,
        step: &'static str,
        start: Instant,
        apdus0: u32,
        file_bytes: usize,
    ) {
        self.steps.push(StepStat {
            step,
            duration: start.elapsed(),
            apdus: self.transport.apdus - apdus0,
            file_bytes,
        });
    }

    /// SELECT of the eMRTD application (ICAO 9303-10 §3.6.1), without Le.
    pub fn select_application(&mut self) -> Result<(), ReadError> {
        let step = "SELECT eMRTD application";
        match self.select_df(&apdu::select_emrtd_application(), step, true) {
            Err(ReadError::Status {
                sw: StatusWord::FILE_NOT_FOUND,
                ..
            }) => Err(ReadError::FileNotFound("eMRTD application")),
            done => done,
        }
    }

    /// SELECT of the master file (for EF.CardAccess, EF.CardSecurity, EF.ATR/INFO).
    pub fn select_master_file(&mut self) -> Result<(), ReadError> {
        self.select_df(&apdu::select_master_file(), "SELECT master file", false)
    }

    /// Sends the SELECT of a DF; once it succeeds the reader is inside the eMRTD
    /// application or not.
    fn select_df(
        &mut self,
        select: &CommandApdu,
        step: &'static str,
        application: bool,
    ) -> Result<(), ReadError> {
        match self.send(select)?.sw {
            StatusWord::SUCCESS => {
                self.in_application = application;
                Ok(())
            }
            sw => Err(ReadError::Status { step, sw }),
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
        // A chunk at an offset up to 255 may address the EF by short EF identifier, which
        // selects it implicitly; otherwise SELECT first. `current`: the EF is selected.
        let mut sfi_ok = self.options.use_sfi && f.sfi != 0;
        let mut current = false;
        let mut total: Option<usize> = None;
        loop {
            let offset = data.len();
            if total.is_some_and(|t| offset >= t) {
                break;
            }
            let want = match total {
                Some(t) => (t - offset).min(self.chunk_limit()),
                None => self.chunk_limit(),
            };
            let by_sfi = !current && sfi_ok && offset <= 255;
            let start = Instant::now();
            let apdus0 = self.transport.apdus;
            let chunk = match self.select_and_read(f, current, by_sfi, offset, want) {
                Ok(c) => c,
                Err(ReadError::SecureMessaging(SmError::Unprotected(sw)))
                    if self.reopen.is_some() =>
                {
                    self.recover(f, offset, want, sw, start, apdus0)?;
                    current = false;
                    match sw {
                        StatusWord::FILE_NOT_FOUND => return Err(ReadError::FileNotFound(f.name)),
                        StatusWord::SECURITY_STATUS_NOT_SATISFIED => {
                            return Err(ReadError::AccessDenied(f.name))
                        }
                        _ => continue,
                    }
                }
                Err(e) => return Err(e),
            };
            current |= !by_sfi;
            match chunk {
                Chunk::Data(d) => {
                    current = true;
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
                    // A short answer that is not the end of the file (9000 with fewer bytes, or
                    // the answer to a 6Cxx correction): this chip serves this much; read in
                    // its size from now on. Odd-INS answers carry a DO'53' header inside Ne,
                    // so they are short by design.
                    if got < want && data.len() < t && offset <= 0x7FFF {
                        self.shrink_to(got);
                    }
                    if data.len() > t {
                        data.truncate(t);
                    }
                }
                Chunk::SizeRejected => {
                    if !self.step_down() {
                        return Err(ReadError::ReadSize(f.name));
                    }
                }
                Chunk::SfiRejected => {
                    sfi_ok = false;
                    current = false;
                }
            }
        }
        Ok(data)
    }

    /// SELECT of the EF when it is not current and not addressed by SFI, then one READ BINARY.
    fn select_and_read(
        &mut self,
        f: FileId,
        current: bool,
        by_sfi: bool,
        offset: usize,
        want: usize,
    ) -> Result<Chunk, ReadError> {
        if !current && !by_sfi {
            self.select_ef(f)?;
        }
        self.read_chunk(f, by_sfi.then_some(f.sfi), offset, want)
    }

    /// The chip answered `sw` without secure messaging inside a session (ICAO 9303-11
    /// §9.8.6) to a read that asked for `asked` bytes: re-run access control, re-select the DF, choose the Le to resume with, and
    /// record the recovery. Fails when the bound of recoveries is reached.
    fn recover(
        &mut self,
        f: FileId,
        offset: usize,
        asked: usize,
        sw: StatusWord,
        start: Instant,
        apdus0: u32,
    ) -> Result<(), ReadError> {
        if self.recoveries.len() >= self.options.max_recoveries {
            return Err(SmError::Unprotected(sw).into());
        }
        let Some(how) = self.reopen.clone() else {
            return Err(SmError::Unprotected(sw).into());
        };
        self.reopen_session(how)?;
        if let Some(xx) = sw.exact_length() {
            // 6Cxx: the chip named the Le it can serve.
            self.extended_max = None;
            self.le = xx;
        } else if sw != StatusWord::FILE_NOT_FOUND
            && sw != StatusWord::SECURITY_STATUS_NOT_SATISFIED
            && !self.step_down_from(asked)
        {
            return Err(ReadError::ReadSize(f.name));
        }
        let recovery = Recovery {
            file: f.name,
            offset,
            status: sw,
            le_before: asked,
            le_after: self.chunk_limit(),
            duration: start.elapsed(),
            apdus: self.transport.apdus - apdus0,
        };
        self.record("recovery", start, apdus0, 0);
        self.recoveries.push(recovery);
        Ok(())
    }

    /// Runs the access control that opened the chip again, with the same password, and
    /// selects the DF that was current. For when the chip has ended its session.
    pub(super) fn reopen_session(&mut self, how: Reopen) -> Result<(), ReadError> {
        let in_application = self.in_application;
        self.sm = None;
        match how {
            Reopen::Bac(key) => {
                // BAC runs in the eMRTD application (ICAO 9303-11 §4.2).
                self.select_application()?;
                let channel = bac::perform(&mut self.transport, &key).map_err(|e| match e {
                    bac::BacError::Transport(t) => ReadError::Transport(t),
                    e => ReadError::Bac(e),
                })?;
                self.sm = Some(channel);
            }
            Reopen::Pace {
                infos,
                password,
                protocol_oid,
            } => {
                // PACE runs with the master file current; a chip that refuses the SELECT may
                // still run PACE.
                match self.select_master_file() {
                    Err(e @ ReadError::Transport(_)) => return Err(e),
                    _ => self.in_application = false,
                }
                let opts = PaceOptions {
                    protocol_oid: Some(protocol_oid),
                    ..PaceOptions::default()
                };
                let outcome = pace::establish(&mut self.transport, &infos, &password, &opts)
                    .map_err(|e| match e {
                        pace::PaceError::Transport(t) => ReadError::Transport(t),
                        e => ReadError::Pace(e.to_string()),
                    })?;
                self.sm = Some(outcome.channel);
                if in_application {
                    self.select_application()?;
                }
            }
        }
        Ok(())
    }

    fn chunk_limit(&self) -> usize {
        self.extended_max.unwrap_or_else(|| self.current_le())
    }

    fn step_down(&mut self) -> bool {
        let from = self.chunk_limit();
        self.step_down_from(from)
    }

    /// Lowers the read size below `from`: extended length off first, then down the ladder.
    fn step_down_from(&mut self, from: usize) -> bool {
        if self.extended_max.take().is_some() {
            // Extended length rejected: short reads from now on.
            return true;
        }
        match LE_LADDER.iter().copied().find(|l| *l < from) {
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
        self.le = got.max(1);
    }

    fn read_chunk(
        &mut self,
        f: FileId,
        sfi: Option<u8>,
        offset: usize,
        want: usize,
    ) -> Result<Chunk, ReadError> {
        let odd = offset > 0x7FFF;
        // Odd INS: Ne counts the DO'53' around the data (ISO/IEC 7816-4 §11.3.3), whose
        // header takes up to 4 bytes; ask for them too, within the chunk limit.
        let mut ne = if odd {
            (want + 4).min(self.chunk_limit().max(want))
        } else {
            want
        };
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
