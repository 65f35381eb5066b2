//! The simulated bank's camera: what the lane's current traveller presents to it — photos,
//! a synthetic print or screen replay, or a synthetic bona fide traveller, who follows the
//! liveness challenge's prompts on the lane's traveller screen when the lane asks one — and
//! what a simulated PAD sensor beside it is shown.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crate::lane::jobs;

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
}

/// A bona fide traveller before the simulated camera who follows the challenge prompts on
/// the lane's traveller screen (`vision::pad::synth::Follower`): each frame is rendered for
/// the prompt on screen when it is taken.
struct Following {
    follower: vision::pad::synth::Follower,
    screen: traveller::Feed,
}

impl vision::source::FrameSource for Following {
    fn next_frame(&mut self) -> vision::Result<Option<vision::Frame>> {
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
            return Ok(Box::new(Following {
                follower,
                screen: screen.clone(),
            }));
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
            _ => vision::source::ReplaySource::new(Vec::new(), false),
        };
        Ok(Box::new(source))
    }
}
