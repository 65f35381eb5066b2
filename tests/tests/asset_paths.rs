//! The daemon finds its assets (face models, ONNX Runtime, the simulator's faces) from the
//! configured assets folder — `[vision] assets`, else `$EGATE_ASSETS`, else the packaged
//! `/usr/share/egate` — and never from the working directory: `egate run --sim` started
//! from an empty temporary folder completes passages.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use egate_tests::{egate_bin, http, repo, run_args, Daemon};

/// An assets folder laid out like the packaged `/usr/share/egate`: the models and ONNX
/// Runtime of the machine's assets (scripts/setup.sh) and the simulator's faces.
fn assets_folder() -> tempfile::TempDir {
    let machine = PathBuf::from(std::env::var_os("EGATE_ASSETS").unwrap_or("/opt/egate".into()));
    let dir = tempfile::tempdir().unwrap();
    for sub in ["models", "onnxruntime"] {
        std::os::unix::fs::symlink(machine.join(sub), dir.path().join(sub)).unwrap();
    }
    std::os::unix::fs::symlink(repo().join("vision/tests/data"), dir.path().join("faces")).unwrap();
    dir
}

/// A one-gate simulation config that names no faces folder (the default applies).
fn config(dir: &Path, vision_assets: Option<&Path>) -> PathBuf {
    let mut text = "[sim]\ngates = 1\narrival_interval_s = 0.2\nvpcd_readers = []\n".to_string();
    if let Some(a) = vision_assets {
        text.push_str(&format!(
            "[vision]\nassets = {:?}\n",
            a.display().to_string()
        ));
    }
    let f = dir.join("egate.toml");
    std::fs::write(&f, text).unwrap();
    f
}

/// Starts `egate run --sim` in `cwd`, waits for a passage to end in `/metrics`.
fn passes_from(cwd: &Path, cfg: &Path, state: &Path, env_assets: Option<&Path>) {
    let mut cmd = Command::new(egate_bin());
    cmd.args(run_args(true, Some(cfg), state)).current_dir(cwd);
    match env_assets {
        Some(a) => cmd.env("EGATE_ASSETS", a),
        None => cmd.env_remove("EGATE_ASSETS"),
    };
    let mut d = Daemon::spawn(cmd);
    let addr = d.wait_listening();
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        let m = http(addr, "GET", "/metrics", "").unwrap();
        if m.body
            .lines()
            .any(|l| l.starts_with("egate_passages_total{"))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no passage ended within 90 s; log:\n{}",
            {
                d.drain();
                d.log.join("\n")
            }
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn run_sim_finds_its_assets_from_the_configured_folder_not_the_working_directory() {
    let assets = assets_folder();
    let cwd = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // `[vision] assets` in the config, no EGATE_ASSETS.
    let cfg = config(state.path(), Some(assets.path()));
    passes_from(cwd.path(), &cfg, state.path(), None);
    // EGATE_ASSETS, nothing in the config.
    let state = tempfile::tempdir().unwrap();
    let cfg = config(state.path(), None);
    passes_from(cwd.path(), &cfg, state.path(), Some(assets.path()));
}

#[test]
fn run_sim_without_faces_in_the_assets_folder_names_the_folder_it_looked_in() {
    let assets = tempfile::tempdir().unwrap();
    let state = tempfile::tempdir().unwrap();
    // The repository root as working directory: its vision/tests/data must not be picked up.
    let cfg = config(state.path(), Some(assets.path()));
    let out = Command::new(egate_bin())
        .args(run_args(true, Some(&cfg), state.path()))
        .current_dir(repo())
        .env_remove("EGATE_ASSETS")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    let want = assets.path().join("faces/identities.txt");
    assert!(err.contains(&want.display().to_string()), "{err}");
}
