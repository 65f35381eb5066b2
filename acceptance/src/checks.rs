//! What the engine asks of the lane's own checks: the chip job (passive authentication,
//! chip authenticity, the facts for the gate's policy, the border database answer) and the face job
//! (capture, match and PAD on the same frames). The `egate` binary implements this trait
//! with the very functions its lanes run (`daemon/src/simulation/accept.rs`), so a run
//! exercises the production checks; the engine supplies the bytes, the frames and the time.

use document::reader::Transport;

/// The chip job's answer for one traveller.
#[derive(Debug, Clone, PartialEq)]
pub struct DocumentCheck {
    /// What the gate gets.
    pub verdict: gate::DocumentVerdict,
    /// What the border databases answers for this document, delivered when the gate asks.
    pub borderdb: gate::BorderDbResult,
    /// The chip portrait as read from DG2 (JPEG), for the face job.
    pub portrait: Option<zeroize::Zeroizing<Vec<u8>>>,
}

/// The face job's answer for one capture.
#[derive(Debug, Clone, PartialEq)]
pub struct FaceCheck {
    /// The match.
    pub face: gate::FaceVerdict,
    /// PAD on the same frames (`NotChecked` when liveness is not checked).
    pub pad: gate::PadVerdict,
    /// The attack species PAD named, if it named one.
    pub species: Option<String>,
    /// The capture found the camera frozen (`vision::freeze`): a device fault for the
    /// gate, apart from the verdict.
    pub camera_frozen: bool,
}

/// The lane's checks (see the module documentation).
pub trait Checks {
    /// Reads the chip on `card` with the access key from `printed_mrz` (lines separated by
    /// `\n`) and checks it.
    fn document(&mut self, card: &mut dyn Transport, printed_mrz: &str) -> DocumentCheck;

    /// Captures from `frames` (looped) and matches against `portrait`; PAD on the same
    /// frames when `liveness` is required.
    fn face(&mut self, portrait: &[u8], frames: &[vision::Frame], liveness: bool) -> FaceCheck;

    /// The face pipeline, to find faces in the face set's photos.
    fn detector(&mut self) -> Option<&mut vision::FacePipeline>;

    /// The gate configuration of the lanes on `today` (the deployment's policy, timeouts and
    /// attempts); the scenario's `[gates]` settings are applied on top. The eligibility rule
    /// table (issue #18) reaches acceptance runs through here.
    fn gate_config(&self, today: gate::CivilDate) -> gate::GateConfig;

    /// What the checks run with, for the report (models, threshold, trust anchors).
    fn describe(&self) -> Vec<(String, String)>;
}
