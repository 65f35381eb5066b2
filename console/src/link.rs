//! The boundary between gates and the officers' console.
//!
//! A gate (its driver loop, in this process or in another daemon) is reached through a
//! [`GateLink`]: a snapshot of its state, a stream of [`GateEvent`]s, and officers' requests
//! whose [`gate::OfficerCommand`] the driver loop hands to the gate as an input (the console never
//! drives hardware). The console holds one link per gate of its bank; `egate run` hands it
//! in-process links ([`LocalGate`]); `egate console --gates FILE` uses links to other daemons'
//! gate APIs ([`crate::remote::RemoteGate`]).
//!
//! Nothing biometric crosses this boundary except the two photos of the passage in progress,
//! fetched on demand by [`GateLink::photo`] and never stored by the console.

use std::sync::{Arc, Mutex};

use gate::OfficerCommand;
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, mpsc};

/// A gate's state as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateStatus {
    /// Gate id from its config.
    pub id: String,
    /// Current phase (the gate crate's fieldless phase, snake_case).
    pub phase: String,
    /// What the gate is doing within the phase, for the officer (e.g. "reading chip").
    pub step: String,
    /// Milliseconds since the current passage (or phase, when idle) began.
    pub elapsed_ms: u64,
    /// Whether the lane takes travellers.
    pub lane_open: bool,
    /// Out of service (fault, fire alarm, officer) until an officer resets it.
    pub out_of_service: bool,
    /// Liveness mode; "not-checked" is shown on the console.
    pub liveness: String,
    /// Health of each device.
    pub devices: Vec<DeviceHealth>,
    /// Whether photos of a passage in progress are available.
    pub photos_available: bool,
    /// Counters since start.
    pub passages_accepted: u64,
    /// Counters since start.
    pub passages_referred: u64,
    /// The trust-list state (CSCAs, next expiry, CRL freshness); `None` before it is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trust: Option<TrustStatus>,
}

/// The state of a gate's trust lists, as the console shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TrustStatus {
    /// CSCA and link certificates in the store.
    pub cscas: u64,
    /// CRLs in the store.
    pub crls: u64,
    /// The first date (YYYY-MM-DD) a certificate or CRL in the store runs out.
    pub next_expiry: Option<String>,
    /// The worst of the CRLs: "current", "overdue", "stale" or "none".
    pub crl_freshness: String,
    /// No stale CRL and the last reload succeeded.
    pub ok: bool,
    /// Why the last reload failed (names the file and the field), else empty.
    pub detail: String,
}

impl GateStatus {
    /// A gate that has just started: idle, lane open, in service, no device reported yet,
    /// nothing counted.
    pub fn idle(id: &str, liveness: &str) -> Self {
        Self {
            id: id.to_string(),
            phase: "idle".into(),
            step: String::new(),
            elapsed_ms: 0,
            lane_open: true,
            out_of_service: false,
            liveness: liveness.to_string(),
            devices: Vec::new(),
            photos_available: false,
            passages_accepted: 0,
            passages_referred: 0,
            trust: None,
        }
    }
}

/// Health of one device of a gate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct DeviceHealth {
    /// "chip_reader", "door_controller", "camera", "mrz_scanner", "display".
    pub device: String,
    /// Working.
    pub ok: bool,
    /// Short reason when not ok (no personal data).
    pub detail: String,
}

/// Something that happened at a gate.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GateEvent {
    /// Gate id.
    pub gate: String,
    /// Per-gate sequence number, from 0.
    pub seq: u64,
    /// Unix time in milliseconds.
    pub ts_ms: u64,
    /// What happened.
    #[serde(flatten)]
    pub kind: GateEventKind,
}

/// The kinds of gate event.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum GateEventKind {
    /// The gate changed phase.
    Phase {
        /// New phase.
        phase: String,
        /// Step within it.
        step: String,
    },
    /// An alarm for the officer (tailgating, pa_failed, face_mismatch, pad_alarm,
    /// borderdb_hit, device_fault, fire_alarm, ...).
    Alarm {
        /// Unique per gate.
        alarm_id: u64,
        /// Stable reason code.
        reason: String,
    },
    /// A border database source stopped answering (`ok: false`, an alarm naming it) or
    /// answers again (`ok: true`, which clears that alarm).
    SourceHealth {
        /// Unique per gate (shared with [`GateEventKind::Alarm`]).
        alarm_id: u64,
        /// The source's configured name.
        source: String,
        /// Answering.
        ok: bool,
        /// Why not (no personal data), else empty.
        detail: String,
    },
    /// A passage ended.
    Passage {
        /// "accepted" or "referred" (or "abandoned").
        outcome: String,
        /// Reason code when not accepted.
        reason: Option<String>,
        /// Transaction time, first document presentation to passage confirmed or referral.
        duration_ms: u64,
    },
    /// Device health changed.
    Device(DeviceHealth),
    /// Lane opened or closed, out of service set or cleared.
    Lane {
        /// Lane open.
        open: bool,
        /// Out of service.
        out_of_service: bool,
    },
    /// An officer command was carried out (or refused by the gate).
    Command {
        /// Officer id.
        officer: String,
        /// The command.
        action: OfficerCommand,
        /// Whether the gate accepted it in its current state.
        accepted: bool,
    },
}

/// An officer's request to one gate: who asks for which command, and why.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct OfficerRequest {
    /// Who (the logged-in officer's id), for the audit trail.
    pub officer: String,
    /// Their role, as the console authenticated it.
    pub role: crate::auth::Role,
    /// What (the gate's own command, in its snake_case words).
    pub action: OfficerCommand,
    /// Optional comment.
    pub comment: Option<String>,
}

/// Which photo of the passage in progress.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PhotoKind {
    /// The chip photo (DG2), as JPEG.
    Chip,
    /// The best live capture, as JPEG.
    Live,
}

/// The DG1 data of a referred passage, for the officer handling the referral only (ICAO
/// 9303-10 §4.7.1: the MRZ data group). Zeroized when dropped; `Debug` shows no field.
#[derive(Clone, Default, Serialize, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct Dg1View {
    /// Document code (`P`, `ID`, ...).
    pub document_code: String,
    /// Issuing state.
    pub issuing_state: String,
    /// Document number.
    pub document_number: String,
    /// Primary identifier (surname).
    pub primary_identifier: String,
    /// Secondary identifier (given names).
    pub secondary_identifier: String,
    /// Nationality.
    pub nationality: String,
    /// Date of birth, YYMMDD as in the MRZ.
    pub birth_date: String,
    /// Sex.
    pub sex: String,
    /// Date of expiry, YYMMDD.
    pub expiry_date: String,
}

impl std::fmt::Debug for Dg1View {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dg1View { <redacted> }")
    }
}

/// What a border database hit leaves for the officer who handles the referral: the source
/// and category (which the audit trail records too), the required action and the passage's
/// DG1 (which only that officer sees, and which are zeroized when the referral is closed).
#[derive(Clone, Serialize, PartialEq, Eq, zeroize::Zeroize, zeroize::ZeroizeOnDrop)]
pub struct ReferralDetail {
    /// The referral's reason code (`borderdb_hit`, ...).
    pub reason: String,
    /// The database that holds the record.
    pub source: String,
    /// The kind of record.
    pub category: String,
    /// What the officer must do.
    pub action: String,
    /// The passage's DG1.
    pub dg1: Dg1View,
}

impl std::fmt::Debug for ReferralDetail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferralDetail")
            .field("reason", &self.reason)
            .field("source", &self.source)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

/// An open referral as every officer may see it: no action, no DG1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReferralSummary {
    /// Unique per gate.
    pub id: u64,
    /// Gate id.
    pub gate: String,
    /// The referral's reason code.
    pub reason: String,
    /// When it was opened (Unix ms).
    pub opened_ms: u64,
    /// The officer handling it, once one took it.
    pub taken_by: Option<String>,
}

/// Why a referral request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReferralError {
    /// No open referral with that id at this gate.
    #[error("no such open referral")]
    NotFound,
    /// Another officer handles it.
    #[error("another officer handles this referral")]
    TakenByOther,
    /// Nobody took it yet: take it first.
    #[error("take the referral first")]
    NotTaken,
}

/// An open referral kept by the gate's link.
struct OpenReferral {
    summary: ReferralSummary,
    detail: ReferralDetail,
}

/// Errors talking to a gate.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The gate cannot be reached.
    #[error("gate {0} unreachable: {1}")]
    Unreachable(String, String),
    /// The gate refused the request.
    #[error("gate {0} refused: {1}")]
    Refused(String, String),
}

/// How the console reaches one gate.
pub trait GateLink: Send + Sync {
    /// Gate id.
    fn id(&self) -> &str;
    /// Current status.
    fn status(&self) -> Result<GateStatus, LinkError>;
    /// A stream of events from now on.
    fn subscribe(&self) -> broadcast::Receiver<GateEvent>;
    /// Sends an officer's request; the outcome arrives as a [`GateEventKind::Command`] event.
    fn command(&self, cmd: OfficerRequest) -> Result<(), LinkError>;
    /// A photo of the passage in progress, as JPEG bytes; `None` outside a passage.
    fn photo(&self, kind: PhotoKind) -> Option<Vec<u8>>;
    /// The open referrals with data for their handling officer. A link that cannot carry
    /// them (a remote gate: not yet in the gate API) has none.
    fn referrals(&self) -> Vec<ReferralSummary> {
        Vec::new()
    }
    /// `officer` takes referral `id`: from now on only they see its detail. Taking one's
    /// own again is fine.
    fn take_referral(&self, _id: u64, _officer: &str) -> Result<ReferralSummary, ReferralError> {
        Err(ReferralError::NotFound)
    }
    /// The detail of referral `id`, for the officer who took it only.
    fn referral_detail(&self, _id: u64, _officer: &str) -> Result<ReferralDetail, ReferralError> {
        Err(ReferralError::NotFound)
    }
    /// `officer`, who took referral `id`, closes it: its detail is zeroized.
    fn close_referral(&self, _id: u64, _officer: &str) -> Result<ReferralSummary, ReferralError> {
        Err(ReferralError::NotFound)
    }
}

/// A gate's status and its event channel as the console reads them, kept up to date by
/// whoever follows the gate: the lane's driver loop ([`LocalGate`]) or a follower of the
/// fleet stream.
pub struct StatusBoard {
    status: Mutex<GateStatus>,
    events: broadcast::Sender<GateEvent>,
}

impl StatusBoard {
    /// A board showing `initial`, with no subscriber yet.
    pub fn new(initial: GateStatus) -> Self {
        Self {
            status: Mutex::new(initial),
            events: broadcast::channel(1024).0,
        }
    }

    /// The status now.
    pub fn status(&self) -> GateStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Changes the status in place.
    pub fn update<T>(&self, f: impl FnOnce(&mut GateStatus) -> T) -> T {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut s)
    }

    /// Passes an event on to every subscriber; false when there is none.
    pub fn send(&self, ev: GateEvent) -> bool {
        self.events.send(ev).is_ok()
    }

    /// A stream of the events sent from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.events.subscribe()
    }

    /// How many streams are subscribed.
    pub fn subscribers(&self) -> usize {
        self.events.receiver_count()
    }

    /// Whether every subscriber has taken every event sent.
    pub fn drained(&self) -> bool {
        self.events.is_empty()
    }
}

/// The in-process link: the driver loop publishes status and events into it and reads the
/// officer commands out of it.
pub struct LocalGate {
    id: String,
    board: StatusBoard,
    commands: mpsc::UnboundedSender<OfficerRequest>,
    photos: Mutex<[Option<zeroize::Zeroizing<Vec<u8>>>; 2]>,
    seq: Mutex<Published>,
    referrals: Mutex<Vec<OpenReferral>>,
    next_referral: std::sync::atomic::AtomicU64,
}

/// The publishing side's state: the next sequence number, and the events published before
/// the daemon's consumers subscribed (kept until [`LocalGate::started`]).
struct Published {
    next: u64,
    early: Option<Vec<GateEvent>>,
}

/// Events kept for consumers that subscribe late, at most.
const EARLY_EVENTS: usize = 4096;

/// Open referrals kept per gate at most; the oldest untaken one goes (zeroized) first.
const MAX_REFERRALS: usize = 64;

impl LocalGate {
    /// A link for a gate whose driver loop reads commands from the returned receiver.
    pub fn new(initial: GateStatus) -> (Arc<Self>, mpsc::UnboundedReceiver<OfficerRequest>) {
        let (tx, rx) = mpsc::unbounded_channel();
        (
            Arc::new(Self {
                id: initial.id.clone(),
                board: StatusBoard::new(initial),
                commands: tx,
                photos: Mutex::new([None, None]),
                seq: Mutex::new(Published {
                    next: 0,
                    early: Some(Vec::new()),
                }),
                referrals: Mutex::new(Vec::new()),
                next_referral: std::sync::atomic::AtomicU64::new(1),
            }),
            rx,
        )
    }

    /// Gate id, owned (for spans and tasks).
    pub fn id_string(&self) -> String {
        self.id.clone()
    }

    /// Replaces the status (driver loop side).
    pub fn set_status(&self, f: impl FnOnce(&mut GateStatus)) {
        self.board.update(f);
    }

    /// Publishes an event (driver loop side); returns it with its sequence number.
    pub fn publish(&self, kind: GateEventKind) -> GateEvent {
        let mut p = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        let ev = GateEvent {
            gate: self.id.clone(),
            seq: p.next,
            ts_ms: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as u64)
                .unwrap_or(0),
            kind,
        };
        p.next += 1;
        if let Some(early) = p.early.as_mut().filter(|e| e.len() < EARLY_EVENTS) {
            early.push(ev.clone());
        }
        // No subscriber is fine: the console may not be open.
        self.board.send(ev.clone());
        ev
    }

    /// The events published so far (until [`LocalGate::started`]) and a stream of every
    /// later one, with none lost or repeated in between: a consumer that starts after the
    /// gate (the fleet publisher of a bank whose gates start one after another) still sees
    /// each event from the first.
    pub fn subscribe_from_start(&self) -> (Vec<GateEvent>, broadcast::Receiver<GateEvent>) {
        let p = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        (p.early.clone().unwrap_or_default(), self.board.subscribe())
    }

    /// Every consumer has subscribed: the early events are no longer kept.
    pub fn started(&self) {
        self.seq.lock().unwrap_or_else(|p| p.into_inner()).early = None;
    }

    /// Opens a referral with data for its handling officer (a job's side); returns its id.
    /// Held in memory only, until an officer closes it.
    pub fn open_referral(&self, detail: ReferralDetail) -> u64 {
        let id = self
            .next_referral
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let summary = ReferralSummary {
            id,
            gate: self.id.clone(),
            reason: detail.reason.clone(),
            opened_ms: crate::hub::now_ms(),
            taken_by: None,
        };
        let mut r = self.referrals.lock().unwrap_or_else(|p| p.into_inner());
        if r.len() >= MAX_REFERRALS {
            let oldest = r
                .iter()
                .position(|o| o.summary.taken_by.is_none())
                .unwrap_or(0);
            r.remove(oldest);
        }
        r.push(OpenReferral { summary, detail });
        id
    }

    fn with_referral<T>(
        &self,
        id: u64,
        f: impl FnOnce(&mut Vec<OpenReferral>, usize) -> Result<T, ReferralError>,
    ) -> Result<T, ReferralError> {
        let mut r = self.referrals.lock().unwrap_or_else(|p| p.into_inner());
        let i = r
            .iter()
            .position(|o| o.summary.id == id)
            .ok_or(ReferralError::NotFound)?;
        f(&mut r, i)
    }

    /// Sets or clears a photo of the passage in progress (driver loop side). Cleared photos
    /// are zeroized.
    pub fn set_photo(&self, kind: PhotoKind, jpeg: Option<Vec<u8>>) {
        let mut p = self.photos.lock().unwrap_or_else(|p| p.into_inner());
        p[kind as usize] = jpeg.map(zeroize::Zeroizing::new);
    }
}

impl GateLink for LocalGate {
    fn id(&self) -> &str {
        &self.id
    }
    fn status(&self) -> Result<GateStatus, LinkError> {
        Ok(self.board.status())
    }
    fn subscribe(&self) -> broadcast::Receiver<GateEvent> {
        self.board.subscribe()
    }
    fn command(&self, cmd: OfficerRequest) -> Result<(), LinkError> {
        self.commands
            .send(cmd)
            .map_err(|_| LinkError::Unreachable(self.id.clone(), "driver loop stopped".into()))
    }
    fn photo(&self, kind: PhotoKind) -> Option<Vec<u8>> {
        let p = self.photos.lock().unwrap_or_else(|p| p.into_inner());
        p[kind as usize].as_ref().map(|b| b.to_vec())
    }
    fn referrals(&self) -> Vec<ReferralSummary> {
        let r = self.referrals.lock().unwrap_or_else(|p| p.into_inner());
        r.iter().map(|o| o.summary.clone()).collect()
    }
    fn take_referral(&self, id: u64, officer: &str) -> Result<ReferralSummary, ReferralError> {
        self.with_referral(id, |r, i| {
            let s = &mut r[i].summary;
            match &s.taken_by {
                Some(by) if by != officer => Err(ReferralError::TakenByOther),
                _ => {
                    s.taken_by = Some(officer.to_string());
                    Ok(s.clone())
                }
            }
        })
    }
    fn referral_detail(&self, id: u64, officer: &str) -> Result<ReferralDetail, ReferralError> {
        self.with_referral(id, |r, i| match &r[i].summary.taken_by {
            None => Err(ReferralError::NotTaken),
            Some(by) if by != officer => Err(ReferralError::TakenByOther),
            Some(_) => Ok(r[i].detail.clone()),
        })
    }
    fn close_referral(&self, id: u64, officer: &str) -> Result<ReferralSummary, ReferralError> {
        self.with_referral(id, |r, i| match &r[i].summary.taken_by {
            None => Err(ReferralError::NotTaken),
            Some(by) if by != officer => Err(ReferralError::TakenByOther),
            // Removed: the detail's action and DG1 are zeroized as they drop.
            Some(_) => Ok(r.remove(i).summary),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_subscriber_gets_every_event_from_the_first_once() {
        let (g, _rx) = LocalGate::new(GateStatus::idle("g", "not-checked"));
        let lane = |open| GateEventKind::Lane {
            open,
            out_of_service: false,
        };
        g.publish(lane(true));
        g.publish(lane(false));
        let (early, mut rx) = g.subscribe_from_start();
        g.publish(lane(true));
        let seqs: Vec<u64> = early.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, [0, 1]);
        assert_eq!(rx.try_recv().unwrap().seq, 2);
        assert!(rx.try_recv().is_err());
        g.started();
        g.publish(lane(false));
        let (early, _) = g.subscribe_from_start();
        assert!(early.is_empty());
    }

    fn detail() -> ReferralDetail {
        let dg1 = Dg1View {
            document_code: "P".into(),
            issuing_state: "UTO".into(),
            document_number: "L898902C3".into(),
            primary_identifier: "ERIKSSON".into(),
            secondary_identifier: "ANNA MARIA".into(),
            nationality: "UTO".into(),
            birth_date: "740812".into(),
            sex: "F".into(),
            expiry_date: "120415".into(),
        };
        ReferralDetail {
            reason: "borderdb_hit".into(),
            source: "sis".into(),
            category: "wanted_person".into(),
            action: "Detain".into(),
            dg1,
        }
    }

    #[test]
    fn only_the_officer_who_took_a_referral_sees_and_closes_it() {
        let (link, _rx) = LocalGate::new(GateStatus::idle("g1", "checked"));
        let id = link.open_referral(detail());
        assert_eq!(link.referrals()[0].taken_by, None);
        assert_eq!(
            link.referral_detail(id, "olga").unwrap_err(),
            ReferralError::NotTaken
        );
        assert_eq!(
            link.close_referral(id, "olga").unwrap_err(),
            ReferralError::NotTaken
        );
        link.take_referral(id, "olga").unwrap();
        // Another officer can neither take it over, see it, nor close it.
        assert_eq!(
            link.take_referral(id, "piet").unwrap_err(),
            ReferralError::TakenByOther
        );
        assert_eq!(
            link.referral_detail(id, "piet").unwrap_err(),
            ReferralError::TakenByOther
        );
        assert_eq!(
            link.close_referral(id, "piet").unwrap_err(),
            ReferralError::TakenByOther
        );
        assert_eq!(
            link.referral_detail(id, "olga")
                .unwrap()
                .dg1
                .primary_identifier,
            "ERIKSSON"
        );
        link.close_referral(id, "olga").unwrap();
        assert!(link.referrals().is_empty());
        assert_eq!(
            link.referral_detail(id, "olga").unwrap_err(),
            ReferralError::NotFound
        );
        // Debug shows neither the action nor DG1.
        let shown = format!("{:?}", detail());
        assert!(
            !shown.contains("ERIKSSON") && !shown.contains("Detain"),
            "{shown}"
        );
    }

    /// The gate API, the officers' API and the audit trail carry commands by these names.
    #[test]
    fn commands_travel_by_their_snake_case_names() {
        let names = [
            (OfficerCommand::ReleaseExit, "release_exit"),
            (OfficerCommand::Refer, "refer"),
            (OfficerCommand::Reset, "reset"),
            (OfficerCommand::LaneOpen, "lane_open"),
            (OfficerCommand::LaneClose, "lane_close"),
            (OfficerCommand::OutOfService, "out_of_service"),
        ];
        for (command, name) in names {
            let request = OfficerRequest {
                officer: "olga".into(),
                role: crate::auth::Role::Officer,
                action: command,
                comment: None,
            };
            let json = serde_json::to_value(&request).unwrap();
            assert_eq!(json["action"], name);
            assert_eq!(
                serde_json::from_value::<OfficerRequest>(json).unwrap(),
                request
            );
        }
    }
}
