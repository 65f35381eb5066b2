//! A frozen camera, sans-IO: frames go in, whether the camera still delivers new ones comes
//! out. Nothing here reads a clock or a camera.
//!
//! A working camera never delivers the same frame twice. Photon shot noise alone moves the
//! pixels of a lit scene from one frame to the next: a mid-grey pixel of a small sensor holds
//! a few thousand electrons, the square root of that is noise, one to three levels of an
//! 8-bit pixel, and a face before the camera breathes and blinks besides. A camera that has
//! stopped (a stalled driver handing out its last buffer, a stream that re-sends one picture,
//! a ring of a few stale buffers cycled) delivers pixels that do not change at all.
//!
//! The rule: each frame is compared with each of the last [`RING`] frames on
//! [`SAMPLES`] bytes spread evenly over it. A frame whose mean absolute difference from one
//! of them is at most `repeat_difference` (levels of 8 bits) *repeats* it; `frozen_after`
//! repeats in a row mean the camera is frozen, so a freeze is found within
//! `frozen_after + 1` frames of its start (of `frozen_after + RING` for a cycled ring). One
//! new frame ends a run of repeats. A repeated frame carries no evidence the frame it repeats
//! did not: the capture loop analyses only new frames, so a frozen picture of the holder
//! can neither fill a capture window with "usable" frames nor pass as live.
//!
//! A uniform frame (every sampled byte within [`BLANK_SPAN`] levels of the others) is
//! [`Freshness::Blank`], never a repeat and never new: cameras send several identical black
//! or green buffers while they start, and a blank frame is evidence of nobody, frozen or not.
//! It leaves the run of repeats as it was, so stale frames interleaved with blank ones still
//! add up to a freeze. A camera that only ever delivers blank frames (covered, dead sensor) is
//! not called frozen in a capture (it finds no face there), and never counts as working again
//! either (`lane::camera` wants new frames that are not blank).
//!
//! Only the sampled bytes of the last [`RING`] frames are kept, zeroized when replaced.

use zeroize::Zeroizing;

use crate::frame::Frame;

/// Bytes compared per frame (spread evenly over all of its bytes).
pub const SAMPLES: usize = 65_536;

/// How many of the latest frames a new one is compared with: a stalled driver may cycle a
/// small ring of buffers (V4L2 queues 2 to 4) instead of repeating one.
pub const RING: usize = 4;

/// A frame whose sampled bytes span at most this many levels is blank (see the module
/// documentation).
pub const BLANK_SPAN: u8 = 2;

/// What one frame says about the camera.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Freshness {
    /// A new frame: the camera works.
    Fresh,
    /// The frame repeats one of the last few (fewer than `frozen_after` in a row so far).
    Repeat,
    /// `frozen_after` repeats in a row: the camera is frozen.
    Frozen,
    /// A uniform frame: neither new nor a repeat (the run of repeats is left as it was).
    Blank,
}

/// The sampled bytes of one frame.
struct Sample {
    width: u32,
    height: u32,
    bytes: Zeroizing<Vec<u8>>,
}

/// Finds a camera whose frames have stopped changing (see the module documentation).
pub struct FreezeCheck {
    frozen_after: u32,
    repeat_difference: f32,
    ring: Vec<Sample>,
    next: usize,
    repeats: u32,
}

impl std::fmt::Debug for FreezeCheck {
    // Never print pixels.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FreezeCheck")
            .field("frozen_after", &self.frozen_after)
            .field("repeat_difference", &self.repeat_difference)
            .field("repeats", &self.repeats)
            .finish()
    }
}

impl FreezeCheck {
    /// A check that calls the camera frozen after `frozen_after` repeated frames in a row,
    /// a frame repeating another when their mean absolute difference is at most
    /// `repeat_difference` levels (0: only frames identical in every sampled byte repeat).
    pub fn new(frozen_after: u32, repeat_difference: f32) -> Self {
        Self {
            frozen_after: frozen_after.max(1),
            repeat_difference: if repeat_difference.is_finite() {
                repeat_difference.max(0.0)
            } else {
                0.0
            },
            ring: Vec::with_capacity(RING),
            next: 0,
            repeats: 0,
        }
    }

    /// Takes the next frame of the camera.
    pub fn handle_frame(&mut self, frame: &Frame) -> Freshness {
        self.handle_pixels(frame.width(), frame.height(), frame.bgr())
    }

    /// Takes the next frame as its size and pixel bytes.
    pub fn handle_pixels(&mut self, width: u32, height: u32, bytes: &[u8]) -> Freshness {
        let sample = sample(width, height, bytes);
        let (lo, hi) = sample
            .bytes
            .iter()
            .fold((u8::MAX, u8::MIN), |(lo, hi), &b| (lo.min(b), hi.max(b)));
        if hi.saturating_sub(lo) <= BLANK_SPAN {
            return Freshness::Blank;
        }
        let repeats = self.ring.iter().any(|old| self.same(old, &sample));
        if self.ring.len() < RING {
            self.ring.push(sample);
        } else {
            self.ring[self.next] = sample;
        }
        self.next = (self.next + 1) % RING;
        if !repeats {
            self.repeats = 0;
            return Freshness::Fresh;
        }
        self.repeats = self.repeats.saturating_add(1);
        if self.repeats >= self.frozen_after {
            Freshness::Frozen
        } else {
            Freshness::Repeat
        }
    }

    /// Repeated frames in a row so far.
    pub fn repeats(&self) -> u32 {
        self.repeats
    }

    /// Whether the latest frames say the camera is frozen.
    pub fn is_frozen(&self) -> bool {
        self.repeats >= self.frozen_after
    }

    /// Whether `b` repeats `a`: same size, and a mean absolute difference at most
    /// `repeat_difference` (stops counting as soon as it is over).
    fn same(&self, a: &Sample, b: &Sample) -> bool {
        if (a.width, a.height) != (b.width, b.height) || a.bytes.len() != b.bytes.len() {
            return false;
        }
        let limit = self.repeat_difference as f64 * a.bytes.len() as f64;
        let mut sum = 0u64;
        for chunk in a.bytes.chunks(4096).zip(b.bytes.chunks(4096)) {
            sum += chunk
                .0
                .iter()
                .zip(chunk.1)
                .map(|(x, y)| x.abs_diff(*y) as u64)
                .sum::<u64>();
            if sum as f64 > limit {
                return false;
            }
        }
        true
    }
}

/// [`SAMPLES`] bytes of `bytes` spread evenly (all of them when there are fewer).
fn sample(width: u32, height: u32, bytes: &[u8]) -> Sample {
    let n = bytes.len().min(SAMPLES);
    let mut out = Zeroizing::new(Vec::with_capacity(n));
    let len = bytes.len() as u64;
    for i in 0..n as u64 {
        out.push(bytes[(i * len / n as u64) as usize]);
    }
    Sample {
        width,
        height,
        bytes: out,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A textured picture (a gradient with a pattern), `w`×`h` BGR.
    fn scene(w: u32, h: u32) -> Vec<u8> {
        let mut v = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                let g = ((x * 255 / w.max(1)) as u8) / 2 + ((x ^ y) % 64) as u8;
                v.extend_from_slice(&[g, g.wrapping_add(20), g / 2 + 60]);
            }
        }
        v
    }

    /// A small deterministic generator (xorshift), for noise.
    struct Noise(u64);
    impl Noise {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        /// Roughly normal noise of standard deviation 1 (a sum of 12 uniforms).
        fn normal(&mut self) -> f64 {
            let s: f64 = (0..12)
                .map(|_| (self.next() % 10_000) as f64 / 10_000.0)
                .sum();
            s - 6.0
        }
    }

    /// `base` with sensor noise of `sigma` levels on every byte, rounded and clamped.
    fn noisy(base: &[u8], sigma: f64, rng: &mut Noise) -> Vec<u8> {
        let table: Vec<f64> = (0..4096).map(|_| rng.normal() * sigma).collect();
        base.iter()
            .map(|&b| {
                let n = table[(rng.next() % 4096) as usize];
                (b as f64 + n).round().clamp(0.0, 255.0) as u8
            })
            .collect()
    }

    #[test]
    fn the_same_frame_again_and_again_is_frozen_after_the_configured_repeats() {
        let (w, h) = (320, 240);
        let frame = scene(w, h);
        let mut c = FreezeCheck::new(10, 0.1);
        assert_eq!(c.handle_pixels(w, h, &frame), Freshness::Fresh);
        for i in 1..10 {
            assert_eq!(c.handle_pixels(w, h, &frame), Freshness::Repeat, "{i}");
        }
        // The 10th repeat, the 11th frame: frozen, and it stays so while it repeats.
        assert_eq!(c.handle_pixels(w, h, &frame), Freshness::Frozen);
        assert_eq!(c.handle_pixels(w, h, &frame), Freshness::Frozen);
        assert!(c.is_frozen());
        // One new frame: the camera delivers again.
        let mut other = frame.clone();
        for b in other.iter_mut().step_by(3) {
            *b = b.wrapping_add(5);
        }
        assert_eq!(c.handle_pixels(w, h, &other), Freshness::Fresh);
        assert!(!c.is_frozen());
        assert_eq!(c.repeats(), 0);
    }

    #[test]
    fn a_still_face_before_a_working_camera_is_never_frozen() {
        // A traveller standing still: the same scene, with sensor noise no quieter than a
        // sensor's at a gate's lighting (sigma 0.5 to 3 levels), for 150 frames (twice a
        // capture window of 5 s at 15 fps).
        let (w, h) = (160, 120);
        let base = scene(w, h);
        for sigma in [0.5, 1.0, 3.0] {
            let mut rng = Noise(0x9E37_79B9_7F4A_7C15);
            let mut c = FreezeCheck::new(10, 0.1);
            for i in 0..150 {
                let f = noisy(&base, sigma, &mut rng);
                let got = c.handle_pixels(w, h, &f);
                assert_eq!(got, Freshness::Fresh, "sigma {sigma}, frame {i}");
            }
        }
    }

    #[test]
    fn a_frozen_frame_re_encoded_with_tiny_changes_is_still_frozen() {
        // A stream that re-sends one picture, re-encoded each time: a few bytes in a
        // thousand move by a level.
        let (w, h) = (320, 240);
        let base = scene(w, h);
        let mut c = FreezeCheck::new(5, 0.1);
        let mut last = Freshness::Fresh;
        for k in 0..6usize {
            let mut f = base.clone();
            for b in f.iter_mut().skip(k).step_by(997) {
                *b = b.saturating_add(1);
            }
            last = c.handle_pixels(w, h, &f);
        }
        assert_eq!(last, Freshness::Frozen);
        // With repeat_difference 0 only frames identical in every sampled byte repeat: a
        // change of one sampled byte (the first always is) is a new frame.
        let mut exact = FreezeCheck::new(5, 0.0);
        let mut f = base.clone();
        for k in 0..6u8 {
            f[0] = k;
            assert_eq!(exact.handle_pixels(w, h, &f), Freshness::Fresh);
        }
    }

    #[test]
    fn a_ring_of_stale_buffers_cycled_is_frozen_and_a_longer_loop_is_not() {
        let (w, h) = (160, 120);
        let mut rng = Noise(7);
        let base = scene(w, h);
        let ring: Vec<Vec<u8>> = (0..RING).map(|_| noisy(&base, 2.0, &mut rng)).collect();
        let mut c = FreezeCheck::new(6, 0.1);
        let seen: Vec<Freshness> = (0..RING + 6)
            .map(|i| c.handle_pixels(w, h, &ring[i % RING]))
            .collect();
        assert!(seen[..RING].iter().all(|s| *s == Freshness::Fresh));
        assert_eq!(seen.last(), Some(&Freshness::Frozen), "{seen:?}");
        // A loop longer than the ring (a replayed clip of 8 frames) repeats no recent frame.
        let clip: Vec<Vec<u8>> = (0..8).map(|_| noisy(&base, 2.0, &mut rng)).collect();
        let mut c = FreezeCheck::new(6, 0.1);
        for i in 0..40 {
            assert_eq!(c.handle_pixels(w, h, &clip[i % 8]), Freshness::Fresh);
        }
    }

    #[test]
    fn a_change_of_size_is_a_new_frame() {
        let a = scene(64, 48);
        let b = scene(48, 64);
        let mut c = FreezeCheck::new(2, 0.1);
        assert_eq!(c.handle_pixels(64, 48, &a), Freshness::Fresh);
        assert_eq!(c.handle_pixels(48, 64, &b), Freshness::Fresh);
        assert_eq!(c.handle_pixels(64, 48, &a), Freshness::Repeat);
        assert_eq!(c.handle_pixels(64, 48, &a), Freshness::Frozen);
    }

    #[test]
    fn blank_frames_of_a_camera_starting_are_not_a_freeze() {
        // 30 identical black buffers while the camera starts, then the scene, which freezes.
        let (w, h) = (320, 240);
        let black = vec![0u8; (w * h * 3) as usize];
        let mut c = FreezeCheck::new(10, 0.1);
        for i in 0..30 {
            assert_eq!(c.handle_pixels(w, h, &black), Freshness::Blank, "{i}");
        }
        let frame = scene(w, h);
        let seen: Vec<Freshness> = (0..11).map(|_| c.handle_pixels(w, h, &frame)).collect();
        assert_eq!(seen[0], Freshness::Fresh);
        assert_eq!(seen[10], Freshness::Frozen, "{seen:?}");
    }

    #[test]
    fn a_stale_frame_interleaved_with_black_ones_is_still_a_freeze() {
        // A stalled driver alternating its last buffer with an empty one: the black frames
        // neither end the run of repeats nor count in it.
        let (w, h) = (320, 240);
        let black = vec![0u8; (w * h * 3) as usize];
        let stale = scene(w, h);
        let mut c = FreezeCheck::new(4, 0.1);
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(c.handle_pixels(w, h, &stale));
            seen.push(c.handle_pixels(w, h, &black));
        }
        assert_eq!(seen[0], Freshness::Fresh, "{seen:?}");
        assert!(seen.contains(&Freshness::Frozen), "{seen:?}");
        assert!(
            seen.iter()
                .skip(1)
                .step_by(2)
                .all(|f| *f == Freshness::Blank),
            "{seen:?}"
        );
    }

    #[test]
    fn odd_settings_are_made_safe() {
        let mut c = FreezeCheck::new(0, f32::NAN);
        let f = scene(16, 16);
        assert_eq!(c.handle_pixels(16, 16, &f), Freshness::Fresh);
        assert_eq!(c.handle_pixels(16, 16, &f), Freshness::Frozen);
        assert_eq!(c.handle_pixels(0, 0, &[]), Freshness::Blank);
        assert_eq!(c.handle_pixels(0, 0, &[]), Freshness::Blank);
    }
}
