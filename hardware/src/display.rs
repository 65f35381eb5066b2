//! The traveller display and its lamps: messages by code, shown in the languages the config
//! lists, over a simple line protocol on a serial port (or any writer).
//!
//! Line protocol (one line per update, ASCII control-free UTF-8, CR LF terminated):
//! `MSG <code> <lamp> <lang>=<text>|<lang>=<text>...` — e.g.
//! `MSG present-passport off en=Place your passport on the reader|fr=Posez votre passeport sur le lecteur`.
//! Texts never contain personal data: the gate shows codes, never names or document numbers.

use std::collections::BTreeMap;
use std::io::Write;

use serde::{Deserialize, Serialize};

use crate::error::ErrorKind;

/// What the display says, by code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MessageCode {
    /// Lane free, waiting for a traveller.
    Welcome,
    /// Place the passport on the reader.
    PresentPassport,
    /// Reading the chip; do not move the document.
    ReadingChip,
    /// Take the document back.
    RemoveDocument,
    /// Enter the gate.
    EnterGate,
    /// One person at a time.
    OneAtATime,
    /// Look at the camera.
    LookAtCamera,
    /// Proceed to the exit.
    ProceedToExit,
    /// Please see an officer.
    SeeOfficer,
    /// Please wait.
    PleaseWait,
    /// Lane closed.
    OutOfService,
    /// Emergency: leave the gate.
    Emergency,
}

impl MessageCode {
    /// Every code.
    pub const ALL: [MessageCode; 12] = [
        MessageCode::Welcome,
        MessageCode::PresentPassport,
        MessageCode::ReadingChip,
        MessageCode::RemoveDocument,
        MessageCode::EnterGate,
        MessageCode::OneAtATime,
        MessageCode::LookAtCamera,
        MessageCode::ProceedToExit,
        MessageCode::SeeOfficer,
        MessageCode::PleaseWait,
        MessageCode::OutOfService,
        MessageCode::Emergency,
    ];

    /// The kebab-case wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageCode::Welcome => "welcome",
            MessageCode::PresentPassport => "present-passport",
            MessageCode::ReadingChip => "reading-chip",
            MessageCode::RemoveDocument => "remove-document",
            MessageCode::EnterGate => "enter-gate",
            MessageCode::OneAtATime => "one-at-a-time",
            MessageCode::LookAtCamera => "look-at-camera",
            MessageCode::ProceedToExit => "proceed-to-exit",
            MessageCode::SeeOfficer => "see-officer",
            MessageCode::PleaseWait => "please-wait",
            MessageCode::OutOfService => "out-of-service",
            MessageCode::Emergency => "emergency",
        }
    }

    fn builtin(self, lang: &str) -> Option<&'static str> {
        Some(match (lang, self) {
            ("en", MessageCode::Welcome) => "Welcome",
            ("en", MessageCode::PresentPassport) => "Place your passport on the reader",
            ("en", MessageCode::ReadingChip) => "Reading, do not move the document",
            ("en", MessageCode::RemoveDocument) => "Take your document",
            ("en", MessageCode::EnterGate) => "Please enter",
            ("en", MessageCode::OneAtATime) => "One person at a time",
            ("en", MessageCode::LookAtCamera) => "Look at the camera",
            ("en", MessageCode::ProceedToExit) => "Please proceed",
            ("en", MessageCode::SeeOfficer) => "Please see an officer",
            ("en", MessageCode::PleaseWait) => "Please wait",
            ("en", MessageCode::OutOfService) => "Lane closed",
            ("en", MessageCode::Emergency) => "Emergency: please leave the gate",
            ("fr", MessageCode::Welcome) => "Bienvenue",
            ("fr", MessageCode::PresentPassport) => "Posez votre passeport sur le lecteur",
            ("fr", MessageCode::ReadingChip) => "Lecture, ne bougez pas le document",
            ("fr", MessageCode::RemoveDocument) => "Reprenez votre document",
            ("fr", MessageCode::EnterGate) => "Entrez",
            ("fr", MessageCode::OneAtATime) => "Une personne à la fois",
            ("fr", MessageCode::LookAtCamera) => "Regardez la caméra",
            ("fr", MessageCode::ProceedToExit) => "Avancez",
            ("fr", MessageCode::SeeOfficer) => "Adressez-vous à un agent",
            ("fr", MessageCode::PleaseWait) => "Veuillez patienter",
            ("fr", MessageCode::OutOfService) => "Passage fermé",
            ("fr", MessageCode::Emergency) => "Urgence : quittez le passage",
            _ => return None,
        })
    }
}

/// The display's own pictogram lamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lamp {
    /// Dark.
    Off,
    /// Green arrow: go.
    Green,
    /// Red cross: stop.
    Red,
}

impl Lamp {
    fn as_str(self) -> &'static str {
        match self {
            Lamp::Off => "off",
            Lamp::Green => "green",
            Lamp::Red => "red",
        }
    }
}

/// Display configuration: which languages, in order, and text overrides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// Language tags shown, in order (built-in texts exist for `en` and `fr`).
    pub languages: Vec<String>,
    /// Texts by language, then by code; they replace or add to the built-in ones.
    pub messages: BTreeMap<String, BTreeMap<MessageCode, String>>,
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
            .or_else(|| code.builtin(lang))
    }

    /// The protocol line for `code` and `lamp` (without the CR LF).
    pub fn line(&self, code: MessageCode, lamp: Lamp) -> String {
        let texts: Vec<String> = self
            .languages
            .iter()
            .map(|lang| {
                let text = self.text(lang, code).unwrap_or(code.as_str());
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
            code.as_str(),
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
        let text = "languages = [\"en\"]\n[messages.en]\nwelcome = \"Hi\"\n";
        let parsed: DisplayConfig = toml::from_str(text).unwrap();
        assert_eq!(parsed.text("en", MessageCode::Welcome), Some("Hi"));
        let mut d = LineDisplay::new(Vec::new(), config);
        d.show(MessageCode::SeeOfficer, Lamp::Red).unwrap();
        d.show(MessageCode::ProceedToExit, Lamp::Green).unwrap();
        let out = String::from_utf8(d.into_inner()).unwrap();
        assert_eq!(
            out,
            "MSG see-officer red en=See an officer    now|fr=Adressez-vous à un agent\r\n\
             MSG proceed-to-exit green en=Please proceed|fr=Avancez\r\n"
        );
    }
}
