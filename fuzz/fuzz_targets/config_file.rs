//! The daemon's config file reader on arbitrary text: the strict walk against the annotated
//! default (unknown keys, wrong types, every error with its key and line), then the
//! `[console]` and `[borderdb]` sections' own checks. Never a panic, and every error it
//! reports names a line within the file or none.
//!
//! The reader is the daemon's own `config/check.rs`, compiled in here (the daemon is a binary
//! crate); the whole `Config` type is not, because its `[vision]` section would pull ONNX
//! Runtime and OpenCV into the fuzz build.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../daemon/src/config/check.rs"]
#[allow(dead_code, missing_docs)]
mod check;

#[path = "../../daemon/src/config/schema.rs"]
#[allow(dead_code)]
mod schema;
use schema::{DEFAULT_CONFIG, FREE_TABLES};

#[derive(serde::Deserialize)]
struct Sections {
    #[serde(default)]
    console: Option<console::ConsoleConfig>,
    #[serde(default)]
    borderdb: Option<borderdb::BorderDbConfig>,
}

fn validate(s: &Sections) -> Vec<check::ConfigError> {
    let mut errors = Vec::new();
    let problems = s
        .console
        .iter()
        .flat_map(|c| c.problems())
        .map(|(k, m)| (k.to_string(), m))
        .chain(s.borderdb.iter().flat_map(|w| w.problems()));
    for (key, message) in problems {
        errors.push(check::ConfigError {
            key,
            line: None,
            message,
        });
    }
    errors
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.split('\n').count();
    if let Err(errors) = check::parse::<Sections>(text, DEFAULT_CONFIG, &FREE_TABLES, validate) {
        assert!(!errors.is_empty());
        for e in errors {
            if let Some(line) = e.line {
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
            }
            let _ = e.to_string();
        }
    }
});
