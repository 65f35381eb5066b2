//! The device sections of the configuration: `[reader]`, `[pki]`, `[doors]`, `[scanner]`,
//! `[display]` (the camera is `[vision.camera]`). Their annotated defaults are in
//! `config/devices.toml`, which is part of the embedded default config and so of the schema.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::check::Problems;

/// `[reader]`: the PC/SC reader of the document chip.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ReaderConfig {
    /// Reader name as pcscd lists it; empty: the first reader.
    pub pcsc_reader: String,
    /// Seconds to wait for the chip after the MRZ was scanned.
    pub card_wait_s: f64,
}

impl Default for ReaderConfig {
    fn default() -> Self {
        Self {
            pcsc_reader: String::new(),
            card_wait_s: 3.0,
        }
    }
}

/// `[pki]`: trust anchors of passive authentication.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PkiConfig {
    /// CSCA and link certificates: DER or PEM files, or folders of them.
    pub csca: Vec<PathBuf>,
    /// ICAO master lists (CMS), verified against the `csca` entries.
    pub master_lists: Vec<PathBuf>,
    /// Certificate revocation lists (DER or PEM).
    pub crls: Vec<PathBuf>,
}

/// `[doors]`: the Modbus RTU door controller.
#[derive(Debug, Clone, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DoorsConfig {
    /// Serial port; empty: none configured.
    pub port: String,
    /// Register map file (TOML); empty: the reference map.
    pub map_file: PathBuf,
}

/// `[scanner]`: the serial MRZ scanner.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct ScannerConfig {
    /// Serial port; empty: none configured.
    pub port: String,
    /// Line speed.
    pub baud: u32,
}

impl Default for ScannerConfig {
    fn default() -> Self {
        Self {
            port: String::new(),
            baud: 9600,
        }
    }
}

/// `[display]`: the traveller display.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct DisplayConfig {
    /// Serial port; empty: messages are logged only.
    pub port: String,
    /// Line speed.
    pub baud: u32,
    /// Languages shown, in order.
    pub languages: Vec<String>,
}

impl Default for DisplayConfig {
    fn default() -> Self {
        Self {
            port: String::new(),
            baud: 9600,
            languages: vec!["en".into(), "fr".into()],
        }
    }
}

/// Every problem in the device sections, under its dotted key.
pub fn problems(
    reader: &ReaderConfig,
    scanner: &ScannerConfig,
    display: &DisplayConfig,
    out: &mut Problems,
) {
    out.within(
        "reader.card_wait_s",
        reader.card_wait_s,
        0.1..=60.0,
        " seconds",
    );
    for (key, baud) in [
        ("scanner.baud", scanner.baud),
        ("display.baud", display.baud),
    ] {
        if !(300..=4_000_000).contains(&baud) {
            out.bad(key, format!("{baud} is not a usable baud rate"));
        }
    }
    let texts = hardware::display::DisplayConfig {
        languages: display.languages.clone(),
        ..Default::default()
    };
    if display.languages.is_empty() {
        out.bad("display.languages", "name at least one language");
    }
    for (lang, code) in texts.missing_texts() {
        out.bad(
            "display.languages",
            format!(
                "no built-in text in {lang:?} for message {}",
                hardware::display::wire_code(code)
            ),
        );
    }
}
