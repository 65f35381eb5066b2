//! The camera between captures: while the jobs hold it faulty (it could not be opened, or
//! it froze: `vision::freeze`), it is looked at every [`PROBE_EVERY`], and reported working
//! again once it delivers new frames.
//!
//! The gate takes no traveller while a device is at fault, so no capture would ever find the
//! camera working again; this is the one that does. It only reads frames and compares their
//! pixels (nothing is analysed, kept or shown), and only while the gate is at fault, when no
//! face job has the camera open.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::watch;
use tracing::{debug, info};
use vision::freeze::{FreezeCheck, Freshness, RING};

use crate::lane::jobs::{Camera, JobContext};

/// How often a faulty camera is looked at.
pub const PROBE_EVERY: Duration = Duration::from_secs(2);

/// The longest one look at the camera takes.
const PROBE_FOR: Duration = Duration::from_secs(5);

/// What one look at the camera found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// It delivers new frames: `frozen_after + RING` in a row without freezing.
    Working,
    /// It delivered the same frame until frozen.
    Frozen,
    /// It could not be opened, ended, or gave too few frames in time to tell.
    Unknown,
}

/// Looks at `camera` once: enough frames for `check` to have seen a freeze if there is one.
pub fn probe(camera: &dyn Camera, mut check: FreezeCheck, frozen_after: u32) -> Probe {
    let mut source = match camera.frames() {
        Ok(s) => s,
        Err(e) => {
            debug!(error = %e, "camera still cannot be opened");
            return Probe::Unknown;
        }
    };
    let needed = frozen_after as usize + RING;
    let deadline = Instant::now() + PROBE_FOR;
    let mut fresh = 0;
    for _ in 0..needed {
        if Instant::now() > deadline {
            return Probe::Unknown;
        }
        let frame = match source.next_frame() {
            Ok(Some(f)) => f,
            Ok(None) | Err(_) => return Probe::Unknown,
        };
        match check.handle_frame(&frame) {
            Freshness::Frozen => return Probe::Frozen,
            Freshness::Fresh => fresh += 1,
            Freshness::Repeat | Freshness::Blank => {}
        }
    }
    // Blank frames only (a covered lens, a dead sensor) do not show a working camera.
    if fresh >= RING {
        Probe::Working
    } else {
        Probe::Unknown
    }
}

/// Watches the lane's camera while its jobs hold it faulty; stops with the daemon.
pub async fn watch(ctx: Arc<JobContext>, mut shutdown: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(PROBE_EVERY);
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => return,
            _ = tick.tick() => {}
        }
        let Some(why) = ctx.device_fault(gate::Device::Camera) else {
            continue;
        };
        let c = ctx.clone();
        let found = tokio::task::spawn_blocking(move || {
            // The face pipeline's lock may be held by a job finishing: off the runtime.
            let policy = c
                .vision
                .as_ref()
                .map(|v| v.lock().unwrap_or_else(|p| p.into_inner()).policy)
                .unwrap_or_default();
            probe(
                c.camera.as_ref(),
                FreezeCheck::new(policy.frozen_after, policy.repeat_difference),
                policy.frozen_after,
            )
        })
        .await
        .unwrap_or(Probe::Unknown);
        debug!(?found, was = why, "camera looked at");
        if found == Probe::Working {
            info!(was = why, "camera delivers new frames again");
            ctx.device(gate::Device::Camera, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    /// A camera whose frames are a pattern at a grey level each, from a list (the last one
    /// repeated for ever).
    struct Levels(Mutex<Vec<u8>>);

    struct Source(Vec<u8>, usize);
    impl vision::source::FrameSource for Source {
        fn next_frame(&mut self) -> vision::Result<Option<vision::Frame>> {
            let level = self.0[self.1.min(self.0.len() - 1)];
            self.1 += 1;
            let px: Vec<u8> = (0..8 * 8 * 3).map(|i| level / 2 + (i % 16) as u8).collect();
            vision::Frame::from_bgr(8, 8, &px).map(Some)
        }
        fn describe(&self) -> String {
            "levels".into()
        }
    }

    impl Camera for Levels {
        fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
            let l = self.0.lock().unwrap().clone();
            if l.is_empty() {
                return Err("cannot open".into());
            }
            Ok(Box::new(Source(l, 0)))
        }
    }

    #[test]
    fn a_probe_tells_a_frozen_camera_from_a_working_one() {
        let check = || FreezeCheck::new(3, 0.1);
        let cam = Levels(Mutex::new(vec![40]));
        assert_eq!(probe(&cam, check(), 3), Probe::Frozen);
        *cam.0.lock().unwrap() = (0..=255).step_by(10).collect();
        assert_eq!(probe(&cam, check(), 3), Probe::Working);
        // New frames, then stuck on the last one before the probe has seen enough.
        *cam.0.lock().unwrap() = vec![10, 30, 50];
        assert_eq!(probe(&cam, check(), 3), Probe::Frozen);
        cam.0.lock().unwrap().clear();
        assert_eq!(probe(&cam, check(), 3), Probe::Unknown);
    }

    /// A camera that opens but delivers only black frames (a covered lens, a dead sensor).
    struct Dark;

    struct DarkFrames;
    impl vision::source::FrameSource for DarkFrames {
        fn next_frame(&mut self) -> vision::Result<Option<vision::Frame>> {
            vision::Frame::from_bgr(8, 8, &[0u8; 8 * 8 * 3]).map(Some)
        }
        fn describe(&self) -> String {
            "dark".into()
        }
    }

    impl Camera for Dark {
        fn frames(&self) -> Result<Box<dyn vision::source::FrameSource>, String> {
            Ok(Box::new(DarkFrames))
        }
    }

    #[test]
    fn a_camera_delivering_only_blank_frames_is_not_taken_as_working() {
        assert_eq!(probe(&Dark, FreezeCheck::new(3, 0.1), 3), Probe::Unknown);
    }
}
