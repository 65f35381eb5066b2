//! A sans-IO virtual eMRTD chip: `process(C-APDU) -> R-APDU`.
//!
//! It implements the card side of ICAO Doc 9303 Part 11: a file system with access conditions
//! (only EF.CardAccess readable before access control), SELECT, READ BINARY (even and odd INS,
//! short EF identifiers, extended length), BAC, PACE (Generic Mapping on ECDH and DH, Chip
//! Authentication Mapping; MRZ and CAN passwords), 3DES and AES secure messaging, Active
//! Authentication and Chip Authentication. Every input byte is untrusted: malformed APDUs get a
//! status word, never a panic.
//!
//! Quirks of real chips ([`Quirks`]) are configurable so readers can be tested against them.

mod auth;
mod bac;
pub mod capdu;
pub mod fs;
pub mod link;
mod pace;
pub mod sm;

use std::time::Duration;

pub use auth::{AaKey, CaKey};
pub use fs::{FileSystem, StandardFile};
pub use link::LinkModel;
pub use pace::{PaceMapping, PaceOffer};

use document::tlv;
use fs::{AccessCondition, Df};
use sm::{PlainCommand, SmSession};

/// Status words the chip answers (ISO/IEC 7816-4 §5.6).
pub mod sw {
    /// Normal processing.
    pub const OK: u16 = 0x9000;
    /// End of file reached before reading Le bytes.
    pub const END_OF_FILE: u16 = 0x6282;
    /// Authentication failed (BAC/PACE token wrong).
    pub const AUTH_FAILED: u16 = 0x6300;
    /// Wrong length.
    pub const WRONG_LENGTH: u16 = 0x6700;
    /// Security status not satisfied.
    pub const SECURITY_STATUS: u16 = 0x6982;
    /// Conditions of use not satisfied (e.g. a command out of sequence).
    pub const CONDITIONS: u16 = 0x6985;
    /// Expected SM data objects missing.
    pub const SM_MISSING: u16 = 0x6987;
    /// SM data objects incorrect (wrong MAC).
    pub const SM_INCORRECT: u16 = 0x6988;
    /// Incorrect data field.
    pub const WRONG_DATA: u16 = 0x6A80;
    /// File not found.
    pub const FILE_NOT_FOUND: u16 = 0x6A82;
    /// Incorrect P1-P2.
    pub const WRONG_P1P2: u16 = 0x6A86;
    /// Lc inconsistent with P1-P2 (what some chips answer to MSE:Set AT without tag 84).
    pub const LC_INCONSISTENT: u16 = 0x6A87;
    /// Referenced data not found.
    pub const REF_NOT_FOUND: u16 = 0x6A88;
    /// Wrong parameters P1-P2 (offset outside the file).
    pub const WRONG_OFFSET: u16 = 0x6B00;
    /// Instruction not supported.
    pub const INS_NOT_SUPPORTED: u16 = 0x6D00;
    /// Class not supported.
    pub const CLA_NOT_SUPPORTED: u16 = 0x6E00;
}

/// What a chip answers to a READ BINARY it cannot serve in full: Le above `max_le`, or an
/// answer longer than its response buffer (`response_limit`) or than the command's Ne allows
/// (docs/emrtd-notes.md, "What real passports do").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OversizeRead {
    /// `oversize_read_sw`, protected when in a session.
    Status,
    /// `oversize_read_sw` without secure messaging, which ends the session (ICAO 9303-11
    /// §9.8.6): the reader must run access control again.
    PlainStatus,
    /// 9000 with as many bytes as fit.
    Truncate,
    /// 6Cxx (ISO/IEC 7816-4 §5.6): wrong Le, xx is the Le that fits; protected in a session.
    CorrectLe,
}

impl OversizeRead {
    /// All behaviours, for profiles.
    pub const ALL: [OversizeRead; 4] = [
        OversizeRead::Status,
        OversizeRead::PlainStatus,
        OversizeRead::Truncate,
        OversizeRead::CorrectLe,
    ];

    /// Name used in profiles.
    pub fn name(self) -> &'static str {
        match self {
            OversizeRead::Status => "status",
            OversizeRead::PlainStatus => "plain-status",
            OversizeRead::Truncate => "truncate",
            OversizeRead::CorrectLe => "6cxx",
        }
    }

    /// Parses a profile name.
    pub fn from_name(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.name() == s)
    }
}

/// Behaviours of real chips that readers must cope with (docs/emrtd-notes.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quirks {
    /// Largest Le a READ BINARY may ask for; a larger one is answered as `oversize_read` says.
    pub max_le: Option<usize>,
    /// Status word for a READ BINARY the chip cannot serve (6700, 6B00 or 6282 in the field).
    pub oversize_read_sw: u16,
    /// What the chip answers to a READ BINARY it cannot serve in full.
    pub oversize_read: OversizeRead,
    /// Largest response data field (secure-messaging objects included, SW excluded) the chip
    /// sends; the command's Ne caps it too (256 for a short APDU, ISO/IEC 7816-4 §5.1). `None`:
    /// no limit, the answer is sent whatever its length.
    pub response_limit: Option<usize>,
    /// Answer 6282 (end of file reached before Le bytes, ISO/IEC 7816-4 §5.6) instead of 9000
    /// when a READ BINARY asks past the end of the file.
    pub end_of_file_6282: bool,
    /// Refuse (6700) a SELECT or MSE command that carries an Le.
    pub refuse_le_on_select_mse: bool,
    /// Answer 6A87 to MSE:Set AT without the parameter-id tag 0x84.
    pub require_param_id: bool,
    /// Accept extended-length APDUs (ISO/IEC 7816-4 §5.1).
    pub extended_length: bool,
    /// Extra processing time per APDU (a slow chip).
    pub answer_delay: Duration,
}

impl Default for Quirks {
    fn default() -> Self {
        Self {
            max_le: None,
            oversize_read_sw: sw::WRONG_LENGTH,
            oversize_read: OversizeRead::Status,
            response_limit: None,
            end_of_file_6282: false,
            refuse_le_on_select_mse: false,
            require_param_id: false,
            extended_length: true,
            answer_delay: Duration::ZERO,
        }
    }
}

/// Everything a virtual chip is made of: its files, secrets and behaviour.
#[derive(Debug, Clone)]
pub struct ChipSpec {
    /// The files.
    pub files: FileSystem,
    /// MRZ_information (document number, date of birth, date of expiry with their check
    /// digits; ICAO 9303-11 §9.7.2): the BAC and PACE-MRZ password.
    pub mrz_information: String,
    /// Card access number for PACE-CAN, if the chip has one.
    pub can: Option<String>,
    /// Whether BAC is offered (a PACE-only chip sets it to false).
    pub bac: bool,
    /// The PACE protocols and parameters offered (they must match EF.CardAccess).
    pub pace: Vec<PaceOffer>,
    /// The Active Authentication private key (DG15's counterpart); `None` for a clone.
    pub aa_key: Option<AaKey>,
    /// Chip Authentication private keys (DG14/EF.CardSecurity counterparts); empty for a clone.
    pub ca_keys: Vec<CaKey>,
    /// Answer INTERNAL AUTHENTICATE with a signature one bit off (a forgery whose AA fails
    /// while its other protections may pass).
    pub corrupt_aa_signature: bool,
    /// Quirks.
    pub quirks: Quirks,
}

/// The access-control state.
enum Access {
    /// Nothing established: only EF.CardAccess is readable.
    None,
    /// BAC started: GET CHALLENGE gave this RND.ICC.
    BacChallenge([u8; 8]),
    /// PACE in progress.
    Pace(Box<pace::PaceRun>),
    /// A secure-messaging session.
    Secure(Box<Session>),
}

/// An established secure-messaging session.
struct Session {
    sm: SmSession,
    /// True when the session was established by PACE (EF.CardSecurity readable).
    pace: bool,
    /// The PACE ephemeral public key of the chip, for CA's "compressed ephemeral key" check.
    _pace_pk: Option<Vec<u8>>,
}

/// The virtual chip.
pub struct VirtualChip {
    spec: ChipSpec,
    access: Access,
    df: Df,
    ef: Option<usize>,
    apdus: u64,
    /// Session keys that replace the current ones after the next response (Chip Authentication
    /// answers under the old keys, ICAO 9303-11 §6.2.4).
    pending_session: Option<SmSession>,
    /// CA with AES: MSE:Set AT seen (cipher, key id, DH?), waiting for GENERAL AUTHENTICATE.
    ca_pending: Option<(document::crypto::Cipher, Option<u32>, bool)>,
    /// Ne of the command being processed as it came on the wire (for a protected command the
    /// outer Le: 256 short, 65 536 extended), which bounds the response data field.
    wire_ne: usize,
    /// A status to answer without secure messaging, ending the session (set while
    /// processing a protected command).
    plain_answer: Option<u16>,
    /// A warning status (62xx) to answer with the data instead of 9000.
    warning: Option<u16>,
}

impl VirtualChip {
    /// A chip powered up with nothing selected.
    pub fn new(spec: ChipSpec) -> Self {
        Self {
            spec,
            access: Access::None,
            df: Df::Master,
            ef: None,
            apdus: 0,
            pending_session: None,
            ca_pending: None,
            wire_ne: 256,
            plain_answer: None,
            warning: None,
        }
    }

    /// What the chip is made of.
    pub fn spec(&self) -> &ChipSpec {
        &self.spec
    }

    /// Number of APDUs processed since power-up.
    pub fn apdu_count(&self) -> u64 {
        self.apdus
    }

    /// Power cycle / reset: drops the session and the selection (ISO/IEC 7816-3 cold reset).
    pub fn reset(&mut self) {
        self.access = Access::None;
        self.df = Df::Master;
        self.ef = None;
        self.pending_session = None;
        self.ca_pending = None;
    }

    fn reset_access(&mut self) {
        self.access = Access::None;
        self.pending_session = None;
        self.ca_pending = None;
    }

    /// Whether a secure-messaging session is active.
    pub fn in_session(&self) -> bool {
        matches!(self.access, Access::Secure(_))
    }

    /// Processes one command APDU and returns the response APDU (data || SW1 SW2).
    pub fn process(&mut self, capdu: &[u8]) -> Vec<u8> {
        self.apdus += 1;
        let Some(cmd) = capdu::parse(capdu) else {
            return sw_only(sw::WRONG_LENGTH);
        };
        if cmd.extended && !self.spec.quirks.extended_length {
            return sw_only(sw::WRONG_LENGTH);
        }
        self.wire_ne = cmd.le.unwrap_or(if cmd.extended { 65_536 } else { 256 });
        self.plain_answer = None;
        self.warning = None;
        if cmd.cla & 0x0C == 0x0C {
            // A protected command (ICAO 9303-11 §9.8).
            let Access::Secure(session) = &mut self.access else {
                return sw_only(sw::SM_MISSING);
            };
            let plain = match session.sm.unwrap_command(capdu) {
                Ok(p) => p,
                Err(e) => {
                    // §9.8.7: an SM error aborts the session; the answer is unprotected.
                    self.reset_access();
                    return sw_only(e.sw());
                }
            };
            let (data, status) = self.dispatch(&plain, true);
            if let Some(status) = self.plain_answer.take() {
                // §9.8.6: a status without SM data objects; the chip ends the session.
                self.reset_access();
                return sw_only(status);
            }
            match &mut self.access {
                Access::Secure(session) => {
                    let out = session.sm.wrap_response(&data, status);
                    if let Some(next) = self.pending_session.take() {
                        session.sm = next;
                    }
                    out
                }
                // The command ended or replaced the session (CA switches keys after answering
                // under the old ones; see `auth`).
                _ => plain_response(data, status),
            }
        } else {
            if cmd.cla & 0xE0 != 0 && cmd.cla != 0x10 {
                return sw_only(sw::CLA_NOT_SUPPORTED);
            }
            if matches!(self.access, Access::Secure(_)) {
                // A plain command inside a session ends it (ICAO 9303-11 §9.8.7 treats it as an
                // SM error); the command then runs unauthenticated.
                self.reset_access();
            }
            let plain = PlainCommand {
                cla: cmd.cla,
                ins: cmd.ins,
                p1: cmd.p1,
                p2: cmd.p2,
                data: cmd.data.to_vec(),
                le: cmd.le,
            };
            let (data, status) = self.dispatch(&plain, false);
            plain_response(data, status)
        }
    }

    fn dispatch(&mut self, cmd: &PlainCommand, protected: bool) -> (Vec<u8>, u16) {
        let r = match cmd.ins {
            0xA4 => self.select(cmd),
            0xB0 | 0xB1 => self.read_binary(cmd, protected),
            0x84 if !protected => bac::get_challenge(self, cmd),
            0x82 if !protected => bac::external_authenticate(self, cmd),
            0x22 => self.manage_security_environment(cmd, protected),
            0x86 => self.general_authenticate(cmd, protected),
            0x88 => auth::internal_authenticate(self, cmd, protected),
            _ => Err(sw::INS_NOT_SUPPORTED),
        };
        match r {
            Ok(data) => (data, self.warning.take().unwrap_or(sw::OK)),
            Err(status) => (Vec::new(), status),
        }
    }

    /// SELECT (ISO/IEC 7816-4 §11.1.1; ICAO 9303-10 §3.9.3).
    fn select(&mut self, cmd: &PlainCommand) -> Result<Vec<u8>, u16> {
        if self.spec.quirks.refuse_le_on_select_mse && cmd.le.is_some() {
            return Err(sw::WRONG_LENGTH);
        }
        match cmd.p1 {
            // Select MF: P1=00 with 3F00 or no data.
            0x00 if cmd.data.is_empty() || cmd.data == [0x3F, 0x00] => {
                self.df = Df::Master;
                self.ef = None;
                Ok(Vec::new())
            }
            // Select by DF name (AID).
            0x04 => {
                if cmd.data == fs::LDS1_AID {
                    self.df = Df::Lds1;
                    self.ef = None;
                    Ok(Vec::new())
                } else {
                    Err(sw::FILE_NOT_FOUND)
                }
            }
            // Select EF under the current DF (P1=02), or by FID from MF (P1=00).
            0x00 | 0x02 => {
                let [hi, lo] = cmd.data[..] else {
                    return Err(sw::WRONG_DATA);
                };
                let fid = u16::from_be_bytes([hi, lo]);
                let i = self
                    .spec
                    .files
                    .by_fid(self.df, fid)
                    .ok_or(sw::FILE_NOT_FOUND)?;
                self.ef = Some(i);
                Ok(self.fcp(i, cmd))
            }
            _ => Err(sw::WRONG_P1P2),
        }
    }

    /// A minimal FCP template (ISO/IEC 7816-4 §5.3.3) when P2 asks for one.
    fn fcp(&self, i: usize, cmd: &PlainCommand) -> Vec<u8> {
        if cmd.p2 & 0x0C == 0x0C {
            return Vec::new();
        }
        let Some(f) = self.spec.files.get(i) else {
            return Vec::new();
        };
        let size = u16::try_from(f.content.len()).unwrap_or(u16::MAX);
        let mut inner = tlv::encode(0x80, &size.to_be_bytes());
        inner.extend_from_slice(&tlv::encode(0x83, &f.fid.to_be_bytes()));
        tlv::encode(0x62, &inner)
    }

    fn may_read(&self, access: AccessCondition) -> bool {
        match (&self.access, access) {
            (_, AccessCondition::Always) => true,
            (Access::Secure(_), AccessCondition::SecureMessaging) => true,
            (Access::Secure(s), AccessCondition::Pace) => s.pace,
            _ => false,
        }
    }

    /// READ BINARY, even INS (offset in P1-P2 or SFI in P1) and odd INS (offset in DO'54',
    /// response in DO'53'), ISO/IEC 7816-4 §11.2.3.
    fn read_binary(&mut self, cmd: &PlainCommand, protected: bool) -> Result<Vec<u8>, u16> {
        let (file, offset) = if cmd.ins == 0xB0 {
            if cmd.p1 & 0x80 != 0 {
                let sfi = cmd.p1 & 0x1F;
                if cmd.p1 & 0x60 != 0 {
                    return Err(sw::WRONG_P1P2);
                }
                let i = self
                    .spec
                    .files
                    .by_sfi(self.df, sfi)
                    .ok_or(sw::FILE_NOT_FOUND)?;
                (i, usize::from(cmd.p2))
            } else {
                let i = self.ef.ok_or(sw::CONDITIONS)?;
                (i, usize::from(u16::from_be_bytes([cmd.p1 & 0x7F, cmd.p2])))
            }
        } else {
            let i = match (cmd.p1, cmd.p2) {
                (0, 0) => self.ef.ok_or(sw::CONDITIONS)?,
                (0, sfi) if sfi & 0xE0 == 0 => self
                    .spec
                    .files
                    .by_sfi(self.df, sfi & 0x1F)
                    .ok_or(sw::FILE_NOT_FOUND)?,
                (hi, lo) => self
                    .spec
                    .files
                    .by_fid(self.df, u16::from_be_bytes([hi, lo]))
                    .ok_or(sw::FILE_NOT_FOUND)?,
            };
            let off = tlv::find(&cmd.data, 0x54)
                .ok()
                .flatten()
                .map(|t| t.value)
                .ok_or(sw::WRONG_DATA)?;
            if off.is_empty() || off.len() > 4 {
                return Err(sw::WRONG_DATA);
            }
            let offset = off.iter().fold(0usize, |a, &b| (a << 8) | usize::from(b));
            (i, offset)
        };
        let f = self.spec.files.get(file).ok_or(sw::FILE_NOT_FOUND)?;
        if !self.may_read(f.access) {
            return Err(sw::SECURITY_STATUS);
        }
        let le = cmd.le.unwrap_or(256);
        if let Some(max) = self.spec.quirks.max_le {
            if le > max {
                let served = read_answer(&f.content, offset, max, cmd.ins);
                return self.oversize(max, served);
            }
        }
        if offset > f.content.len() {
            return Err(sw::WRONG_OFFSET);
        }
        let content = &f.content;
        let out = read_answer(content, offset, le, cmd.ins);
        self.ef = Some(file);
        // The largest plain answer the chip can send: its buffer and the command's Ne bound
        // the response data field, secure-messaging objects included (ICAO 9303-11 §9.8).
        if let Some(limit) = self.spec.quirks.response_limit {
            let wire = limit.min(self.wire_ne);
            let fits = match (&self.access, protected) {
                (Access::Secure(s), true) => document::sm::max_plaintext(s.sm.cipher(), wire),
                _ => wire,
            };
            if out.len() > fits {
                let served = read_answer(content, offset, fits, cmd.ins);
                return self.oversize(fits, served);
            }
        }
        if self.spec.quirks.end_of_file_6282 && offset.saturating_add(le) > content.len() {
            self.warning = Some(sw::END_OF_FILE);
        }
        Ok(out)
    }

    /// The answer to a READ BINARY that cannot be served in full: `fits` is the largest Le
    /// the chip can serve, `served` its answer to that Le.
    fn oversize(&mut self, fits: usize, served: Vec<u8>) -> Result<Vec<u8>, u16> {
        let q = &self.spec.quirks;
        match q.oversize_read {
            OversizeRead::Status => Err(q.oversize_read_sw),
            OversizeRead::PlainStatus => {
                self.plain_answer = Some(q.oversize_read_sw);
                Err(q.oversize_read_sw)
            }
            OversizeRead::Truncate => Ok(served),
            // SW2 = 00 stands for 256.
            OversizeRead::CorrectLe => Err(0x6C00 | (fits.min(256) & 0xFF) as u16),
        }
    }

    /// MANAGE SECURITY ENVIRONMENT (ISO/IEC 7816-4 §11.5.11): Set AT for PACE (P1P2 C1A4) and
    /// CA (41A4), Set KAT for CA with 3DES (41A6).
    fn manage_security_environment(
        &mut self,
        cmd: &PlainCommand,
        protected: bool,
    ) -> Result<Vec<u8>, u16> {
        if self.spec.quirks.refuse_le_on_select_mse && cmd.le.is_some() {
            return Err(sw::WRONG_LENGTH);
        }
        match (cmd.p1, cmd.p2) {
            (0xC1, 0xA4) if !protected => {
                let run = pace::set_at(self, &cmd.data)?;
                self.access = Access::Pace(Box::new(run));
                Ok(Vec::new())
            }
            (0x41, 0xA4) | (0x41, 0xA6) if protected => auth::ca_mse(self, cmd),
            _ => Err(sw::WRONG_P1P2),
        }
    }

    /// GENERAL AUTHENTICATE (ISO/IEC 7816-4 §11.5.5): PACE steps, or CA with AES.
    fn general_authenticate(
        &mut self,
        cmd: &PlainCommand,
        protected: bool,
    ) -> Result<Vec<u8>, u16> {
        if protected {
            return auth::ca_general_authenticate(self, cmd);
        }
        let Access::Pace(run) = &mut self.access else {
            return Err(sw::CONDITIONS);
        };
        match pace::step(&self.spec, run, cmd) {
            Ok(pace::StepResult::Continue(data)) => Ok(data),
            Ok(pace::StepResult::Done {
                response,
                session,
                pk_picc,
            }) => {
                self.access = Access::Secure(Box::new(Session {
                    sm: session,
                    pace: true,
                    _pace_pk: Some(pk_picc),
                }));
                self.df = Df::Master;
                self.ef = None;
                Ok(response)
            }
            Err(status) => {
                self.access = Access::None;
                Err(status)
            }
        }
    }
}

/// The answer to READ BINARY at `offset` with Le = `le`: the bytes (even INS), or DO'53'
/// holding them with its header counted against Le (odd INS, ISO/IEC 7816-4 §11.3.3).
fn read_answer(content: &[u8], offset: usize, le: usize, ins: u8) -> Vec<u8> {
    let start = offset.min(content.len());
    let chunk = &content[start..content.len().min(start.saturating_add(le))];
    if ins != 0xB1 {
        return chunk.to_vec();
    }
    let mut out = tlv::encode(0x53, chunk);
    if out.len() > le {
        let keep = chunk.len().saturating_sub(out.len() - le);
        out = tlv::encode(0x53, &chunk[..keep]);
    }
    out
}

fn sw_only(status: u16) -> Vec<u8> {
    status.to_be_bytes().to_vec()
}

fn plain_response(mut data: Vec<u8>, status: u16) -> Vec<u8> {
    data.extend_from_slice(&status.to_be_bytes());
    data
}
