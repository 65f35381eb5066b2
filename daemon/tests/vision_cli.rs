//! `egate vision compare` and `egate vision eval` against the real binary, on the face images
//! in vision/tests/data. Needs `scripts/setup-models.sh` (fails with a clear message otherwise).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn egate() -> Command {
    Command::new(env!("CARGO_BIN_EXE_egate"))
}

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vision/tests/data")
        .join(name)
}

fn assets_hint(out: &Output) -> String {
    format!(
        "status {}\nstdout: {}\nstderr: {}\n(if models are missing: run scripts/setup-models.sh)",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn compare_json(a: &Path, b: &Path) -> (Output, serde_json::Value) {
    let out = egate()
        .args(["vision", "compare", "--json"])
        .arg(a)
        .arg(b)
        .output()
        .expect("run egate");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", assets_hint(&out)));
    (out, v)
}

#[test]
fn compare_same_person_matches_and_others_do_not() {
    let (out, v) = compare_json(&data("person_a_1.jpg"), &data("person_a_2.jpg"));
    assert_eq!(v["decision"], "match", "{}", assets_hint(&out));
    assert_eq!(out.status.code(), Some(0));
    let score = v["score"].as_f64().unwrap();
    let threshold = v["threshold"].as_f64().unwrap();
    assert!(score >= threshold);
    assert_eq!(v["target_fmr"], 0.001);

    let (out, v) = compare_json(&data("person_a_1.jpg"), &data("person_b_1.jpg"));
    assert_eq!(v["decision"], "no_match", "{}", assets_hint(&out));
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn compare_reads_a_dg2_file_and_reports_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    // A DG2-like wrapper around the JPEG bytes.
    let mut dg2 = vec![
        0x75, 0x82, 0x40, 0x00, 0x7F, 0x61, 0x82, 0x3F, 0x00, 0x5F, 0x2E,
    ];
    dg2.extend_from_slice(&[0u8; 40]);
    dg2.extend_from_slice(&std::fs::read(data("person_b_2.jpg")).unwrap());
    let dg2_path = dir.path().join("EF.DG2.bin");
    std::fs::write(&dg2_path, &dg2).unwrap();
    let (out, v) = compare_json(&data("person_b_1.jpg"), &dg2_path);
    assert_eq!(v["decision"], "match", "{}", assets_hint(&out));

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "not an image").unwrap();
    let (out, v) = compare_json(&text, &dg2_path);
    assert_eq!(v["decision"], "error");
    assert_eq!(v["error_kind"], "input");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("notes.txt"));

    // Human-readable output too.
    let out = egate()
        .args(["vision", "compare"])
        .arg(data("person_b_1.jpg"))
        .arg(&dg2_path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("decision: match"), "{}", assets_hint(&out));
}

/// Lays the test images (identities.txt; never the calibration images) out one folder per
/// identity.
fn identity_dir(root: &Path) {
    let ids = std::fs::read_to_string(data("identities.txt")).unwrap();
    for line in ids
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut it = line.split_whitespace();
        let (file, id) = (it.next().unwrap(), it.next().unwrap());
        std::fs::create_dir_all(root.join(id)).unwrap();
        std::fs::copy(data(file), root.join(id).join(file)).unwrap();
    }
}

#[test]
fn eval_separates_every_pair_at_fmr_0001_and_writes_the_report() {
    let dir = tempfile::tempdir().unwrap();
    let faces = dir.path().join("faces");
    identity_dir(&faces);
    let report = dir.path().join("report");
    let out = egate()
        .args([
            "vision",
            "eval",
            "--fmr",
            "0.001",
            "--expect-separation",
            "--dir",
        ])
        .arg(&faces)
        .arg("--report")
        .arg(&report)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", assets_hint(&out));
    assert!(stdout.contains("2 genuine, 8 impostor"), "{stdout}");
    assert!(
        stdout.contains("(0/8 impostor pairs accepted)")
            && stdout.contains("(0/2 genuine pairs rejected)"),
        "{stdout}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(report.join("report.json")).unwrap())
            .unwrap();
    assert_eq!(json["report"]["genuine_pairs"], 2);
    assert_eq!(json["report"]["impostor_pairs"], 8);
    assert_eq!(json["report"]["at_threshold"]["false_matches"], 0);
    assert_eq!(json["report"]["at_threshold"]["false_non_matches"], 0);
    let svg = std::fs::read_to_string(report.join("det.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("polyline"));
    assert!(std::fs::read_to_string(report.join("report.txt"))
        .unwrap()
        .contains("EER"));
}

#[test]
fn eval_reads_an_lfw_style_pairs_file() {
    let dir = tempfile::tempdir().unwrap();
    // LFW layout: ROOT/name/name_NNNN.jpg
    for (name, files) in [
        ("Macron", ["person_a_1.jpg", "person_a_2.jpg"]),
        ("Ardern", ["person_b_1.jpg", "person_b_2.jpg"]),
    ] {
        std::fs::create_dir_all(dir.path().join(name)).unwrap();
        for (i, f) in files.iter().enumerate() {
            std::fs::copy(
                data(f),
                dir.path()
                    .join(name)
                    .join(format!("{name}_{:04}.jpg", i + 1)),
            )
            .unwrap();
        }
    }
    let pairs = dir.path().join("pairs.txt");
    std::fs::write(
        &pairs,
        "2 2\nMacron 1 2\nArdern 1 2\nMacron 1 Ardern 2\nMacron 2 Ardern 1\n",
    )
    .unwrap();
    let out = egate()
        .args(["vision", "eval", "--expect-separation", "--pairs"])
        .arg(&pairs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", assets_hint(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("2 genuine, 2 impostor"));

    let out = egate()
        .args(["vision", "eval", "--pairs"])
        .arg(dir.path().join("missing.txt"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
}

/// `egate vision pad` (issue #14, must-shows 3 and 5): the synthetic set it writes is
/// evaluated per ISO/IEC 30107-3 — APCER per species, the worst species, BPCER, the DET
/// points and the number of presentations behind each figure, in JSON and HTML — and a set
/// with no bona fide folder, or a presentation with no face, is a clear error (exit 3), not a
/// report.
#[test]
fn pad_evaluates_the_synthetic_set_and_refuses_a_set_it_cannot_evaluate() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    let out = egate()
        .args(["vision", "pad", "--synthesize"])
        .arg(&set)
        .arg("--faces")
        .arg(data(""))
        .output()
        .expect("run egate");
    assert!(out.status.success(), "{}", assets_hint(&out));
    assert!(set.join("bona_fide").is_dir(), "{}", assets_hint(&out));

    let report = dir.path().join("report");
    let out = egate()
        .args(["vision", "pad", "--dir"])
        .arg(&set)
        .arg("--report")
        .arg(&report)
        .output()
        .expect("run egate");
    assert!(out.status.success(), "{}", assets_hint(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("BPCER") && stdout.contains("APCER (worst species)"),
        "{stdout}"
    );
    let whole: serde_json::Value =
        serde_json::from_slice(&std::fs::read(report.join("report.json")).unwrap()).unwrap();
    assert_eq!(whole["standard"], "ISO/IEC 30107-3", "{whole}");
    let r = &whole["report"];
    let outcomes = r["outcomes"].as_array().unwrap();
    let bona = outcomes.iter().filter(|o| o["species"].is_null()).count();
    assert_eq!(r["bona_fide"].as_u64(), Some(bona as u64), "{r}");
    let species = r["species"].as_array().unwrap();
    assert!(species.len() >= 2, "{r}");
    // Every figure says how many presentations it rests on, and they add up.
    let attacks: u64 = species
        .iter()
        .map(|s| s["presentations"].as_u64().unwrap())
        .sum();
    assert_eq!(attacks as usize + bona, outcomes.len(), "{r}");
    let worst = species
        .iter()
        .map(|s| s["apcer"].as_f64().unwrap())
        .fold(0.0, f64::max);
    assert_eq!(r["apcer_max"].as_f64(), Some(worst), "{r}");
    assert!(!r["det"].as_array().unwrap().is_empty(), "{r}");
    let html = std::fs::read_to_string(report.join("report.html")).unwrap();
    assert!(
        html.contains("APCER") && html.contains("<svg"),
        "no DET plot in the HTML"
    );

    // No bona fide folder: the attacks alone cannot give a BPCER.
    std::fs::remove_dir_all(set.join("bona_fide")).unwrap();
    let out = egate()
        .args(["vision", "pad", "--dir"])
        .arg(&set)
        .output()
        .expect("run egate");
    assert_eq!(out.status.code(), Some(3), "{}", assets_hint(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("no bona_fide/ folder"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");

    // A bona fide "presentation" in which no frame shows a face, beside real attacks.
    let blank = dir.path().join("faceless/wall");
    std::fs::create_dir_all(&blank).unwrap();
    let grey = vision::Frame::from_bgr(64, 48, &[128u8; 64 * 48 * 3]).unwrap();
    for i in 0..3 {
        std::fs::write(
            blank.join(format!("{i}.png")),
            vision::decode::encode_image(&grey, ".png").unwrap(),
        )
        .unwrap();
    }
    let out = egate()
        .args(["vision", "pad", "--bona-fide"])
        .arg(dir.path().join("faceless"))
        .arg("--attacks")
        .arg(&set)
        .output()
        .expect("run egate");
    assert_eq!(out.status.code(), Some(3), "{}", assets_hint(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no face in any of its 3 frame(s)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
}
