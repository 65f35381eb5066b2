//! The simulated camera's own behaviour, apart from what stands before it: the empty lane it
//! sees when nobody does, and its fault `camera_frozen` (`POST /sim/gates/{gate}/faults/
//! camera_frozen`), in which it repeats its last frame whatever happens before it, as a
//! stalled driver handing out its last buffer does.
//!
//! The frames are the simulator's synthetic faces; the last one is kept for the freeze (a
//! real frozen camera keeps it too), and zeroized when replaced or dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use vision::source::FrameSource;
use vision::Frame;

/// The camera's freeze switch and the last frame it delivered.
#[derive(Default)]
pub struct Freezer {
    frozen: AtomicBool,
    last: Mutex<Option<Frame>>,
}

impl Freezer {
    /// Freezes (`true`) or unfreezes the camera.
    pub fn set(&self, frozen: bool) {
        self.frozen.store(frozen, Ordering::SeqCst);
    }

    /// Whether the camera is frozen.
    pub fn is_frozen(&self) -> bool {
        self.frozen.load(Ordering::SeqCst)
    }

    /// The frames of `source` as this camera delivers them.
    pub fn wrap(self: &Arc<Self>, source: Box<dyn FrameSource>) -> Box<dyn FrameSource> {
        Box::new(Frames {
            inner: source,
            camera: self.clone(),
        })
    }

    fn last(&self) -> std::sync::MutexGuard<'_, Option<Frame>> {
        self.last.lock().unwrap_or_else(|p| p.into_inner())
    }
}

struct Frames {
    inner: Box<dyn FrameSource>,
    camera: Arc<Freezer>,
}

impl FrameSource for Frames {
    fn next_frame(&mut self) -> vision::Result<Option<Frame>> {
        if self.camera.is_frozen() {
            if let Some(f) = self.camera.last().as_ref() {
                return f.try_clone().map(Some);
            }
        }
        let frame = self.inner.next_frame()?;
        if let Some(f) = &frame {
            *self.camera.last() = Some(f.try_clone()?);
        }
        Ok(frame)
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }
}

/// What the simulated camera sees of an empty lane: a grey wall with sensor noise, a new
/// frame each time, for ever (a working camera with nobody before it).
#[derive(Default)]
pub struct EmptyLane {
    n: u64,
}

impl EmptyLane {
    /// Frame size: small, the detector finds nothing in it either way.
    const W: u32 = 160;
    const H: u32 = 120;

    /// A new view of the empty lane.
    pub fn new() -> Self {
        Self { n: 0 }
    }
}

impl FrameSource for EmptyLane {
    fn next_frame(&mut self) -> vision::Result<Option<Frame>> {
        self.n += 1;
        // xorshift noise of ±2 levels around a wall lit from the left.
        let mut x = self.n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut px = Vec::with_capacity((Self::W * Self::H * 3) as usize);
        for _y in 0..Self::H {
            for col in 0..Self::W {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let v = (150 - col / 4) as i32 + (x % 5) as i32 - 2;
                let v = v.clamp(0, 255) as u8;
                px.extend_from_slice(&[v, v, v]);
            }
        }
        Frame::from_bgr(Self::W, Self::H, &px).map(Some)
    }

    fn describe(&self) -> String {
        "the empty lane".into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vision::freeze::{FreezeCheck, Freshness};

    #[test]
    fn frozen_it_repeats_its_last_frame_and_unfrozen_it_delivers_again() {
        let camera = Arc::new(Freezer::default());
        let mut check = FreezeCheck::new(3, 0.1);
        let mut frames = camera.wrap(Box::new(EmptyLane::new()));
        for _ in 0..20 {
            let f = frames.next_frame().unwrap().unwrap();
            assert_eq!(check.handle_frame(&f), Freshness::Fresh, "the empty lane");
        }
        camera.set(true);
        // A new capture of the frozen camera: its last frame, whatever is before it.
        let mut frames = camera.wrap(Box::new(EmptyLane::new()));
        let seen: Vec<Freshness> = (0..3)
            .map(|_| check.handle_frame(&frames.next_frame().unwrap().unwrap()))
            .collect();
        assert_eq!(
            seen,
            [Freshness::Repeat, Freshness::Repeat, Freshness::Frozen]
        );
        camera.set(false);
        let f = frames.next_frame().unwrap().unwrap();
        assert_eq!(check.handle_frame(&f), Freshness::Fresh);
    }
}
