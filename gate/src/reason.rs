//! Reason codes (why a passage was referred or an alarm raised) and traveller messages.
//!
//! Reason codes are for the officer, the audit trail and the metrics; each has a stable
//! snake_case string that never changes once released. Traveller messages never carry the
//! reason: a watchlist hit shows the same [`MessageCode::SeeOfficer`] as any other referral.

use std::fmt;

/// Why a passage ended in a referral, or why an alarm was raised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
#[non_exhaustive]
pub enum ReasonCode {
    /// The chip could not be read (no answer, access control failed, link lost).
    ChipReadFailed,
    /// Passive authentication failed: SOD signature or data-group hashes do not verify.
    PaFailed,
    /// PA verified, but the document signer does not chain to a trusted CSCA and policy
    /// requires that it does.
    CscaUntrusted,
    /// Active or chip authentication failed (a possible clone).
    ChipAuthFailed,
    /// The chip does not support AA/CA and policy requires chip authentication.
    ChipAuthMissing,
    /// The MRZ printed on the document does not match DG1 on the chip.
    MrzDg1Mismatch,
    /// The document has expired.
    DocumentExpired,
    /// The document kind is not allowed at this gate.
    IneligibleDocument,
    /// The issuing state is not allowed at this gate.
    IneligibleIssuingState,
    /// The nationality is not allowed at this gate.
    IneligibleNationality,
    /// The holder is younger than the minimum age.
    Underage,
    /// The birth date is unknown (partial in the MRZ) and a minimum age applies.
    AgeUnknown,
    /// The watchlist check matched. Never shown to the traveller.
    WatchlistHit,
    /// The watchlist could not be queried and policy requires it.
    WatchlistUnavailable,
    /// The live face does not match the chip photo.
    FaceMismatch,
    /// No face was found in the capture.
    NoFace,
    /// A face was found but its quality was too poor to compare.
    PoorQuality,
    /// More than one face was in the capture.
    MultipleFaces,
    /// The capture (or its match) did not finish in time.
    CaptureTimeout,
    /// Presentation attack detection saw an attack (photo, screen, mask).
    PresentationAttack,
    /// PAD could not decide after the allowed attempts.
    LivenessInconclusive,
    /// Liveness is required but the detector reported it did not check.
    LivenessUnavailable,
    /// The chip read did not finish in time.
    ChipReadTimeout,
    /// The watchlist did not answer in time.
    WatchlistTimeout,
    /// The traveller did not enter, or did not leave, in time (non-cooperative behaviour).
    PassageTimeout,
    /// The traveller left the capture position before the decision (one-step layout).
    TravellerLeft,
    /// More than one person in the mantrap, or someone following (tailgating, piggybacking).
    Tailgating,
    /// Someone moving against the direction of the lane.
    WrongDirection,
    /// Someone staying in the lane beyond the allowed time.
    Loitering,
    /// A child detected (height sensor or person count).
    ChildDetected,
    /// Something left in the lane without a person.
    ObjectLeft,
    /// A device reported a fault.
    DeviceFault,
    /// A door did not reach its commanded position in time.
    DoorFault,
    /// The enclosure reported tampering.
    Tamper,
    /// The building's fire alarm.
    FireAlarm,
    /// The lane's emergency button.
    EmergencyButton,
    /// Mains power was lost.
    MainsLost,
    /// An officer referred the traveller.
    OfficerRefer,
    /// An officer reset the gate during a passage.
    OfficerReset,
    /// The lane was closed.
    LaneClosed,
    /// The gate was put out of service.
    OutOfService,
    /// The daemon is shutting down.
    Shutdown,
    /// The gate started (doors to the safe state until the lane is known clear).
    Startup,
}

impl ReasonCode {
    /// Every reason code, for metrics that pre-register their labels.
    pub const ALL: &'static [ReasonCode] = &[
        Self::ChipReadFailed,
        Self::PaFailed,
        Self::CscaUntrusted,
        Self::ChipAuthFailed,
        Self::ChipAuthMissing,
        Self::MrzDg1Mismatch,
        Self::DocumentExpired,
        Self::IneligibleDocument,
        Self::IneligibleIssuingState,
        Self::IneligibleNationality,
        Self::Underage,
        Self::AgeUnknown,
        Self::WatchlistHit,
        Self::WatchlistUnavailable,
        Self::FaceMismatch,
        Self::NoFace,
        Self::PoorQuality,
        Self::MultipleFaces,
        Self::CaptureTimeout,
        Self::PresentationAttack,
        Self::LivenessInconclusive,
        Self::LivenessUnavailable,
        Self::ChipReadTimeout,
        Self::WatchlistTimeout,
        Self::PassageTimeout,
        Self::TravellerLeft,
        Self::Tailgating,
        Self::WrongDirection,
        Self::Loitering,
        Self::ChildDetected,
        Self::ObjectLeft,
        Self::DeviceFault,
        Self::DoorFault,
        Self::Tamper,
        Self::FireAlarm,
        Self::EmergencyButton,
        Self::MainsLost,
        Self::OfficerRefer,
        Self::OfficerReset,
        Self::LaneClosed,
        Self::OutOfService,
        Self::Shutdown,
        Self::Startup,
    ];

    /// The stable snake_case name used in the audit trail, metrics labels and the console.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ChipReadFailed => "chip_read_failed",
            Self::PaFailed => "pa_failed",
            Self::CscaUntrusted => "csca_untrusted",
            Self::ChipAuthFailed => "chip_auth_failed",
            Self::ChipAuthMissing => "chip_auth_missing",
            Self::MrzDg1Mismatch => "mrz_dg1_mismatch",
            Self::DocumentExpired => "document_expired",
            Self::IneligibleDocument => "ineligible_document",
            Self::IneligibleIssuingState => "ineligible_issuing_state",
            Self::IneligibleNationality => "ineligible_nationality",
            Self::Underage => "underage",
            Self::AgeUnknown => "age_unknown",
            Self::WatchlistHit => "watchlist_hit",
            Self::WatchlistUnavailable => "watchlist_unavailable",
            Self::FaceMismatch => "face_mismatch",
            Self::NoFace => "no_face",
            Self::PoorQuality => "poor_quality",
            Self::MultipleFaces => "multiple_faces",
            Self::CaptureTimeout => "capture_timeout",
            Self::PresentationAttack => "presentation_attack",
            Self::LivenessInconclusive => "liveness_inconclusive",
            Self::LivenessUnavailable => "liveness_unavailable",
            Self::ChipReadTimeout => "chip_read_timeout",
            Self::WatchlistTimeout => "watchlist_timeout",
            Self::PassageTimeout => "passage_timeout",
            Self::TravellerLeft => "traveller_left",
            Self::Tailgating => "tailgating",
            Self::WrongDirection => "wrong_direction",
            Self::Loitering => "loitering",
            Self::ChildDetected => "child_detected",
            Self::ObjectLeft => "object_left",
            Self::DeviceFault => "device_fault",
            Self::DoorFault => "door_fault",
            Self::Tamper => "tamper",
            Self::FireAlarm => "fire_alarm",
            Self::EmergencyButton => "emergency_button",
            Self::MainsLost => "mains_lost",
            Self::OfficerRefer => "officer_refer",
            Self::OfficerReset => "officer_reset",
            Self::LaneClosed => "lane_closed",
            Self::OutOfService => "out_of_service",
            Self::Shutdown => "shutdown",
            Self::Startup => "startup",
        }
    }

    /// Parses a stable name back (for the console and for audit verification).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|r| r.as_str() == name)
    }
}

impl fmt::Display for ReasonCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the traveller's display shows. Deliberately coarse: a message never says why a
/// traveller was referred.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum MessageCode {
    /// "Place your passport on the reader."
    PresentDocument,
    /// "Reading your document, please wait."
    ReadingDocument,
    /// "Place your document on the reader again."
    PresentDocumentAgain,
    /// "Please wait."
    PleaseWait,
    /// "Please enter."
    PleaseEnter,
    /// "One person at a time."
    OnePersonOnly,
    /// "Look at the camera."
    LookAtCamera,
    /// "Please proceed."
    PleaseProceed,
    /// "Please see an officer." (every referral that keeps the traveller where they are)
    SeeOfficer,
    /// "Please go back and see an officer." (referral back through the entry)
    PleaseGoBack,
    /// "Lane closed."
    LaneClosed,
    /// "Out of service."
    OutOfService,
    /// "Leave the lane." (fire alarm, emergency)
    Evacuate,
}

impl MessageCode {
    /// Every code, in declaration order.
    pub const ALL: [MessageCode; 13] = [
        Self::PresentDocument,
        Self::ReadingDocument,
        Self::PresentDocumentAgain,
        Self::PleaseWait,
        Self::PleaseEnter,
        Self::OnePersonOnly,
        Self::LookAtCamera,
        Self::PleaseProceed,
        Self::SeeOfficer,
        Self::PleaseGoBack,
        Self::LaneClosed,
        Self::OutOfService,
        Self::Evacuate,
    ];

    /// The stable snake_case name the display adapter maps to localized text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PresentDocument => "present_document",
            Self::ReadingDocument => "reading_document",
            Self::PresentDocumentAgain => "present_document_again",
            Self::PleaseWait => "please_wait",
            Self::PleaseEnter => "please_enter",
            Self::OnePersonOnly => "one_person_only",
            Self::LookAtCamera => "look_at_camera",
            Self::PleaseProceed => "please_proceed",
            Self::SeeOfficer => "see_officer",
            Self::PleaseGoBack => "please_go_back",
            Self::LaneClosed => "lane_closed",
            Self::OutOfService => "out_of_service",
            Self::Evacuate => "evacuate",
        }
    }
}

impl fmt::Display for MessageCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "serde")]
    #[test]
    fn serde_names_are_the_stable_names() {
        for &code in ReasonCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
            assert_eq!(serde_json::from_str::<ReasonCode>(&json).unwrap(), code);
        }
    }

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in ReasonCode::ALL {
            let name = r.as_str();
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            assert_eq!(ReasonCode::from_name(name), Some(*r));
        }
        assert_eq!(ReasonCode::from_name("nope"), None);
    }
}
