//! The acceptance scenario reader (`egate sim check`) on arbitrary text: TOML syntax, unknown
//! keys, the mix, arrivals, faults, criteria and modifiers, every error with its key and line.
//! Never a panic, and every error it reports names a line within the file or none.
//!
//! The reader's modules are compiled in here from `acceptance/src` (the acceptance crate as a
//! whole would pull ONNX Runtime and OpenCV into the fuzz build through its engine). Face
//! folders resolve against an empty temporary folder, so a scenario naming one gets the
//! "missing folder" error, as a typo would.
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../../acceptance/src/criteria.rs"]
#[allow(dead_code)]
mod criteria;
#[path = "../../acceptance/src/kinds.rs"]
#[allow(dead_code)]
mod kinds;
#[path = "../../acceptance/src/position.rs"]
#[allow(dead_code)]
mod position;
#[path = "../../acceptance/src/scenario.rs"]
#[allow(dead_code)]
mod scenario;
#[path = "../../acceptance/src/timing.rs"]
#[allow(dead_code)]
mod timing;

use std::sync::OnceLock;

fn base() -> &'static std::path::Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| tempfile::tempdir().expect("a temporary folder"))
        .path()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines = text.split('\n').count();
    if let Err(errors) = scenario::Scenario::check(text, base(), base()) {
        assert!(!errors.is_empty(), "refused with no error");
        for e in errors {
            if let Some(line) = e.line {
                assert!((1..=lines).contains(&line), "line {line} of {lines}: {e}");
            }
            let _ = e.to_string();
        }
    }
});
