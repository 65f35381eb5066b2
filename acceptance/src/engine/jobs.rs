//! The traveller's jobs in the engine: the chip read over the modelled link (documents made
//! by the factory, pooled per holder and kind) and the capture (the face set's presentations,
//! each distinct one matched once per run).

use std::time::{Duration, Instant};

use crate::checks::{DocumentCheck, FaceCheck};
use crate::faces::{LISTED_DOCUMENT, PRESENTATION_FRAMES};
use crate::kinds::Kind;

use super::lane::Role;
use super::{key_hash, refused, Engine};

impl Engine<'_> {
    /// The chip job: the traveller's document read in-process over the modelled link.
    pub(super) fn read_chip(&mut self, i: usize) -> (DocumentCheck, Duration) {
        let Some(p) = self.lanes[i].served.as_ref().map(|s| s.plan) else {
            return (refused(), Duration::from_millis(10));
        };
        if self.lanes[i].reader_down {
            return (refused(), Duration::from_millis(50));
        }
        let doc = self.document(p);
        let mut card = sim::inprocess::InProcessCard::new(
            sim::chip::VirtualChip::new(doc.chip.clone()),
            self.c.scenario.timing.link(),
        );
        if std::mem::take(&mut self.lanes[i].pull_card) {
            card.pull_after(4);
        }
        let check = self.checks.document(&mut card, &doc.printed_mrz);
        self.chip_reads += 1;
        (check, card.modelled_time().max(Duration::from_millis(1)))
    }

    fn document(&mut self, p: u32) -> sim::factory::Document {
        let plan = self.plans[p as usize].clone();
        let defect = plan.ty.document_defect();
        let kind = plan.ty.as_kind();
        // A document used twice is one of the holder's genuine documents.
        let name = match kind {
            Some(Kind::UsedTwice) => "genuine",
            _ => plan.ty.name(),
        };
        let key = (plan.holder, name.to_string(), plan.document);
        if let Some(d) = self.cache.documents.get(&key) {
            return d.clone();
        }
        let mut spec = sim::factory::DocumentSpec::specimen();
        spec.bio.number = format!(
            "A{:02}{:02}{:04}",
            plan.holder % 100,
            plan.document,
            key_hash(&key.1)
        );
        let (face, w, h) = &*self.ids[plan.holder].portrait;
        spec.face = face.clone();
        spec.face_size = (*w, *h);
        spec.face_format = sim::factory::lds::ImageFormat::Jpeg;
        if kind == Some(Kind::BorderDb) {
            LISTED_DOCUMENT.1.clone_into(&mut spec.bio.number);
        }
        if kind == Some(Kind::Minor) {
            // Ten years old on the run's date.
            let t = self.c.today;
            spec.bio.birth =
                sim::factory::DateTime::date(t.year() - 10, t.month(), t.day().min(28));
        }
        spec.key_seed = spec.bio.number.clone();
        if let Some(d) = defect {
            spec.set_defect(d);
        }
        let doc = sim::factory::build(&spec, self.pki);
        self.cache.documents.insert(key, doc.clone());
        doc
    }

    /// The face job: when the traveller faces the camera, and what the capture gives.
    pub(super) fn capture(&mut self, i: usize, now: Instant) -> (FaceCheck, Duration) {
        let tm = &self.c.scenario.timing;
        let capture = Duration::from_secs_f64(tm.capture_s);
        let no_face = FaceCheck {
            face: gate::FaceVerdict::NoFace,
            pad: gate::PadVerdict::Inconclusive,
            species: None,
            camera_frozen: false,
        };
        let Some(s) = self.lanes[i].served.as_mut() else {
            return (no_face, self.now + capture);
        };
        let p = s.plan;
        let plan = self.plans[p as usize].clone();
        let faced = *s
            .faced_at
            .get_or_insert(now + Duration::from_secs_f64(plan.face_s));
        let at = faced.max(now) + capture - self.t0;
        let in_place = self.lanes[i]
            .lane
            .bodies
            .iter()
            .any(|b| b.traveller == p && b.role == Role::Main && !b.walker.is_gone());
        let frozen = self.lanes[i].camera_frozen;
        if !in_place && !frozen {
            return (no_face, at);
        }
        let portrait = self.lanes[i]
            .served
            .as_ref()
            .and_then(|s| s.document.as_ref())
            .and_then(|d| d.portrait.clone());
        let Some(portrait) = portrait else {
            return (no_face, at);
        };
        let shown = match plan.ty.as_kind() {
            Some(Kind::Lookalike) => self.lookalike(plan.holder, &portrait),
            _ if plan.ty.shows_other_face() => plan.other,
            _ => plan.holder,
        };
        let species = plan.ty.pad_species().unwrap_or("bona_fide");
        let photo = plan.photo % self.ids[shown].faces.len();
        let live = self.c.liveness == gate::LivenessMode::Required;
        if frozen {
            // The frozen camera repeats one frame, the first of the traveller's
            // presentation: the lane's own capture has to find the freeze.
            let first = self
                .presentation(shown, photo, species)
                .ok()
                .and_then(|f| f.into_iter().next());
            let Some(first) = first else {
                return (no_face, at);
            };
            return (
                self.checks
                    .face(&portrait, std::slice::from_ref(&first), live),
                at,
            );
        }
        let key = (plan.holder, shown, photo, species);
        if let Some(f) = self.cache.faces.get(&key) {
            self.face_hits += 1;
            return (f.clone(), at);
        }
        let frames = match self.presentation(shown, photo, species) {
            Ok(f) => f,
            Err(_) => return (no_face, at),
        };
        let f = self.checks.face(&portrait, &frames, live);
        self.face_new += 1;
        self.cache.faces.insert(key, f.clone());
        (f, at)
    }

    fn presentation(
        &self,
        who: usize,
        photo: usize,
        species: &str,
    ) -> Result<Vec<vision::Frame>, vision::VisionError> {
        use vision::pad::synth::Kind as K;
        let live = &self.ids[who].faces[photo];
        let kind = match species {
            "print" => K::Print,
            "screen_replay" => K::ScreenReplay,
            _ => {
                return live
                    .bona_fide
                    .iter()
                    .map(vision::Frame::try_clone)
                    .collect();
            }
        };
        vision::pad::synth::sequence(
            kind,
            &live.photo,
            &live.face,
            PRESENTATION_FRAMES,
            photo as u64,
        )
    }

    /// The identity whose first live photo scores nearest the holder's portrait.
    fn lookalike(&mut self, holder: usize, portrait: &[u8]) -> usize {
        if let Some(&o) = self.cache.lookalike.get(&holder) {
            return o;
        }
        let mut best = (f32::MIN, (holder + 1) % self.ids.len());
        for o in 0..self.ids.len() {
            if o == holder {
                continue;
            }
            let Ok(frames) = self.presentation(o, 0, "bona_fide") else {
                continue;
            };
            let f = self.checks.face(portrait, &frames, false);
            let score = match f.face {
                gate::FaceVerdict::Match { score, .. }
                | gate::FaceVerdict::NoMatch { score, .. } => score,
                _ => f32::MIN,
            };
            if score > best.0 {
                best = (score, o);
            }
        }
        self.cache.lookalike.insert(holder, best.1);
        best.1
    }
}
