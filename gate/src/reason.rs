//! Reason codes (why a passage was referred or an alarm raised) and traveller messages.
//!
//! Reason codes are for the officer, the audit trail and the metrics; each has a stable
//! snake_case string that never changes once released. Traveller messages never carry the
//! reason: a border database hit shows the same [`MessageCode::SeeOfficer`] as any other referral.

crate::named_enum! {
    serde;
    /// Why a passage ended in a referral, or why an alarm was raised.
    #[derive(PartialOrd, Ord)]
    #[non_exhaustive]
    pub enum ReasonCode {
        /// The chip could not be read (no answer, access control failed, link lost).
        ChipReadFailed => "chip_read_failed",
        /// Passive authentication failed: SOD signature or data-group hashes do not verify.
        PaFailed => "pa_failed",
        /// PA verified, but the document signer does not chain to a trusted CSCA and policy
        /// requires that it does.
        CscaUntrusted => "csca_untrusted",
        /// Active or chip authentication failed (a possible clone).
        ChipAuthFailed => "chip_auth_failed",
        /// The chip does not support AA/CA and policy requires chip authentication.
        ChipAuthMissing => "chip_auth_missing",
        /// A data group the signed SOD lists could not be read (DG3/DG4 excepted: they need
        /// EAC). Decided by `document::authenticity`, whatever the policy says.
        DgUnreadable => "dg_unreadable",
        /// EF.COM (unsigned) and the SOD's signed data-group list disagree.
        ComSodMismatch => "com_sod_mismatch",
        /// DG15 is present and Active Authentication failed or was not attempted.
        AaFailed => "aa_failed",
        /// DG14 offers Chip Authentication and it failed or was not attempted.
        CaFailed => "ca_failed",
        /// One authentication the chip offers passed and another failed.
        ChipAuthInconsistent => "chip_auth_inconsistent",
        /// PACE-CAM was used and its chip-authentication proof did not verify.
        CamFailed => "cam_failed",
        /// EF.CardSecurity is present and its signature or signer does not verify.
        CardSecurityInvalid => "card_security_invalid",
        /// The MRZ printed on the document does not match DG1 on the chip.
        MrzDg1Mismatch => "mrz_dg1_mismatch",
        /// The document has expired.
        DocumentExpired => "document_expired",
        /// The document kind is not allowed at this gate.
        IneligibleDocument => "ineligible_document",
        /// The issuing state is not allowed at this gate.
        IneligibleIssuingState => "ineligible_issuing_state",
        /// The nationality is not allowed at this gate.
        IneligibleNationality => "ineligible_nationality",
        /// The holder is younger than the minimum age.
        Underage => "underage",
        /// The birth date is unknown (partial in the MRZ) and a minimum age applies.
        AgeUnknown => "age_unknown",
        /// No rule of the eligibility table admits this traveller (the table's default).
        IneligibleTraveller => "ineligible_traveller",
        /// A border database holds the document or the person. Never shown to the traveller.
        BorderDbHit => "borderdb_hit",
        /// A border database could not be queried and policy requires it.
        BorderDbUnavailable => "borderdb_unavailable",
        /// A third-country national at an entry lane without an EES adapter (Regulation
        /// (EU) 2017/2226): an officer makes the EES step.
        EesRequired => "ees_required",
        /// The EES shows an overstay, or no authorised stay left (Regulation (EU) 2016/399
        /// Art. 6(1): 90 days in any 180-day period).
        EesOverstay => "ees_overstay",
        /// The EES could not be queried.
        EesUnavailable => "ees_unavailable",
        /// The live face does not match the chip photo.
        FaceMismatch => "face_mismatch",
        /// No face was found in the capture.
        NoFace => "no_face",
        /// A face was found but its quality was too poor to compare.
        PoorQuality => "poor_quality",
        /// More than one face was in the capture.
        MultipleFaces => "multiple_faces",
        /// The capture (or its match) did not finish in time.
        CaptureTimeout => "capture_timeout",
        /// Presentation attack detection saw an attack (photo, screen, mask).
        PresentationAttack => "presentation_attack",
        /// PAD could not decide after the allowed attempts.
        LivenessInconclusive => "liveness_inconclusive",
        /// Liveness is required but the detector reported it did not check.
        LivenessUnavailable => "liveness_unavailable",
        /// The chip read did not finish in time.
        ChipReadTimeout => "chip_read_timeout",
        /// The border databases did not answer in time.
        BorderDbTimeout => "borderdb_timeout",
        /// The traveller did not enter, or did not leave, in time (non-cooperative behaviour).
        PassageTimeout => "passage_timeout",
        /// The traveller left the capture position before the decision (one-step layout).
        TravellerLeft => "traveller_left",
        /// Explicit consent was asked and the traveller said no, or did not answer in time:
        /// no face was captured.
        DeclinedBiometrics => "declined_biometrics",
        /// More than one person in the mantrap, or someone following (tailgating, piggybacking).
        Tailgating => "tailgating",
        /// Someone moving against the direction of the lane.
        WrongDirection => "wrong_direction",
        /// Someone staying in the lane beyond the allowed time.
        Loitering => "loitering",
        /// A child detected (height sensor or person count).
        ChildDetected => "child_detected",
        /// Something left in the lane without a person.
        ObjectLeft => "object_left",
        /// A device reported a fault.
        DeviceFault => "device_fault",
        /// A door did not reach its commanded position in time.
        DoorFault => "door_fault",
        /// The enclosure reported tampering.
        Tamper => "tamper",
        /// The building's fire alarm.
        FireAlarm => "fire_alarm",
        /// The lane's emergency button.
        EmergencyButton => "emergency_button",
        /// Mains power was lost.
        MainsLost => "mains_lost",
        /// An officer referred the traveller.
        OfficerRefer => "officer_refer",
        /// An officer reset the gate during a passage.
        OfficerReset => "officer_reset",
        /// The lane was closed.
        LaneClosed => "lane_closed",
        /// The gate was put out of service.
        OutOfService => "out_of_service",
        /// The daemon is shutting down.
        Shutdown => "shutdown",
        /// The gate started (doors to the safe state until the lane is known clear).
        Startup => "startup",
        /// The document signer is revoked: its CSCA's CRL lists it (ICAO 9303-12 §7.1.4).
        DsRevoked => "ds_revoked",
        /// The CRL that says whether the document signer is revoked is out of date (past
        /// nextUpdate plus the configured grace).
        CrlStale => "crl_stale",
        /// A CRL is past nextUpdate, within the configured grace (an alarm only).
        CrlOverdue => "crl_overdue",
        /// A trust file (CSCA, master list, CRL) changed and does not load; the gate keeps
        /// the last good set (an alarm only).
        TrustListInvalid => "trust_list_invalid",
    }
}

impl ReasonCode {
    /// The reasons an eligibility rule (or the table's default) may refer with
    /// ([`crate::eligibility`]).
    pub const ELIGIBILITY: [ReasonCode; 6] = [
        ReasonCode::IneligibleDocument,
        ReasonCode::IneligibleIssuingState,
        ReasonCode::IneligibleNationality,
        ReasonCode::Underage,
        ReasonCode::AgeUnknown,
        ReasonCode::IneligibleTraveller,
    ];
}

crate::named_enum! {
    serde;
    /// What the traveller's display shows. Deliberately coarse: a message never says why a
    /// traveller was referred.
    pub enum MessageCode {
        /// "Place your passport on the reader."
        PresentDocument => "present_document",
        /// "Reading your document, please wait."
        ReadingDocument => "reading_document",
        /// "Place your document on the reader again."
        PresentDocumentAgain => "present_document_again",
        /// "Please wait."
        PleaseWait => "please_wait",
        /// "Please enter."
        PleaseEnter => "please_enter",
        /// "One person at a time."
        OnePersonOnly => "one_person_only",
        /// "Do you agree to have your face compared with your document's photo?"
        AskConsent => "ask_consent",
        /// "Look at the camera."
        LookAtCamera => "look_at_camera",
        /// "Please proceed."
        PleaseProceed => "please_proceed",
        /// "Please see an officer." (every referral that keeps the traveller where they are)
        SeeOfficer => "see_officer",
        /// "Please go back and see an officer." (referral back through the entry)
        PleaseGoBack => "please_go_back",
        /// "Lane closed."
        LaneClosed => "lane_closed",
        /// "Out of service."
        OutOfService => "out_of_service",
        /// "Leave the lane." (fire alarm, emergency)
        Evacuate => "evacuate",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_snake_case_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for r in ReasonCode::ALL {
            let name = r.as_str();
            assert!(seen.insert(name), "duplicate name {name}");
            assert!(name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            assert_eq!(ReasonCode::from_name(name), Some(r));
        }
        assert_eq!(ReasonCode::from_name("nope"), None);
    }
}
