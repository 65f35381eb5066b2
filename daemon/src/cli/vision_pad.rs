//! `egate vision pad`: presentation attack detection evaluated per ISO/IEC 30107-3 over a
//! folder of presentations, and the synthetic set that exercises it.
//!
//! ```text
//! egate vision pad --dir DIR [--report OUT]                  DIR/bona_fide/, DIR/<species>/
//! egate vision pad --bona-fide DIR --attacks DIR [--report OUT]   DIR/<species>/ under --attacks
//! egate vision pad --synthesize OUT [--faces DIR]            writes the synthetic set
//! ```
//!
//! Exit codes: 0 done, 2 usage, 3 the set cannot be evaluated (no bona_fide/ folder, no
//! attack species, a presentation with no face, models missing). Reports hold folder names,
//! decisions and rates only, never images.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Args;
use serde_json::json;
use vision::pad::eval::{self, Outcome, Report};
use vision::pad::synth::{self, Kind};
use vision::{FacePipeline, VisionConfig};

/// Exit code when the evaluation cannot run.
const EXIT_ERROR: u8 = 3;
/// Frames per synthetic presentation.
const SYNTH_FRAMES: usize = 10;

/// `egate vision pad ...`
#[derive(Args)]
pub struct PadArgs {
    /// A set laid out per ISO/IEC 30107-3: DIR/bona_fide/<presentation> and
    /// DIR/<species>/<presentation> (a presentation: a folder of frames or a video file)
    #[arg(long, conflicts_with_all = ["bona_fide", "attacks", "synthesize"])]
    dir: Option<PathBuf>,
    /// Bona fide presentations (instead of --dir)
    #[arg(long, requires = "attacks")]
    bona_fide: Option<PathBuf>,
    /// Attack presentations, one subfolder per species (instead of --dir)
    #[arg(long, requires = "bona_fide")]
    attacks: Option<PathBuf>,
    /// Write report.json and report.html (with the DET curve) into this folder
    #[arg(long, value_name = "OUT")]
    report: Option<PathBuf>,
    /// Write the synthetic set (bona_fide, print, screen_replay, planar_photo) made from the
    /// photos of --faces into this folder, then stop
    #[arg(long, value_name = "OUT")]
    synthesize: Option<PathBuf>,
    /// Photos for --synthesize: a folder of images (default: vision/tests/data)
    #[arg(long, requires = "synthesize", value_name = "DIR")]
    faces: Option<PathBuf>,
}

/// Runs `egate vision pad`.
pub fn main(config: &VisionConfig, args: PadArgs) -> ExitCode {
    let result = if let Some(out) = &args.synthesize {
        let faces = args
            .faces
            .clone()
            .unwrap_or_else(|| PathBuf::from("vision/tests/data"));
        synthesize(config, &faces, out)
    } else {
        let presentations = match (&args.dir, &args.bona_fide, &args.attacks) {
            (Some(dir), _, _) => eval::list(dir),
            (None, Some(bona), Some(attacks)) => list_split(bona, attacks),
            _ => {
                eprintln!(
                    "egate vision pad: give --dir DIR, or --bona-fide DIR --attacks DIR, or --synthesize OUT"
                );
                return ExitCode::from(super::EXIT_USAGE);
            }
        };
        match presentations {
            Ok(p) => evaluate(config, &p, args.report.as_deref()),
            Err(e) => Err(e.to_string()),
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("egate vision pad: {e}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// `--bona-fide DIR --attacks DIR`: the same listing as the ISO layout, from two roots.
fn list_split(bona: &Path, attacks: &Path) -> Result<Vec<eval::Presentation>, eval::SetError> {
    // Reuse the one listing: a temporary view is not needed, the rules are the same.
    let bona_fide = std::fs::read_dir(bona)
        .map_err(|e| eval::SetError::Unreadable {
            path: bona.to_path_buf(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            !p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
        })
        .collect::<std::collections::BTreeSet<_>>();
    if bona_fide.is_empty() {
        return Err(eval::SetError::NoBonaFide(bona.to_path_buf()));
    }
    let mut out: Vec<eval::Presentation> = bona_fide
        .into_iter()
        .map(|path| eval::Presentation {
            species: None,
            path,
        })
        .collect();
    let n = out.len();
    let species = std::fs::read_dir(attacks)
        .map_err(|e| eval::SetError::Unreadable {
            path: attacks.to_path_buf(),
            message: e.to_string(),
        })?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect::<std::collections::BTreeSet<_>>();
    for s in species {
        let name = s
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        let items = std::fs::read_dir(&s)
            .map_err(|e| eval::SetError::Unreadable {
                path: s.clone(),
                message: e.to_string(),
            })?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect::<std::collections::BTreeSet<_>>();
        out.extend(items.into_iter().map(|path| eval::Presentation {
            species: Some(name.clone()),
            path,
        }));
    }
    if out.len() == n {
        return Err(eval::SetError::NoAttacks(attacks.to_path_buf()));
    }
    Ok(out)
}

fn evaluate(
    config: &VisionConfig,
    presentations: &[eval::Presentation],
    report: Option<&Path>,
) -> Result<(), String> {
    let mut pipeline =
        FacePipeline::new(config).map_err(|e| format!("loading the face models: {e}"))?;
    // The weak PAD models as the gate loads them (needed when they have a weight).
    let mut models = crate::lane::pad::load_models(config, gate::LivenessMode::Required)
        .map_err(|e| format!("{e:#}"))?;
    let mut outcomes = Vec::new();
    for p in presentations {
        let v = eval::run_presentation(&mut pipeline, models.as_mut(), &config.pad, &p.path)
            .map_err(|e| format!("{}: {e}", p.path.display()))?;
        outcomes.push(Outcome {
            species: p.species.clone(),
            name: p
                .path
                .file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default(),
            decision: v.decision,
            score: v.score,
            deciding: v.deciding.as_str().to_string(),
        });
    }
    let r = eval::evaluate(outcomes);
    print!("{}", text(&r));
    if let Some(dir) = report {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let j = serde_json::to_string_pretty(&json!({
            "standard": "ISO/IEC 30107-3",
            "measured_on": "the presentations listed; figures say nothing about other attacks",
            "report": r,
        }))
        .map_err(|e| e.to_string())?;
        std::fs::write(dir.join("report.json"), j).map_err(|e| e.to_string())?;
        std::fs::write(dir.join("report.html"), html(&r)).map_err(|e| e.to_string())?;
        println!(
            "report written to {} (report.json, report.html)",
            dir.display()
        );
    }
    Ok(())
}

fn pct(x: f64) -> String {
    format!("{:.1} %", 100.0 * x)
}

fn text(r: &Report) -> String {
    let mut s = String::new();
    s.push_str("ISO/IEC 30107-3 presentation attack detection evaluation\n");
    s.push_str(&format!(
        "BPCER {} ({} of {} bona fide presentations not accepted, {} of them inconclusive)\n",
        pct(r.bpcer),
        r.bona_fide_rejected,
        r.bona_fide,
        r.bona_fide_inconclusive
    ));
    for sp in &r.species {
        s.push_str(&format!(
            "APCER {:<16} {} ({} of {} attack presentations accepted)\n",
            sp.species,
            pct(sp.apcer),
            sp.accepted,
            sp.presentations
        ));
    }
    s.push_str(&format!("APCER (worst species) {}\n", pct(r.apcer_max)));
    let at = |v: Option<f64>| v.map_or("not reached".to_string(), pct);
    s.push_str(&format!(
        "BPCER at APCER ≤ 5 %: {}; at APCER ≤ 1 %: {} (over thresholds on the fused score)\n",
        at(r.bpcer_at_apcer_5),
        at(r.bpcer_at_apcer_1)
    ));
    s.push_str(&format!(
        "{} presentations in all. These figures hold for this set only.\n",
        r.outcomes.len()
    ));
    s
}

fn html(r: &Report) -> String {
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut rows = String::new();
    for sp in &r.species {
        rows.push_str(&format!(
            "<tr><td>APCER {}</td><td>{}</td><td>{} of {}</td></tr>\n",
            esc(&sp.species),
            pct(sp.apcer),
            sp.accepted,
            sp.presentations
        ));
    }
    let mut pres = String::new();
    for o in &r.outcomes {
        pres.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{:?}</td><td>{:.3}</td><td>{}</td></tr>\n",
            esc(o.species.as_deref().unwrap_or("bona_fide")),
            esc(&o.name),
            o.decision,
            o.score,
            esc(&o.deciding)
        ));
    }
    // DET: worst-species APCER (x) against BPCER (y), linear, 0..1.
    let (w, h, m) = (360.0, 300.0, 40.0);
    let pts: Vec<String> = r
        .det
        .iter()
        .map(|p| {
            format!(
                "{:.1},{:.1}",
                m + p.apcer_max * (w - 2.0 * m),
                h - m - p.bpcer * (h - 2.0 * m)
            )
        })
        .collect();
    let svg = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" font-family="sans-serif" font-size="11">
<rect x="{m}" y="{m}" width="{iw}" height="{ih}" fill="none" stroke="#888"/>
<polyline points="{pts}" fill="none" stroke="#c33" stroke-width="2"/>
<text x="{cx}" y="{by}" text-anchor="middle">APCER (worst species)</text>
<text x="12" y="{cy}" transform="rotate(-90 12 {cy})" text-anchor="middle">BPCER</text>
</svg>"##,
        iw = w - 2.0 * m,
        ih = h - 2.0 * m,
        pts = pts.join(" "),
        cx = w / 2.0,
        by = h - 8.0,
        cy = h / 2.0,
    );
    format!(
        r#"<!doctype html><html><head><meta charset="utf-8"><title>egate PAD evaluation (ISO/IEC 30107-3)</title></head><body>
<h1>Presentation attack detection — ISO/IEC 30107-3 evaluation</h1>
<p><strong>These figures hold for the presentations below only.</strong> Real-world PAD error rates of egate have not been measured.</p>
<table border="1" cellpadding="4">
<tr><th>metric</th><th>value</th><th>presentations</th></tr>
<tr><td>BPCER</td><td>{bpcer}</td><td>{rej} of {bona} (inconclusive: {inc})</td></tr>
{rows}<tr><td>APCER worst species</td><td>{amax}</td><td></td></tr>
<tr><td>BPCER at APCER ≤ 5 %</td><td>{b5}</td><td></td></tr>
<tr><td>BPCER at APCER ≤ 1 %</td><td>{b1}</td><td></td></tr>
</table>
<h2>DET</h2>
{svg}
<h2>Presentations</h2>
<table border="1" cellpadding="4"><tr><th>species</th><th>presentation</th><th>decision</th><th>score</th><th>deciding signal</th></tr>
{pres}</table>
</body></html>
"#,
        bpcer = pct(r.bpcer),
        rej = r.bona_fide_rejected,
        bona = r.bona_fide,
        inc = r.bona_fide_inconclusive,
        amax = pct(r.apcer_max),
        b5 = r.bpcer_at_apcer_5.map_or("not reached".into(), pct),
        b1 = r.bpcer_at_apcer_1.map_or("not reached".into(), pct),
    )
}

/// Writes the synthetic set: for every image of `faces` with one face at least 120 pixels
/// wide, one presentation of each kind, as a folder of PNG frames.
fn synthesize(config: &VisionConfig, faces: &Path, out: &Path) -> Result<(), String> {
    let mut pipeline =
        FacePipeline::new(config).map_err(|e| format!("loading the face models: {e}"))?;
    let mut photos: Vec<PathBuf> = std::fs::read_dir(faces)
        .map_err(|e| format!("{}: {e}", faces.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.extension().is_some_and(|e| {
                matches!(
                    e.to_string_lossy().to_lowercase().as_str(),
                    "jpg" | "jpeg" | "png"
                )
            })
        })
        .collect();
    photos.sort();
    let mut made = 0usize;
    for (i, path) in photos.iter().enumerate() {
        let photo = vision::read_photo(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let found = pipeline.detect_photo(&photo).map_err(|e| e.to_string())?;
        let Some(face) = found
            .iter()
            .max_by(|a, b| a.area().total_cmp(&b.area()))
            .copied()
        else {
            eprintln!("{}: no face, skipped", path.display());
            continue;
        };
        // Partial faces at the image edge and thumbnails make poor presentations.
        let [x, y, w, h] = face.bbox;
        let inside =
            x >= 0.0 && y >= 0.0 && x + w <= photo.width() as f32 && y + h <= photo.height() as f32;
        if w < 120.0 || !inside {
            eprintln!("{}: face too small or cut off, skipped", path.display());
            continue;
        }
        let stem = path
            .file_stem()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        for kind in Kind::ALL {
            let frames = synth::sequence(kind, &photo, &face, SYNTH_FRAMES, i as u64)
                .map_err(|e| e.to_string())?;
            let dir = out.join(kind.as_str()).join(&stem);
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            for (k, f) in frames.iter().enumerate() {
                let png = vision::decode::encode_image(f, ".png").map_err(|e| e.to_string())?;
                std::fs::write(dir.join(format!("frame_{k:03}.png")), png)
                    .map_err(|e| e.to_string())?;
            }
            made += 1;
        }
    }
    if made == 0 {
        return Err(format!("{}: no usable face photo", faces.display()));
    }
    println!(
        "{made} synthetic presentations written to {} (bona_fide, print, screen_replay, planar_photo; \
         synthetic, for testing the code paths, not for accuracy claims)",
        out.display()
    );
    Ok(())
}
