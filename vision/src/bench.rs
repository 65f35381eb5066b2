//! The per-frame benchmarks: detect + align + embed over a set of frames, timed per stage
//! ([`run`]); and the capture loop's whole per-frame work, face step plus presentation attack
//! detection on the same frames, over camera-like sequences ([`run_with_pad`]).

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Result;
use crate::frame::Frame;
use crate::pad::{PadConfig, PadSession};
use crate::pipeline::FacePipeline;

/// Latency figures over the timed runs (milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct BenchStats {
    /// Frames timed (after warm-up).
    pub frames: usize,
    /// Mean detect time.
    pub detect_ms: f64,
    /// Mean align time.
    pub align_ms: f64,
    /// Mean embed time.
    pub embed_ms: f64,
    /// Mean total per frame (detect + align + embed, the largest face).
    pub mean_ms: f64,
    /// Median total.
    pub p50_ms: f64,
    /// 95th percentile total.
    pub p95_ms: f64,
    /// Frames per second at the mean.
    pub fps: f64,
    /// Process CPU time (user + system, all threads) per frame, from /proc/self/stat
    /// (10 ms ticks, summed over all timed frames): less sensitive to other load on the
    /// machine than wall-clock latency. NaN where /proc is unavailable.
    pub cpu_ms_per_frame: f64,
}

/// User + system CPU time of this process in milliseconds (Linux /proc, 100 Hz ticks).
fn process_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name: state is field 3; utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let utime: f64 = f.get(11)?.parse().ok()?;
    let stime: f64 = f.get(12)?.parse().ok()?;
    Some((utime + stime) * 10.0)
}

/// Runs every frame `warmup` times untimed, then `rounds` times timed.
pub fn run(
    pipeline: &mut FacePipeline,
    frames: &[Frame],
    warmup: usize,
    rounds: usize,
) -> Result<BenchStats> {
    for _ in 0..warmup {
        for f in frames {
            pipeline.analyze(f)?;
        }
    }
    let (mut det, mut ali, mut emb) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut totals = Vec::new();
    let cpu0 = process_cpu_ms();
    for _ in 0..rounds {
        for f in frames {
            let t = Instant::now();
            let a = pipeline.analyze(f)?;
            totals.push(t.elapsed().as_secs_f64() * 1e3);
            det += a.timing.detect;
            ali += a.timing.align;
            emb += a.timing.embed;
        }
    }
    let cpu = match (cpu0, process_cpu_ms()) {
        (Some(a), Some(b)) => (b - a) / totals.len().max(1) as f64,
        _ => f64::NAN,
    };
    let n = totals.len().max(1);
    totals.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        totals
            .get(((n as f64 - 1.0) * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    let mean = totals.iter().sum::<f64>() / n as f64;
    let ms = |d: Duration| d.as_secs_f64() * 1e3 / n as f64;
    Ok(BenchStats {
        frames: totals.len(),
        detect_ms: ms(det),
        align_ms: ms(ali),
        embed_ms: ms(emb),
        mean_ms: mean,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        fps: 1e3 / mean,
        cpu_ms_per_frame: cpu,
    })
}

/// Latency figures of the face step plus PAD per frame (milliseconds).
#[derive(Debug, Clone, Serialize)]
pub struct PadBenchStats {
    /// Frames timed (after warm-up).
    pub frames: usize,
    /// Mean face step (`FacePipeline::analyze`).
    pub face_ms: f64,
    /// Mean PAD (`PadSession::handle_frame` on the face the step found, and the weak models
    /// on the frames PAD asks them for, `[vision.pad.models] every`).
    pub pad_ms: f64,
    /// Mean face + PAD per frame.
    pub mean_ms: f64,
    /// Median face + PAD.
    pub p50_ms: f64,
    /// 95th percentile face + PAD.
    pub p95_ms: f64,
    /// Process CPU time per frame, as in [`BenchStats::cpu_ms_per_frame`].
    pub cpu_ms_per_frame: f64,
}

/// Runs each sequence as the capture loop does (daemon `lane::pad::capture`): every frame
/// analysed once, PAD fed the same frame and the face the analysis chose, one PAD session per
/// sequence; with `models`, the weak PAD models score the frames PAD asks for, in PAD's time.
/// `warmup` untimed passes over all sequences, then `rounds` timed ones.
pub fn run_with_pad(
    pipeline: &mut FacePipeline,
    mut models: Option<&mut crate::pad::models::PadModels>,
    sequences: &[Vec<Frame>],
    pad: PadConfig,
    warmup: usize,
    rounds: usize,
) -> Result<PadBenchStats> {
    let mut pass = |timed: bool, out: &mut Vec<(f64, f64)>| -> Result<()> {
        for seq in sequences {
            let mut session = PadSession::new(pad);
            for (id, frame) in seq.iter().enumerate() {
                let t = Instant::now();
                let analysis = pipeline.analyze(frame)?;
                let face = t.elapsed();
                let t = Instant::now();
                match &analysis.primary {
                    Some(p) => {
                        session.handle_frame(id as u64, frame, &p.detection)?;
                        if let Some(m) = models.as_deref_mut() {
                            if session.wants_model_scores() {
                                session.handle_model_scores(m.score(
                                    id as u64,
                                    frame,
                                    &p.detection,
                                )?);
                            }
                        }
                    }
                    None => session.handle_no_face(),
                }
                let pad = t.elapsed();
                if timed {
                    out.push((face.as_secs_f64() * 1e3, pad.as_secs_f64() * 1e3));
                }
            }
            std::hint::black_box(session.finish());
        }
        Ok(())
    };
    let mut samples = Vec::new();
    for _ in 0..warmup {
        pass(false, &mut samples)?;
    }
    let cpu0 = process_cpu_ms();
    for _ in 0..rounds {
        pass(true, &mut samples)?;
    }
    let n = samples.len().max(1);
    let cpu = match (cpu0, process_cpu_ms()) {
        (Some(a), Some(b)) => (b - a) / n as f64,
        _ => f64::NAN,
    };
    let face = samples.iter().map(|s| s.0).sum::<f64>() / n as f64;
    let pad_ms = samples.iter().map(|s| s.1).sum::<f64>() / n as f64;
    let mut totals: Vec<f64> = samples.iter().map(|s| s.0 + s.1).collect();
    totals.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| {
        totals
            .get(((totals.len().max(1) - 1) as f64 * p).round() as usize)
            .copied()
            .unwrap_or(f64::NAN)
    };
    Ok(PadBenchStats {
        frames: samples.len(),
        face_ms: face,
        pad_ms,
        mean_ms: face + pad_ms,
        p50_ms: pct(0.5),
        p95_ms: pct(0.95),
        cpu_ms_per_frame: cpu,
    })
}
