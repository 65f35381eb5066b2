//! The per-frame benchmark: detect + align + embed over a set of frames, timed per stage.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::error::Result;
use crate::frame::Frame;
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
    })
}
