//! What one lane's traveller screen shows, sans-IO: the step (from the gate's messages),
//! the language, the face pipeline's guidance (held long enough to be read), the liveness
//! challenge's prompt (shown at once: its time bound runs from it), the privacy
//! notice before any capture, and a progress indication. Every update is a value the page
//! renders; none carries a reason for a referral or any personal data.

use std::time::{Duration, Instant};

use gate::MessageCode;
use serde::Serialize;

/// How long a piece of guidance stays before another may replace it: a prompt that
/// changes faster than it can be read only confuses.
pub const GUIDANCE_HOLD: Duration = Duration::from_millis(1500);

/// Steps of a passage with a place in the progress indication.
const PROGRESS: [MessageCode; 5] = [
    MessageCode::PresentDocument,
    MessageCode::ReadingDocument,
    MessageCode::PleaseEnter,
    MessageCode::LookAtCamera,
    MessageCode::PleaseProceed,
];

/// The pictogram of a step.
pub fn pictogram(code: MessageCode) -> &'static str {
    match code {
        MessageCode::PresentDocument | MessageCode::PresentDocumentAgain => "document",
        MessageCode::ReadingDocument | MessageCode::PleaseWait => "wait",
        MessageCode::PleaseEnter => "enter",
        MessageCode::OnePersonOnly => "one_person",
        MessageCode::AskConsent => "consent",
        MessageCode::LookAtCamera => "camera",
        MessageCode::PleaseProceed => "proceed",
        MessageCode::SeeOfficer => "officer",
        MessageCode::PleaseGoBack => "go_back",
        MessageCode::LaneClosed | MessageCode::OutOfService => "closed",
        MessageCode::Evacuate => "emergency",
    }
}

/// Whether the privacy notice is on screen at this step: from the first prompt until the
/// camera step, so that it is read before any frame is taken.
fn shows_notice(code: MessageCode) -> bool {
    matches!(
        code,
        MessageCode::PresentDocument
            | MessageCode::PresentDocumentAgain
            | MessageCode::ReadingDocument
            | MessageCode::PleaseWait
            | MessageCode::PleaseEnter
            | MessageCode::AskConsent
            | MessageCode::LookAtCamera
    )
}

/// One state of the screen, as the page gets it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Update {
    /// Increases by one per update.
    pub seq: u64,
    /// The step: a gate message code (`present_document`, ...).
    pub step: &'static str,
    /// Its pictogram.
    pub pictogram: &'static str,
    /// `[step, of]` within a passage, when the step has a place in it.
    pub progress: Option<[u8; 2]>,
    /// Language tag of the texts.
    pub lang: String,
    /// The face pipeline's guidance code, while the camera step lasts.
    pub guidance: Option<&'static str>,
    /// The liveness challenge's prompt (`vision::pad::challenge::Action::as_str`: the
    /// catalogues' `challenge.<code>`) while it is asked, with its place `[n, of]`.
    pub challenge: Option<(&'static str, [u8; 2])>,
    /// The version of the privacy notice on screen, if it is.
    pub notice: Option<String>,
    /// Whether the camera has started taking frames in this passage.
    pub capturing: bool,
    /// The accessible mode: larger text and spoken prompts (the gate gives more time).
    pub accessible: bool,
}

/// One lane's screen.
#[derive(Debug, Clone)]
pub struct Screen {
    seq: u64,
    step: MessageCode,
    default_lang: String,
    document_lang: Option<String>,
    chosen_lang: Option<String>,
    guidance: Option<(&'static str, Instant)>,
    challenge: Option<(&'static str, [u8; 2])>,
    notice_version: String,
    capturing: bool,
    accessible: bool,
}

impl Screen {
    /// A screen showing the first prompt in `default_lang`, with privacy notice
    /// `notice_version`.
    pub fn new(default_lang: &str, notice_version: &str) -> Self {
        Self {
            seq: 0,
            step: MessageCode::PresentDocument,
            default_lang: default_lang.to_string(),
            document_lang: None,
            chosen_lang: None,
            guidance: None,
            challenge: None,
            notice_version: notice_version.to_string(),
            capturing: false,
            accessible: false,
        }
    }

    /// What the screen shows now.
    pub fn current(&self) -> Update {
        Update {
            seq: self.seq,
            step: self.step.as_str(),
            pictogram: pictogram(self.step),
            progress: PROGRESS
                .iter()
                .position(|c| *c == self.step)
                .map(|i| [i as u8 + 1, PROGRESS.len() as u8]),
            lang: self
                .chosen_lang
                .clone()
                .or_else(|| self.document_lang.clone())
                .unwrap_or_else(|| self.default_lang.clone()),
            guidance: self.guidance.map(|(g, _)| g),
            challenge: self.challenge,
            notice: shows_notice(self.step).then(|| self.notice_version.clone()),
            capturing: self.capturing,
            accessible: self.accessible,
        }
    }

    fn changed(&mut self) -> Update {
        self.seq += 1;
        self.current()
    }

    /// The gate shows `code`. The first prompt starts a new traveller: the language and
    /// the capture flag go back to their defaults.
    pub fn message(&mut self, code: MessageCode) -> Update {
        if code == MessageCode::PresentDocument && self.step != code {
            self.document_lang = None;
            self.chosen_lang = None;
            self.capturing = false;
            self.accessible = false;
        }
        self.step = code;
        self.guidance = None;
        // The challenge is asked during the capture; any other step ends it on screen.
        if code != MessageCode::LookAtCamera {
            self.challenge = None;
        }
        self.changed()
    }

    /// The liveness challenge asks for `prompt` (`(code, n, of)`), or is over (`None`).
    /// Shown at once during the steps a capture can run in (the camera step, and entering or
    /// waiting before it, for a capture that starts as the traveller stands alone in the
    /// mantrap): the prompt's time bound runs from now. A prompt that comes later (a capture
    /// ending after its passage was referred, faulted or ended) is not shown. `None` when
    /// nothing changes on screen.
    pub fn challenge(&mut self, prompt: Option<(&'static str, usize, usize)>) -> Option<Update> {
        let capturing = matches!(
            self.step,
            MessageCode::LookAtCamera | MessageCode::PleaseEnter | MessageCode::PleaseWait
        );
        if prompt.is_some() && !capturing {
            return None;
        }
        let prompt = prompt.map(|(c, n, of)| (c, [n.min(9) as u8, of.min(9) as u8]));
        if prompt == self.challenge {
            return None;
        }
        self.challenge = prompt;
        Some(self.changed())
    }

    /// The face pipeline's guidance at `now`; `None` when nothing changes on screen (the
    /// same prompt, one shown too recently, or not the camera step).
    pub fn guidance(&mut self, code: &'static str, now: Instant) -> Option<Update> {
        if self.step != MessageCode::LookAtCamera {
            return None;
        }
        match self.guidance {
            Some((g, _)) if g == code => return None,
            Some((_, since)) if now.duration_since(since) < GUIDANCE_HOLD => return None,
            _ => {}
        }
        self.guidance = Some((code, now));
        Some(self.changed())
    }

    /// The document's language, once known; `None` if nothing changes.
    pub fn document_language(&mut self, lang: &str) -> Option<Update> {
        if self.document_lang.as_deref() == Some(lang) {
            return None;
        }
        self.document_lang = Some(lang.to_string());
        Some(self.changed())
    }

    /// The traveller tapped a language: it holds until the next traveller.
    pub fn choose_language(&mut self, lang: &str) -> Update {
        self.chosen_lang = Some(lang.to_string());
        self.changed()
    }

    /// The accessible mode is on until the next traveller; `None` if it already was.
    pub fn assist(&mut self) -> Option<Update> {
        if self.accessible {
            return None;
        }
        self.accessible = true;
        Some(self.changed())
    }

    /// The camera took its first frame of this passage; `None` if already said.
    pub fn capture_started(&mut self) -> Option<Update> {
        if self.capturing {
            return None;
        }
        self.capturing = true;
        Some(self.changed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_passage_goes_through_the_progress_steps_with_the_notice_before_capture() {
        let mut s = Screen::new("en", "2026-12");
        let first = s.message(MessageCode::PresentDocument);
        assert_eq!(first.progress, Some([1, 5]));
        assert_eq!(first.notice.as_deref(), Some("2026-12"));
        assert_eq!(s.document_language("de").map(|u| u.lang), Some("de".into()));
        assert_eq!(s.document_language("de"), None);
        s.message(MessageCode::ReadingDocument);
        s.message(MessageCode::PleaseEnter);
        let cam = s.message(MessageCode::LookAtCamera);
        assert!(cam.notice.is_some() && !cam.capturing);
        assert!(s.capture_started().unwrap().capturing);
        assert_eq!(s.capture_started(), None);
        let out = s.message(MessageCode::PleaseProceed);
        assert_eq!(
            (out.progress, out.notice, out.lang.as_str()),
            (Some([5, 5]), None, "de")
        );
        // The next traveller starts in the default language.
        let next = s.message(MessageCode::PresentDocument);
        assert_eq!((next.lang.as_str(), next.capturing), ("en", false));
    }

    #[test]
    fn guidance_is_held_and_only_shown_at_the_camera() {
        let t0 = Instant::now();
        let mut s = Screen::new("en", "1");
        assert_eq!(s.guidance("step_closer", t0), None);
        s.message(MessageCode::LookAtCamera);
        assert_eq!(
            s.guidance("step_closer", t0).unwrap().guidance,
            Some("step_closer")
        );
        assert_eq!(s.guidance("step_closer", t0 + GUIDANCE_HOLD * 2), None);
        assert_eq!(s.guidance("hold_still", t0 + GUIDANCE_HOLD / 2), None);
        assert_eq!(
            s.guidance("hold_still", t0 + GUIDANCE_HOLD)
                .unwrap()
                .guidance,
            Some("hold_still")
        );
        assert_eq!(s.message(MessageCode::PleaseGoBack).guidance, None);
    }

    #[test]
    fn the_challenge_prompt_shows_at_once_and_ends_with_the_camera_step() {
        let t0 = Instant::now();
        let mut s = Screen::new("en", "1");
        s.message(MessageCode::LookAtCamera);
        s.guidance("hold_still", t0);
        let u = s.challenge(Some(("turn_left", 1, 2))).unwrap();
        assert_eq!(u.challenge, Some(("turn_left", [1, 2])));
        // Not held like guidance: the next action replaces it at once.
        assert_eq!(s.challenge(Some(("turn_left", 1, 2))), None);
        let u = s.challenge(Some(("step_closer", 2, 2))).unwrap();
        assert_eq!(u.challenge, Some(("step_closer", [2, 2])));
        assert_eq!(s.challenge(None).unwrap().challenge, None);
        s.challenge(Some(("turn_right", 1, 1)));
        // The camera step shown again (a race with the capture's start) keeps the prompt.
        assert!(s.message(MessageCode::LookAtCamera).challenge.is_some());
        assert_eq!(s.message(MessageCode::PleaseProceed).challenge, None);
        // A late prompt from a capture whose passage has ended stays off the screen.
        for after in [
            MessageCode::SeeOfficer,
            MessageCode::OutOfService,
            MessageCode::PresentDocument,
            MessageCode::PleaseProceed,
        ] {
            s.message(after);
            assert_eq!(s.challenge(Some(("turn_left", 2, 2))), None, "{after:?}");
            assert_eq!(s.message(after).challenge, None, "{after:?}");
        }
        // Early capture: the prompt can come while the traveller is still entering.
        s.message(MessageCode::PleaseEnter);
        assert!(s.challenge(Some(("turn_left", 1, 1))).is_some());
    }

    #[test]
    fn a_chosen_language_beats_the_documents_until_the_next_traveller() {
        let mut s = Screen::new("en", "1");
        s.document_language("de");
        assert_eq!(s.choose_language("ar").lang, "ar");
        assert_eq!(s.message(MessageCode::ReadingDocument).lang, "ar");
        assert_eq!(s.message(MessageCode::PresentDocument).lang, "en");
    }

    #[test]
    fn the_accessible_mode_holds_until_the_next_traveller() {
        let mut s = Screen::new("en", "1");
        s.message(MessageCode::PresentDocument);
        assert!(s.assist().unwrap().accessible);
        assert_eq!(s.assist(), None);
        assert!(s.message(MessageCode::PleaseEnter).accessible);
        s.message(MessageCode::PleaseProceed);
        assert!(!s.message(MessageCode::PresentDocument).accessible);
    }
}
