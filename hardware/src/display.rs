//! The traveller display and its lamps: messages by code, shown in the languages the config
//! lists, over a simple line protocol on a serial port (or any writer).
//!
//! The gate decides what is shown ([`MessageCode`]); the display adds the words, in the languages
//! the config lists, and its pictogram lamp ([`pictogram`]).
//!
//! Line protocol (one line per update, ASCII control-free UTF-8, CR LF terminated):
//! `MSG <code> <lamp> <lang>=<text>|<lang>=<text>...` where `<code>` is the message's
//! [`wire_code`] and `<lamp>` is `off`, `green`, `amber` or `red` — e.g.
//! `MSG present-passport off en=Place your passport on the reader|fr=Posez votre passeport sur le lecteur`.
//! Texts never contain personal data: the gate shows codes, never names or document numbers.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

pub use gate::{Lamp, MessageCode};

/// The display's wire code of a gate message, one to one (`present-passport`, ...): the line
/// protocol has its own kebab-case words, which displays match on.
pub fn wire_code(code: MessageCode) -> &'static str {
    match code {
        MessageCode::PresentDocument => "present-passport",
        MessageCode::ReadingDocument => "reading-chip",
        MessageCode::PresentDocumentAgain => "present-passport-again",
        MessageCode::PleaseWait => "please-wait",
        MessageCode::PleaseEnter => "enter-gate",
        MessageCode::OnePersonOnly => "one-at-a-time",
        MessageCode::AskConsent => "ask-consent",
        MessageCode::LookAtCamera => "look-at-camera",
        MessageCode::PleaseProceed => "proceed-to-exit",
        MessageCode::SeeOfficer => "see-officer",
        MessageCode::PleaseGoBack => "please-go-back",
        MessageCode::LaneClosed => "lane-closed",
        MessageCode::OutOfService => "out-of-service",
        MessageCode::Evacuate => "emergency",
    }
}

/// The gate message whose wire code is `wire` (the inverse of [`wire_code`]).
pub fn from_wire_code(wire: &str) -> Option<MessageCode> {
    MessageCode::ALL.into_iter().find(|&c| wire_code(c) == wire)
}

/// The display's pictogram for a message: green arrow to go (in, on, or out in an
/// evacuation), red cross to stop, dark otherwise. The display has no amber.
pub fn pictogram(code: MessageCode) -> Lamp {
    match code {
        MessageCode::PleaseEnter | MessageCode::PleaseProceed | MessageCode::Evacuate => {
            Lamp::Green
        }
        MessageCode::OnePersonOnly
        | MessageCode::SeeOfficer
        | MessageCode::PleaseGoBack
        | MessageCode::LaneClosed
        | MessageCode::OutOfService => Lamp::Red,
        MessageCode::PresentDocument
        | MessageCode::ReadingDocument
        | MessageCode::PresentDocumentAgain
        | MessageCode::PleaseWait
        | MessageCode::AskConsent
        | MessageCode::LookAtCamera => Lamp::Off,
    }
}

/// The built-in text of `code` in `lang` (`en` or `fr`). Never says why a traveller was
/// referred: the reason is for the officer.
fn builtin(code: MessageCode, lang: &str) -> Option<&'static str> {
    use MessageCode as M;
    Some(match (lang, code) {
        ("en", M::PresentDocument) => "Place your passport on the reader",
        ("en", M::ReadingDocument) => "Reading, do not move the document",
        ("en", M::PresentDocumentAgain) => "Place your passport on the reader again",
        ("en", M::PleaseWait) => "Please wait",
        ("en", M::PleaseEnter) => "Please enter",
        ("en", M::OnePersonOnly) => "One person at a time",
        ("en", M::AskConsent) => "May the gate compare your face with your passport photo?",
        ("en", M::LookAtCamera) => "Look at the camera",
        ("en", M::PleaseProceed) => "Please proceed",
        ("en", M::SeeOfficer) => "Please see an officer",
        ("en", M::PleaseGoBack) => "Please go back and see an officer",
        ("en", M::LaneClosed) => "Lane closed",
        ("en", M::OutOfService) => "Out of service",
        ("en", M::Evacuate) => "Emergency: please leave the gate",
        ("fr", M::PresentDocument) => "Posez votre passeport sur le lecteur",
        ("fr", M::ReadingDocument) => "Lecture, ne bougez pas le document",
        ("fr", M::PresentDocumentAgain) => "Reposez votre passeport sur le lecteur",
        ("fr", M::PleaseWait) => "Veuillez patienter",
        ("fr", M::PleaseEnter) => "Entrez",
        ("fr", M::OnePersonOnly) => "Une personne à la fois",
        ("fr", M::AskConsent) => {
            "Acceptez-vous que le sas compare votre visage à la photo du passeport ?"
        }
        ("fr", M::LookAtCamera) => "Regardez la caméra",
        ("fr", M::PleaseProceed) => "Avancez",
        ("fr", M::SeeOfficer) => "Adressez-vous à un agent",
        ("fr", M::PleaseGoBack) => "Revenez en arrière et adressez-vous à un agent",
        ("fr", M::LaneClosed) => "Passage fermé",
        ("fr", M::OutOfService) => "Hors service",
        ("fr", M::Evacuate) => "Urgence : quittez le passage",
        _ => return None,
    })
}

/// Display configuration: which languages, in order, and text overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// Language tags shown, in order (built-in texts exist for `en` and `fr`).
    pub languages: Vec<String>,
    /// Texts by language, then by code (the gate's names: `see_officer`); they replace or
    /// add to the built-in ones.
    pub messages: BTreeMap<String, HashMap<MessageCode, String>>,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        DisplayConfig {
            languages: vec!["en".into()],
            messages: BTreeMap::new(),
        }
    }
}

impl DisplayConfig {
    /// Every (language, code) without a text, so config checking can report them all at once.
    pub fn missing_texts(&self) -> Vec<(String, MessageCode)> {
        let mut missing = Vec::new();
        for lang in &self.languages {
            for code in MessageCode::ALL {
                if self.text(lang, code).is_none() {
                    missing.push((lang.clone(), code));
                }
            }
        }
        missing
    }

    /// The text of `code` in `lang`.
    pub fn text(&self, lang: &str, code: MessageCode) -> Option<&str> {
        self.messages
            .get(lang)
            .and_then(|m| m.get(&code))
            .map(String::as_str)
            .or_else(|| builtin(code, lang))
    }

    /// The protocol line for `code` and `lamp` (without the CR LF).
    pub fn line(&self, code: MessageCode, lamp: Lamp) -> String {
        let texts: Vec<String> = self
            .languages
            .iter()
            .map(|lang| {
                let text = self.text(lang, code).unwrap_or(wire_code(code));
                // Keep the line protocol unambiguous: no control characters or separators.
                let clean: String = text
                    .chars()
                    .map(|c| if c.is_control() || c == '|' { ' ' } else { c })
                    .collect();
                format!("{lang}={clean}")
            })
            .collect();
        format!(
            "MSG {} {} {}",
            wire_code(code),
            lamp.as_str(),
            texts.join("|")
        )
    }
}

/// A display error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DisplayError {
    /// Writing to the display failed.
    #[error("display: {0}")]
    Io(String),
}

impl DisplayError {
    /// The kind, for the driver.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Disconnected
    }
}

/// A traveller display.
pub trait TravellerDisplay: Send {
    /// Shows a message and sets the lamp.
    fn show(&mut self, code: MessageCode, lamp: Lamp) -> Result<(), DisplayError>;
}

/// A display driven by the line protocol over any writer (a serial port, a pty, a file).
#[derive(Debug)]
pub struct LineDisplay<W> {
    out: W,
    config: DisplayConfig,
}

impl<W: Write + Send> LineDisplay<W> {
    /// A display writing to `out`.
    pub fn new(out: W, config: DisplayConfig) -> Self {
        LineDisplay { out, config }
    }

    /// The writer, e.g. to inspect what was sent.
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl LineDisplay<Box<dyn tokio_serial::SerialPort>> {
    /// Opens a serial display at `port`, `baud` 8N1.
    pub fn open(port: &str, baud: u32, config: DisplayConfig) -> Result<Self, DisplayError> {
        let out = tokio_serial::new(port, baud)
            .open()
            .map_err(|e| DisplayError::Io(format!("{port}: {e}")))?;
        Ok(LineDisplay::new(out, config))
    }
}

impl<W: Write + Send> TravellerDisplay for LineDisplay<W> {
    fn show(&mut self, code: MessageCode, lamp: Lamp) -> Result<(), DisplayError> {
        let mut line = self.config.line(code, lamp);
        line.push_str("\r\n");
        self.out
            .write_all(line.as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| DisplayError::Io(e.to_string()))
    }
}

/// A display that remembers what it was asked to show (the simulator's and tests' display).
#[derive(Debug, Default, Clone)]
pub struct RecordingDisplay {
    /// Every message shown, oldest first.
    pub shown: Vec<(MessageCode, Lamp)>,
}

impl TravellerDisplay for RecordingDisplay {
    fn show(&mut self, code: MessageCode, lamp: Lamp) -> Result<(), DisplayError> {
        self.shown.push((code, lamp));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_has_english_and_french_text() {
        let config = DisplayConfig {
            languages: vec!["en".into(), "fr".into()],
            ..Default::default()
        };
        assert!(config.missing_texts().is_empty());
        let de = DisplayConfig {
            languages: vec!["de".into()],
            ..Default::default()
        };
        assert_eq!(de.missing_texts().len(), MessageCode::ALL.len());
    }

    #[test]
    fn writes_one_line_per_message_with_overrides() {
        let mut config = DisplayConfig {
            languages: vec!["en".into(), "fr".into()],
            ..Default::default()
        };
        config.messages.insert(
            "en".into(),
            [(
                MessageCode::SeeOfficer,
                "See an officer |\r\nnow".to_string(),
            )]
            .into(),
        );
        let text = "languages = [\"en\"]\n[messages.en]\nplease_wait = \"Hi\"\n";
        let parsed: DisplayConfig = toml::from_str(text).unwrap();
        assert_eq!(parsed.text("en", MessageCode::PleaseWait), Some("Hi"));
        let mut d = LineDisplay::new(Vec::new(), config);
        d.show(MessageCode::SeeOfficer, Lamp::Red).unwrap();
        d.show(MessageCode::PleaseProceed, Lamp::Green).unwrap();
        let out = String::from_utf8(d.into_inner()).unwrap();
        assert_eq!(
            out,
            "MSG see-officer red en=See an officer    now|fr=Adressez-vous à un agent\r\n\
             MSG proceed-to-exit green en=Please proceed|fr=Avancez\r\n"
        );
    }

    #[test]
    fn every_gate_message_has_exactly_one_wire_code_and_back() {
        let mut seen = std::collections::HashSet::new();
        for code in MessageCode::ALL {
            let wire = wire_code(code);
            assert!(seen.insert(wire), "{wire} is the wire code of two messages");
            assert!(
                wire.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{wire} is not a kebab-case word"
            );
            assert_eq!(from_wire_code(wire), Some(code));
        }
        assert_eq!(from_wire_code("welcome"), None);
    }
}
