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
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct PkiConfig {
    /// CSCA and link certificates: DER or PEM files, or folders of them.
    pub csca: Vec<PathBuf>,
    /// ICAO master lists (CMS), verified against the `csca` entries.
    pub master_lists: Vec<PathBuf>,
    /// Certificate revocation lists (DER or PEM).
    pub crls: Vec<PathBuf>,
    /// Master-list signer anchors: certificates a master list's signer must be issued by.
    pub master_list_signers: Vec<PathBuf>,
    /// ICAO deviation lists (9303-12 §10, CMS), verified against the CSCAs.
    pub deviation_lists: Vec<PathBuf>,
    /// The trust store `egate pki` imports into (master lists, CRLs, signer anchors); empty:
    /// none.
    pub store_dir: PathBuf,
    /// Seconds between checks of the trust files for changes; 0: never reload.
    pub reload_interval_s: f64,
    /// Hours a CRL may be past its nextUpdate before it counts as stale.
    pub crl_grace_hours: u32,
    /// What a stale CRL does to the documents its CSCA vouches for.
    pub crl_stale: CrlStaleAction,
    /// CSCA countries (ISO 3166 alpha-2, as in the CRL issuer) whose stale CRL only alarms,
    /// whatever [`PkiConfig::crl_stale`] says.
    pub crl_stale_alarm_countries: Vec<String>,
    /// CSCA countries whose stale CRL refers, whatever [`PkiConfig::crl_stale`] says.
    pub crl_stale_refer_countries: Vec<String>,
}

impl Default for PkiConfig {
    fn default() -> Self {
        Self {
            csca: Vec::new(),
            master_lists: Vec::new(),
            crls: Vec::new(),
            master_list_signers: Vec::new(),
            deviation_lists: Vec::new(),
            store_dir: PathBuf::new(),
            reload_interval_s: 1.0,
            crl_grace_hours: 24,
            crl_stale: CrlStaleAction::Refer,
            crl_stale_alarm_countries: Vec::new(),
            crl_stale_refer_countries: Vec::new(),
        }
    }
}

impl PkiConfig {
    /// What a stale CRL of a CSCA of `country` (alpha-2) does.
    pub fn crl_stale_action(&self, country: Option<&str>) -> CrlStaleAction {
        let listed = |list: &[String]| country.is_some_and(|c| list.iter().any(|l| l == c));
        if listed(&self.crl_stale_refer_countries) {
            CrlStaleAction::Refer
        } else if listed(&self.crl_stale_alarm_countries) {
            CrlStaleAction::Alarm
        } else {
            self.crl_stale
        }
    }

    /// Every problem in `[pki]`, under its dotted key.
    pub fn problems(&self, out: &mut Problems) {
        out.within(
            "pki.reload_interval_s",
            self.reload_interval_s,
            0.0..=3600.0,
            " seconds",
        );
        out.within(
            "pki.crl_grace_hours",
            self.crl_grace_hours,
            0..=8760,
            " hours",
        );
        for (key, list) in [
            (
                "pki.crl_stale_alarm_countries",
                &self.crl_stale_alarm_countries,
            ),
            (
                "pki.crl_stale_refer_countries",
                &self.crl_stale_refer_countries,
            ),
        ] {
            for (i, country) in list.iter().enumerate() {
                if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
                    out.bad(
                        format!("{key}[{i}]"),
                        format!("{country:?}: a country is two capital letters (ISO 3166 alpha-2, as in C= of the CRL issuer)"),
                    );
                }
            }
        }
        for (i, country) in self.crl_stale_alarm_countries.iter().enumerate() {
            if self.crl_stale_refer_countries.contains(country) {
                out.bad(
                    format!("pki.crl_stale_alarm_countries[{i}]"),
                    format!("{country:?} is also in pki.crl_stale_refer_countries"),
                );
            }
        }
    }
}

/// What a stale CRL (past nextUpdate plus `crl_grace_hours`) does.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum CrlStaleAction {
    /// An alarm for the officers; travellers still pass.
    Alarm,
    /// An alarm, and every document the CSCA vouches for is referred (`crl_stale`).
    Refer,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pki_keys_are_checked() {
        let bad = PkiConfig {
            reload_interval_s: -1.0,
            crl_grace_hours: 9000,
            crl_stale_alarm_countries: vec!["de".into(), "FR".into()],
            crl_stale_refer_countries: vec!["FR".into()],
            ..PkiConfig::default()
        };
        let mut p = Problems::default();
        bad.problems(&mut p);
        let keys: Vec<&str> = p.0.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "pki.reload_interval_s",
                "pki.crl_grace_hours",
                "pki.crl_stale_alarm_countries[0]",
                "pki.crl_stale_alarm_countries[1]",
            ]
        );
        let mut p = Problems::default();
        PkiConfig::default().problems(&mut p);
        assert!(p.0.is_empty());
        assert_eq!(bad.crl_stale_action(Some("FR")), CrlStaleAction::Refer);
        let lenient = PkiConfig {
            crl_stale: CrlStaleAction::Alarm,
            crl_stale_refer_countries: vec!["FR".into()],
            ..PkiConfig::default()
        };
        assert_eq!(lenient.crl_stale_action(Some("DE")), CrlStaleAction::Alarm);
        assert_eq!(lenient.crl_stale_action(None), CrlStaleAction::Alarm);
        assert_eq!(lenient.crl_stale_action(Some("FR")), CrlStaleAction::Refer);
    }
}
