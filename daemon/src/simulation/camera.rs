//! The simulated bank's camera: what the lane's current traveller presents to it — photos,
//! a synthetic print or screen replay, or a synthetic bona fide traveller, who follows the
//! liveness challenge's prompts on the lane's traveller screen when the lane asks one — and
//! what a simulated PAD sensor beside it is shown; the empty lane it sees when nobody stands
//! before it; and its fault `camera_frozen` (`POST /sim/gates/{gate}/faults/camera_frozen`),
//! in which it repeats its last frame whatever happens before it, as a stalled driver handing
//! out its last buffer does.
//!
//! The frames are the simulator's synthetic faces; the last one is kept for the freeze (a
//! real frozen camera keeps it too), and zeroized when replaced or dropped.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use vision::source::FrameSource;
use vision::Frame;

use crate::lane::jobs;

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

/// What is before the simulated camera.
pub(super) enum Presented {
    /// Nobody.
    Nothing,
    /// Photos replayed as they are (without the face models, which the synthetic camera needs).
    Files(Vec<PathBuf>),
    /// A synthetic presentation (`vision::pad::synth`): a print or a screen replay, and what
    /// a PAD sensor beside the camera would see of it.
    Frames(Vec<vision::Frame>, sim::pad_sensor::Before),
    /// A synthetic bona fide traveller (`vision::pad::synth`): their face turning as
    /// recorded (`clip`), or, when the lane asks a liveness challenge, their head rendered
    /// frame by frame as they follow the prompts on the lane's traveller screen.
    Live {
        /// The face turning and nodding, looped.
        clip: Vec<vision::Frame>,
        /// The photo and face the head model is made from.
        photo: Arc<acceptance::faces::LivePhoto>,
        /// Varies the head's sway.
        seed: u64,
    },
}

impl Presented {
    /// What a PAD sensor beside the camera sees.
    pub(super) fn before(&self) -> sim::pad_sensor::Before {
        use sim::pad_sensor::Before;
        match self {
            Self::Nothing => Before::Nothing,
            Self::Files(_) | Self::Live { .. } => Before::Face,
            Self::Frames(_, before) => *before,
        }
    }
}

/// The simulator's camera: what the current traveller presents, replayed in a loop.
pub(super) struct ReplayCamera {
    pub(super) files: Mutex<Presented>,
    /// The lane's simulated PAD sensor (`[sim] pad_sensor`), shown the same presentation.
    pub(super) sensor: Option<Arc<sim::pad_sensor::SimPadSensor>>,
    /// The lane's traveller screen, which a bona fide traveller reads when the lane asks a
    /// liveness challenge (`[vision.pad.challenge] enabled`); `None` without one.
    pub(super) prompts: Option<traveller::Feed>,
    /// Its freeze (the `camera_frozen` fault) and last frame.
    pub(super) freezer: Arc<Freezer>,
}

/// A bona fide traveller before the simulated camera who follows the challenge prompts on
/// the lane's traveller screen (`vision::pad::synth::Follower`): each frame is rendered for
/// the prompt on screen when it is taken.
struct Following {
    follower: vision::pad::synth::Follower,
    screen: traveller::Feed,
}

impl FrameSource for Following {
    fn next_frame(&mut self) -> vision::Result<Option<Frame>> {
        use vision::pad::challenge::Action;
        let prompt = self
            .screen
            .current()
            .challenge
            .and_then(|(code, _)| Action::ALL.into_iter().find(|a| a.as_str() == code));
        self.follower.next_frame(prompt).map(Some)
    }
    fn describe(&self) -> String {
        "simulated traveller following the screen's prompts".into()
    }
}

impl ReplayCamera {
    /// What stands before the camera (and the PAD sensor) from now on.
    pub(super) fn show(&self, presented: Presented) {
        if let Some(s) = &self.sensor {
            s.present(presented.before());
        }
        *self.files.lock().unwrap_or_else(|p| p.into_inner()) = presented;
    }
}

impl jobs::Camera for ReplayCamera {
    fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
        let presented = self.files.lock().unwrap_or_else(|p| p.into_inner());
        if let (Presented::Live { photo, seed, .. }, Some(screen)) = (&*presented, &self.prompts) {
            let follower = vision::pad::synth::Follower::new(&photo.photo, &photo.face, *seed)
                .map_err(|e| e.to_string())?;
            return Ok(self.freezer.wrap(Box::new(Following {
                follower,
                screen: screen.clone(),
            })));
        }
        let source = match &*presented {
            Presented::Files(files) if !files.is_empty() => {
                vision::source::ReplaySource::from_files(files, true).map_err(|e| e.to_string())?
            }
            Presented::Frames(frames, _) | Presented::Live { clip: frames, .. }
                if !frames.is_empty() =>
            {
                let copies = frames
                    .iter()
                    .map(vision::Frame::try_clone)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| e.to_string())?;
                vision::source::ReplaySource::new(copies, true)
            }
            // Nobody in front of the camera (the traveller has left): a working camera that
            // sees no face, not a broken one.
            _ => return Ok(self.freezer.wrap(Box::new(EmptyLane::new()))),
        };
        Ok(self.freezer.wrap(Box::new(source)))
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
