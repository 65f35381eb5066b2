//! The accuracy harness: labelled pairs in, FMR/FNMR across thresholds, EER, a DET curve.
//!
//! Two inputs: an LFW-style pairs file (`name n1 n2` genuine, `name1 n1 name2 n2` impostor,
//! images at `ROOT/name/name_NNNN.jpg`; also `pathA pathB same|diff`), or a folder per
//! identity (every within-folder pair genuine, every cross-folder pair impostor). Every figure
//! carries the number of pairs behind it.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::decode::read_photo;
use crate::embed::Embedding;
use crate::error::{Result, VisionError};
use crate::pipeline::FacePipeline;

/// One labelled pair of image files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pair {
    /// First image.
    pub a: PathBuf,
    /// Second image.
    pub b: PathBuf,
    /// Same person?
    pub genuine: bool,
}

/// Parses an LFW-style pairs file; relative image paths resolve against `root`.
/// Lines that are only numbers (LFW's header) or start with `#` are skipped.
pub fn parse_pairs(text: &str, root: &Path) -> Result<Vec<Pair>> {
    let lfw = |name: &str, n: &str| -> Option<PathBuf> {
        let n: u32 = n.parse().ok()?;
        Some(root.join(name).join(format!("{name}_{n:04}.jpg")))
    };
    let path = |p: &str| {
        let p = PathBuf::from(p);
        if p.is_absolute() {
            p
        } else {
            root.join(p)
        }
    };
    let mut pairs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let t: Vec<&str> = line.split_whitespace().collect();
        if t.is_empty() || t[0].starts_with('#') || t.iter().all(|x| x.parse::<u64>().is_ok()) {
            continue;
        }
        let bad =
            || VisionError::Config(format!("pairs file line {}: cannot parse {line:?}", i + 1));
        let pair = match t.as_slice() {
            [name, n1, n2] if n1.parse::<u32>().is_ok() && n2.parse::<u32>().is_ok() => Pair {
                a: lfw(name, n1).ok_or_else(bad)?,
                b: lfw(name, n2).ok_or_else(bad)?,
                genuine: true,
            },
            [a, b, label] => Pair {
                a: path(a),
                b: path(b),
                genuine: match *label {
                    "same" | "1" | "genuine" => true,
                    "diff" | "0" | "impostor" => false,
                    _ => return Err(bad()),
                },
            },
            [n1name, n1, n2name, n2] => Pair {
                a: lfw(n1name, n1).ok_or_else(bad)?,
                b: lfw(n2name, n2).ok_or_else(bad)?,
                genuine: false,
            },
            _ => return Err(bad()),
        };
        pairs.push(pair);
    }
    if pairs.is_empty() {
        return Err(VisionError::Config("the pairs file lists no pairs".into()));
    }
    Ok(pairs)
}

/// All pairs of a folder-per-identity layout (`DIR/<identity>/<image>`), each pair once.
pub fn pairs_from_dir(dir: &Path) -> Result<Vec<Pair>> {
    let images = crate::calibrate::images_by_identity(dir)?;
    let mut pairs = Vec::new();
    for i in 0..images.len() {
        for j in i + 1..images.len() {
            pairs.push(Pair {
                a: images[i].1.clone(),
                b: images[j].1.clone(),
                genuine: images[i].0 == images[j].0,
            });
        }
    }
    if pairs.is_empty() {
        return Err(VisionError::Config(format!(
            "{}: expected one folder per identity with image files inside",
            dir.display()
        )));
    }
    Ok(pairs)
}

pub(crate) fn is_image_name(p: &Path) -> bool {
    let ext = p
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    matches!(
        ext.as_deref(),
        Some(
            "jpg"
                | "jpeg"
                | "png"
                | "jp2"
                | "j2k"
                | "bmp"
                | "ppm"
                | "pgm"
                | "tif"
                | "tiff"
                | "webp"
        )
    )
}

/// A pair's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScoredPair {
    /// First image.
    pub a: PathBuf,
    /// Second image.
    pub b: PathBuf,
    /// Same person?
    pub genuine: bool,
    /// Cosine similarity; `None` when a face could not be found in either image.
    pub score: Option<f32>,
}

/// Embeds every image once (largest face) and scores every pair. `progress(done, total)` is
/// called after each image.
pub fn score_pairs(
    pipeline: &mut FacePipeline,
    pairs: &[Pair],
    mut progress: impl FnMut(u64, u64),
) -> Result<Vec<ScoredPair>> {
    let mut files: Vec<&PathBuf> = pairs.iter().flat_map(|p| [&p.a, &p.b]).collect();
    files.sort();
    files.dedup();
    let total = files.len() as u64;
    let mut cache: HashMap<&PathBuf, Option<Embedding>> = HashMap::new();
    for (i, f) in files.into_iter().enumerate() {
        let emb = match read_photo(f) {
            Ok(frame) => crate::matcher::largest_face(pipeline, &frame)?.map(|x| x.3),
            Err(e) if e.kind() == crate::ErrorKind::Input => {
                tracing::warn!(file = %f.display(), "skipped: {e}");
                None
            }
            Err(e) => return Err(e),
        };
        cache.insert(f, emb);
        progress(i as u64 + 1, total);
    }
    Ok(pairs
        .iter()
        .map(|p| {
            let score = match (cache.get(&p.a), cache.get(&p.b)) {
                (Some(Some(a)), Some(Some(b))) => Some(a.cosine(b)),
                _ => None,
            };
            ScoredPair {
                a: p.a.clone(),
                b: p.b.clone(),
                genuine: p.genuine,
                score,
            }
        })
        .collect())
}

/// FMR and FNMR at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OperatingPoint {
    /// Score threshold (accept when score ≥ threshold).
    pub threshold: f32,
    /// Impostor pairs accepted / impostor pairs.
    pub fmr: f64,
    /// Genuine pairs rejected / genuine pairs (failures to find a face count as rejections).
    pub fnmr: f64,
    /// Impostor pairs accepted.
    pub false_matches: u64,
    /// Genuine pairs rejected.
    pub false_non_matches: u64,
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Genuine pairs behind every FNMR figure.
    pub genuine_pairs: u64,
    /// Impostor pairs behind every FMR figure.
    pub impostor_pairs: u64,
    /// Pairs where a face was missing in at least one image (genuine ones count as
    /// non-matches; impostor ones as non-matches too, i.e. they are "correct" rejections).
    pub failures_to_compare: u64,
    /// Lowest FMR any non-zero count can express: 1 / impostor_pairs.
    pub fmr_resolution: f64,
    /// Equal error rate (midpoint where FMR and FNMR cross) and its threshold.
    pub eer: f64,
    /// Threshold at the EER.
    pub eer_threshold: f32,
    /// Operating points over a threshold sweep (-1..1 in steps of 0.005).
    pub curve: Vec<OperatingPoint>,
    /// Lowest and highest genuine scores.
    pub genuine_range: Option<(f32, f32)>,
    /// Lowest and highest impostor scores.
    pub impostor_range: Option<(f32, f32)>,
    /// The threshold the run was judged at, with its operating point (when given).
    pub at_threshold: Option<OperatingPoint>,
    /// Every pair's score.
    pub pairs: Vec<ScoredPair>,
}

/// Computes FMR/FNMR/EER from scored pairs; `judge_at` adds the operating point there.
pub fn evaluate(pairs: Vec<ScoredPair>, judge_at: Option<f32>) -> EvalReport {
    let gen: Vec<Option<f32>> = pairs
        .iter()
        .filter(|p| p.genuine)
        .map(|p| p.score)
        .collect();
    let imp: Vec<Option<f32>> = pairs
        .iter()
        .filter(|p| !p.genuine)
        .map(|p| p.score)
        .collect();
    let point = |t: f32| {
        let fm = imp.iter().filter(|s| s.is_some_and(|s| s >= t)).count() as u64;
        let fnm = gen.iter().filter(|s| !s.is_some_and(|s| s >= t)).count() as u64;
        OperatingPoint {
            threshold: t,
            fmr: ratio(fm, imp.len() as u64),
            fnmr: ratio(fnm, gen.len() as u64),
            false_matches: fm,
            false_non_matches: fnm,
        }
    };
    let curve: Vec<OperatingPoint> = (0..=400).map(|i| point(-1.0 + i as f32 * 0.005)).collect();
    // EER: first threshold where FNMR ≥ FMR; average the two rates there.
    let (eer, eer_threshold) = curve
        .iter()
        .find(|p| p.fnmr >= p.fmr)
        .map(|p| ((p.fmr + p.fnmr) / 2.0, p.threshold))
        .unwrap_or((f64::NAN, f32::NAN));
    let range = |v: &[Option<f32>]| {
        let s: Vec<f32> = v.iter().flatten().copied().collect();
        if s.is_empty() {
            None
        } else {
            Some((
                s.iter().copied().fold(f32::INFINITY, f32::min),
                s.iter().copied().fold(f32::NEG_INFINITY, f32::max),
            ))
        }
    };
    EvalReport {
        genuine_pairs: gen.len() as u64,
        impostor_pairs: imp.len() as u64,
        failures_to_compare: pairs.iter().filter(|p| p.score.is_none()).count() as u64,
        fmr_resolution: ratio(1, imp.len() as u64),
        eer,
        eer_threshold,
        genuine_range: range(&gen),
        impostor_range: range(&imp),
        at_threshold: judge_at.map(point),
        curve,
        pairs,
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        f64::NAN
    } else {
        a as f64 / b as f64
    }
}

impl EvalReport {
    /// A plain-text summary (no biometric data; file names only).
    pub fn summary(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "pairs: {} genuine, {} impostor ({} without a face in one image)",
            self.genuine_pairs, self.impostor_pairs, self.failures_to_compare
        );
        let _ = writeln!(
            s,
            "EER {:.4} at threshold {:.3} (on {} genuine / {} impostor pairs)",
            self.eer, self.eer_threshold, self.genuine_pairs, self.impostor_pairs
        );
        if let Some((lo, hi)) = self.genuine_range {
            let _ = writeln!(s, "genuine scores  {lo:.3} .. {hi:.3}");
        }
        if let Some((lo, hi)) = self.impostor_range {
            let _ = writeln!(s, "impostor scores {lo:.3} .. {hi:.3}");
        }
        let _ = writeln!(
            s,
            "FMR resolution: 1/{} = {:.2e}; an FMR below that cannot be measured on this set",
            self.impostor_pairs, self.fmr_resolution
        );
        let _ = writeln!(
            s,
            "threshold    FMR (false/impostor)      FNMR (false/genuine)"
        );
        let (impostors, genuines) = (self.impostor_pairs, self.genuine_pairs);
        for p in self.curve.iter().filter(|p| {
            let t = (p.threshold * 1000.0).round() as i32;
            t % 50 == 0 && t >= 0
        }) {
            let OperatingPoint {
                threshold: t,
                fmr,
                fnmr,
                false_matches: fm,
                false_non_matches: fnm,
            } = *p;
            let _ = writeln!(
                s,
                "{t:>9.3}    {fmr:.4} ({fm:>5}/{impostors:<5})       {fnmr:.4} ({fnm:>5}/{genuines:<5})"
            );
        }
        if let Some(OperatingPoint {
            threshold: t,
            fmr,
            fnmr,
            false_matches: fm,
            false_non_matches: fnm,
        }) = self.at_threshold
        {
            let _ = writeln!(
                s,
                "at threshold {t:.3}: FMR {fmr:.4} ({fm}/{impostors} impostor pairs accepted), FNMR {fnmr:.4} ({fnm}/{genuines} genuine pairs rejected)"
            );
        }
        s
    }

    /// The DET curve (FNMR against FMR, both on log axes) as a standalone SVG.
    /// Zero rates are drawn at the axis floor, which is 1/(pairs) halved, and labelled so.
    pub fn det_svg(&self) -> String {
        let (w, h, m) = (640.0, 480.0, 60.0);
        // Axis from 10^lo to 1; lo one decade below the smallest non-zero rate these pair
        // counts can express. A rate of 0 is drawn on the axis edge (labelled "0").
        let finest = (1.0 / self.impostor_pairs.max(1) as f64)
            .min(1.0 / self.genuine_pairs.max(1) as f64)
            .min(1e-3);
        let lo = finest.log10().floor() - 1.0;
        let pos = |v: f64| {
            if v > 0.0 {
                v.log10().max(lo)
            } else {
                lo
            }
        };
        let x = |v: f64| m + (pos(v) - lo) / (0.0 - lo) * (w - 2.0 * m);
        let y = |v: f64| h - m - (pos(v) - lo) / (0.0 - lo) * (h - 2.0 * m);
        let mut s = String::new();
        let _ = writeln!(
            s,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(s, r#"<rect width="100%" height="100%" fill="white"/>"#);
        // Grid and decade labels.
        let mut d = lo as i32;
        while d <= 0 {
            let v = 10f64.powi(d);
            let label = if d == lo as i32 {
                "0".to_string()
            } else {
                format!("1e{d}")
            };
            let (gx, gy) = (x(v), y(v));
            let _ = writeln!(
                s,
                r##"<line x1="{gx:.1}" y1="{m}" x2="{gx:.1}" y2="{:.1}" stroke="#ddd"/><line x1="{m}" y1="{gy:.1}" x2="{:.1}" y2="{gy:.1}" stroke="#ddd"/>"##,
                h - m,
                w - m
            );
            let _ = writeln!(
                s,
                r#"<text x="{gx:.1}" y="{:.1}" text-anchor="middle">{label}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{label}</text>"#,
                h - m + 16.0,
                m - 6.0,
                gy + 4.0
            );
            d += 1;
        }
        let _ = writeln!(
            s,
            r#"<rect x="{m}" y="{m}" width="{:.1}" height="{:.1}" fill="none" stroke="black"/>"#,
            w - 2.0 * m,
            h - 2.0 * m
        );
        let pts: Vec<String> = self
            .curve
            .iter()
            .map(|p| format!("{:.1},{:.1}", x(p.fmr), y(p.fnmr)))
            .collect();
        let _ = writeln!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#c00" stroke-width="2"/>"##,
            pts.join(" ")
        );
        if !self.eer.is_nan() {
            let _ = writeln!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#00c"/>"##,
                x(self.eer),
                y(self.eer)
            );
        }
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">FMR (false match rate, {} impostor pairs)</text>"#,
            w / 2.0,
            h - 14.0,
            self.impostor_pairs
        );
        let _ = writeln!(
            s,
            r#"<text transform="translate(16,{:.1}) rotate(-90)" text-anchor="middle">FNMR ({} genuine pairs)</text>"#,
            h / 2.0,
            self.genuine_pairs
        );
        let _ = writeln!(
            s,
            r#"<text x="{:.1}" y="24" text-anchor="middle">DET — EER {:.4}; a rate of 0 is drawn on the axis edge</text>"#,
            w / 2.0,
            self.eer
        );
        s.push_str("</svg>\n");
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_lfw_and_explicit_pairs() {
        let text = "10 300\nAbel_Pacheco 1 4\nAbdel_Madi_Shabneh 1 Dean_Barker 1\nx/a.png y/b.png diff\n# c\n";
        let p = parse_pairs(text, Path::new("/d")).unwrap();
        assert_eq!(p.len(), 3);
        assert_eq!(
            p[0].a,
            PathBuf::from("/d/Abel_Pacheco/Abel_Pacheco_0001.jpg")
        );
        assert!(p[0].genuine && !p[1].genuine && !p[2].genuine);
        assert_eq!(p[2].b, PathBuf::from("/d/y/b.png"));
        assert!(parse_pairs("a b c d e\n", Path::new("/")).is_err());
        assert!(parse_pairs("", Path::new("/")).is_err());
    }

    #[test]
    fn rates_and_eer() {
        let sp = |g: bool, s: f32| ScoredPair {
            a: "a".into(),
            b: "b".into(),
            genuine: g,
            score: Some(s),
        };
        let r = evaluate(
            vec![
                sp(true, 0.7),
                sp(true, 0.6),
                sp(false, 0.1),
                sp(false, 0.65),
            ],
            Some(0.5),
        );
        let at = r.at_threshold.unwrap();
        assert_eq!((at.false_matches, at.false_non_matches), (1, 0));
        assert_eq!(r.genuine_pairs, 2);
        assert!(r.eer > 0.0 && r.eer <= 0.5);
        assert!(r.det_svg().starts_with("<svg"));
    }
}
