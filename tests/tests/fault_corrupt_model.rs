//! A corrupt model file at start (issue #17, faults): `egate run --sim` with liveness
//! required (the default) and `[vision] sface` pointing at a file of the right name and the
//! wrong bytes refuses to start, within seconds, with an error that names the file and says
//! its SHA-256 is not the pinned one; it never serves a lane that would match faces with it.

use egate_tests::{repo, run_args, Daemon};

#[test]
fn a_corrupt_model_file_stops_the_start_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("sface.onnx");
    // A real model's first bytes, cut short: what an interrupted copy leaves.
    let real = std::fs::read(
        std::path::Path::new(&std::env::var("EGATE_ASSETS").unwrap_or("/opt/egate".into()))
            .join("models/sface.onnx"),
    )
    .expect("the sface model (scripts/setup.sh installs it)");
    std::fs::write(&model, &real[..real.len() / 2]).unwrap();
    let cfg = dir.path().join("egate.toml");
    std::fs::write(
        &cfg,
        format!(
            "[sim]\ngates = 1\nfaces_dir = {:?}\npattern = [\"genuine\"]\nvpcd_readers = []\n\n\
             [vision]\nsface = {:?}\n",
            repo().join("vision/tests/data").display().to_string(),
            model.display().to_string()
        ),
    )
    .unwrap();
    let state = dir.path().join("state");
    let mut d = Daemon::start(&run_args(true, Some(&cfg), &state));
    let log = d.refused_start();
    assert!(log.contains(&model.display().to_string()), "{log}");
    assert!(log.contains("SHA-256"), "{log}");
    assert!(!log.contains("console listening"), "{log}");
}
