//! Cost of the frozen-camera check per frame (`vision::freeze`), which the capture loop runs
//! on every frame before analysing it:
//!
//!   cargo bench -p vision --bench freeze
//!   (or: cargo bench -p vision --bench freeze --profile dev --config
//!    'profile.dev.package.vision.opt-level=3')
//!
//! Frames: 1280×720 BGR (the default `[vision.camera]` size), a textured picture with ±1 level
//! of noise per byte. Timed: `FreezeCheck::handle_frame` on new frames (each differs from the
//! last at once) and on one frame repeated (every comparison runs to the end: the worst
//! case). Reported, not asserted.

use std::time::Instant;

use vision::freeze::{FreezeCheck, Freshness};
use vision::Frame;

fn frame(w: u32, h: u32, seed: u64) -> Frame {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut px = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for col in 0..w {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let base = ((col / 5 + y / 3) % 200) as u8 + 20;
            let v = match x % 3 {
                0 => base - 1,
                1 => base,
                _ => base + 1,
            };
            px.extend_from_slice(&[v, v / 2 + 30, 255 - v]);
        }
    }
    Frame::from_bgr(w, h, &px).expect("frame")
}

fn main() {
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (w, h) = (1280, 720);
    let frames: Vec<Frame> = (0..8).map(|s| frame(w, h, s + 1)).collect();

    let mut check = FreezeCheck::new(u32::MAX, 0.1);
    let t = Instant::now();
    for i in 0..rounds {
        let f = check.handle_frame(&frames[i % frames.len()]);
        assert_ne!(f, Freshness::Frozen);
    }
    let fresh = t.elapsed().as_secs_f64() * 1e6 / rounds as f64;

    let mut check = FreezeCheck::new(u32::MAX, 0.1);
    let t = Instant::now();
    for _ in 0..rounds {
        check.handle_frame(&frames[0]);
    }
    let repeated = t.elapsed().as_secs_f64() * 1e6 / rounds as f64;
    println!(
        "freeze check, {w}×{h}, {rounds} frames each: new frames {fresh:.0} µs/frame, \
         one frame repeated {repeated:.0} µs/frame"
    );
}
