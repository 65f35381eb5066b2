//! Reading an eMRTD chip: the read procedure [`read_document`], over the file access of
//! [`Chip`].
//!
//! The procedure follows ICAO 9303-11 §4.2 (chip access procedure): read EF.CardAccess; PACE
//! when it is offered, BAC otherwise (or as fallback); select the eMRTD application; read
//! EF.COM, EF.SOD and the data groups. Any failure — a card pulled mid-read included — is an
//! error: a partly read document is never returned. Personal data in the result is wiped on drop.

mod chip;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Instant;

use zeroize::{Zeroize, Zeroizing};

use crate::aa::{self, AaVerdict};
use crate::apdu::{ApduError, CommandApdu, StatusWord};
use crate::authenticity::{self, AuthenticityVerdict, ChipEvidence, Unreadable};
use crate::bac::{self, BacError};
use crate::ca::{self, CaVerdict};
use crate::deviation::{self, DeviationPolicy, DeviationUse};
use crate::lds::{self, LdsError};
use crate::mrz::{Mrz, MrzKey};
use crate::pa::{self, PaInput, PaOptions, PaVerdict};
use crate::pace::{self, PaceOptions, PaceOutcome, Password};
use crate::pki::CscaStore;
use crate::secinfo::{Mapping, SecurityInfos};
use crate::sm::SmError;

pub use crate::transport::{Transport, TransportError, TransportErrorKind};
pub use chip::{
    extended_length_info, Chip, Counting, ExtendedLength, FileId, ReadStats, ReaderOptions,
    Recovery, StepStat,
};

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
    /// A CAN was given and the chip offers PACE, but [`ReaderOptions::prefer_pace`] turned
    /// PACE off (a CAN opens a chip through PACE only).
    #[error("a CAN needs PACE, which the reader options turned off")]
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

impl From<&AccessKey> for Password {
    /// The access key as a PACE password (MRZ → reference 1, CAN → reference 2).
    fn from(k: &AccessKey) -> Self {
        match k {
            AccessKey::Mrz(m) => Password::Mrz(m.clone()),
            AccessKey::Can(c) => Password::Can(c.clone()),
        }
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
    /// Data groups the reader asked for (listed in EF.SOD or EF.COM) that the chip did not
    /// give, with why.
    pub unreadable: BTreeMap<u8, Unreadable>,
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

    /// Passive authentication of what was read (ICAO 9303-11 §5.1): EF.SOD and the data
    /// groups, with `access_key` the MRZ key of BAC/PACE-MRZ (`None` after PACE with a CAN).
    pub fn verify_sod(
        &self,
        access_key: Option<&MrzKey>,
        store: &CscaStore,
        options: &PaOptions,
    ) -> PaVerdict {
        let mut data_groups: BTreeMap<u8, Vec<u8>> = self
            .data_groups
            .iter()
            .map(|(n, v)| (*n, v.to_vec()))
            .collect();
        let input = PaInput {
            sod: &self.sod,
            data_groups: &data_groups,
            access_key,
        };
        let verdict = pa::verify_sod(&input, store, options);
        // The copies hold personal data (DG1, DG2) like the originals.
        data_groups.values_mut().for_each(|v| v.zeroize());
        verdict
    }

    /// What the read brought back, as [`authenticity::assess`] needs it; `card_security` is
    /// the verdict on [`ReadDocument::card_security`] (see [`ReadDocument::verify_chip`]).
    pub fn evidence<'a>(
        &'a self,
        read: &'a [u8],
        card_security: Option<&'a pa::CardSecurityVerdict>,
    ) -> ChipEvidence<'a> {
        ChipEvidence {
            com: self.com.as_deref(),
            read,
            unreadable: &self.unreadable,
            dg14: self.dg(14),
            active_authentication: self.active_authentication.as_ref(),
            chip_authentication: self.chip_authentication.as_ref(),
            pace_cam: self
                .pace
                .as_ref()
                .filter(|p| p.mapping == Mapping::ChipAuthentication)
                .map(|p| p.cam_verified),
            card_security,
        }
    }

    /// Chip authenticity ([`authenticity::assess`]): EF.CardSecurity verified against
    /// `store`, then every protection the signed data call for, given `pa` from
    /// [`ReadDocument::verify_sod`].
    pub fn verify_chip(
        &self,
        pa: &PaVerdict,
        store: &CscaStore,
        options: &PaOptions,
    ) -> AuthenticityVerdict {
        let cs = self
            .card_security
            .as_deref()
            .map(|b| pa::verify_card_security(b, store, options));
        let read: Vec<u8> = self.data_groups.keys().copied().collect();
        authenticity::assess(&self.evidence(&read, cs.as_ref()), pa)
    }
}

/// Everything a gate concludes from a read ([`ReadDocument::verify`]).
#[derive(Debug, Clone)]
pub struct Verification {
    /// Passive authentication, with any check a deviation list excused.
    pub pa: PaVerdict,
    /// Chip authenticity, with any deviation applied.
    pub chip: AuthenticityVerdict,
    /// Every deviation of the store's lists that concerns the document, with its effect.
    pub deviations: Vec<DeviationUse>,
}

impl ReadDocument {
    /// Passive authentication, the deviations of the store's trusted deviation lists that
    /// concern this document (ICAO 9303-12 §10, applied under `policy` as
    /// [`crate::deviation`] describes), then chip authenticity.
    pub fn verify(
        &self,
        access_key: Option<&MrzKey>,
        store: &CscaStore,
        options: &PaOptions,
        policy: DeviationPolicy,
    ) -> Verification {
        let mut pa = self.verify_sod(access_key, store, options);
        let subject = deviation::Subject::new(&self.sod, &pa, self.dg(1), self.dg(12));
        let matches = deviation::matching(store.deviation_lists(), &subject);
        let mut aa = self.active_authentication.clone();
        let mut deviations = deviation::tighten_active_authentication(&matches, &mut aa);
        let cs = self
            .card_security
            .as_deref()
            .map(|b| pa::verify_card_security(b, store, options));
        let read: Vec<u8> = self.data_groups.keys().copied().collect();
        let mut evidence = self.evidence(&read, cs.as_ref());
        evidence.active_authentication = aa.as_ref();
        let mut chip = authenticity::assess(&evidence, &pa);
        deviations.extend(deviation::excuse(&matches, &mut pa, &mut chip, policy));
        Verification {
            pa,
            chip,
            deviations,
        }
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
    let r = match chip.send(&cmd) {
        Ok(r) => r,
        // The chip answered without secure messaging and so ended the session (ICAO 9303-11
        // §9.8.6): AA failed; open the chip again so Chip Authentication can still run.
        Err(ReadError::SecureMessaging(SmError::Unprotected(sw))) => {
            if let Some(how) = chip.reopen.clone() {
                if let Err(e @ ReadError::Transport(_)) = chip.reopen_session(how) {
                    return Err(e);
                }
            }
            return Ok(AaVerdict {
                check: crate::pa::Check::fail(
                    aa::CHECK_NAME,
                    "aa_signature_invalid",
                    format!(
                        "chip answered INTERNAL AUTHENTICATE with {sw} without secure messaging"
                    ),
                ),
                algorithm: None,
            });
        }
        Err(e) => return Err(e),
    };
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

/// Runs PACE over the chip's counting transport.
fn establish_pace<T: Transport>(
    chip: &mut Chip<T>,
    card_access: &[u8],
    key: &AccessKey,
) -> Result<PaceOutcome, ReadError> {
    let infos = SecurityInfos::parse(card_access)
        .map_err(|e| ReadError::Pace(format!("EF.CardAccess: {e}")))?;
    let password = Password::from(key);
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
/// data groups of `options.data_groups` (and DG14, DG15) that EF.SOD or EF.COM lists. DG1 and
/// EF.SOD are mandatory; an optional data group the chip lacks is recorded in
/// [`ReadDocument::unreadable`] (whether that refers is [`ReadDocument::verify_chip`]'s
/// business). Any transport or secure-messaging failure aborts the read with an error.
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
        if let Ok(infos) = SecurityInfos::parse(card_access.as_deref().unwrap_or(&[])) {
            chip.reopen = Some(chip::Reopen::Pace {
                infos,
                password: Password::from(key),
                protocol_oid: protocol.oid(),
            });
        }
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
                chip.reopen = Some(chip::Reopen::Bac(mrz.clone()));
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
    // The data groups to read: those wanted that EF.SOD (signed) or EF.COM (a hint) lists.
    // DG14 and DG15 carry the chip-authentication keys, so they are read whenever the SOD
    // lists them: a clone that leaves them out of EF.COM is still asked for them.
    let signed = pa::sod_data_groups(&sod);
    let mut wanted = chip.options.data_groups.clone();
    wanted.extend([14, 15]);
    wanted.sort_unstable();
    wanted.dedup();
    let mut data_groups = BTreeMap::new();
    let mut unreadable = BTreeMap::new();
    for n in wanted {
        let in_sod = signed.as_ref().map(|s| s.contains(&n));
        let in_com = listed.as_ref().map(|l| l.contains(&n));
        let read = n == 1
            || in_sod == Some(true)
            || in_com == Some(true)
            || (in_sod.is_none() && in_com.is_none());
        if !read {
            continue;
        }
        let Some(f) = FileId::dg(n) else { continue };
        match chip.read_file(f) {
            Ok(d) => {
                data_groups.insert(n, d);
            }
            // Optional data groups may be absent or access-protected (DG3/DG4 need EAC);
            // whether that matters is chip authenticity's business.
            Err(ReadError::FileNotFound(_)) if n != 1 => {
                unreadable.insert(n, Unreadable::NotFound);
            }
            Err(ReadError::AccessDenied(_)) if n != 1 => {
                unreadable.insert(n, Unreadable::AccessDenied);
            }
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
    // failure (a cloned chip) leaves no usable channel. A session lost after it could only be
    // replaced by one without CA, so no recovery from here on.
    chip.reopen = None;
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
        unreadable,
        pace,
        active_authentication,
        chip_authentication,
        stats: chip.stats(),
    })
}
