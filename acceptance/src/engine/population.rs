//! The travellers of a run, drawn once from the scenario's seed before the run starts: type,
//! arrival time, physical timings, whose document and whose face. The same scenario and seed
//! always give the same population, whatever happens during the run.

use std::time::Duration;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::kinds::{Kind, Type};
use crate::scenario::Checked;
use crate::timing::Modifier;

/// One traveller, as planned.
#[derive(Debug, Clone)]
pub struct Plan {
    /// 0-based number.
    pub id: u32,
    /// Type.
    pub ty: Type,
    /// Arrival at the queue.
    pub arrive: Duration,
    /// Walking speed, m/s.
    pub speed: f64,
    /// Seconds to place the document.
    pub document_s: f64,
    /// Seconds before facing the camera.
    pub face_s: f64,
    /// Seconds of patience at a shut entry.
    pub patience_s: f64,
    /// The identity whose document it is.
    pub holder: usize,
    /// The live photo shown (index into that identity's photos).
    pub photo: usize,
    /// For impostors: a random other identity (lookalikes get theirs from the scores).
    pub other: usize,
    /// Which of the pooled documents of its kind.
    pub document: usize,
}

/// Documents pooled per (holder, kind): each passage still reads its chip afresh.
pub const DOCUMENTS_PER_KIND: usize = 8;

fn uniform(rng: &mut ChaCha8Rng, r: [f64; 2]) -> f64 {
    if r[1] > r[0] {
        rng.gen_range(r[0]..=r[1])
    } else {
        r[0]
    }
}

/// Draws the population of `c` for a face set of `identities` identities, each with the
/// given number of live photos.
pub fn draw(c: &Checked, photos: &[usize]) -> Vec<Plan> {
    let s = &c.scenario;
    let mut rng = ChaCha8Rng::seed_from_u64(s.seed);
    let ids = photos.len().max(1);
    let mut t = 0.0f64;
    let mut out = Vec::with_capacity(s.travellers.count as usize);
    let total: f64 = c.mix.iter().map(|(_, p)| p).sum();
    for id in 0..s.travellers.count {
        let ty = if c.sequence.is_empty() {
            let x = rng.gen::<f64>() * total;
            let mut acc = 0.0;
            let mut pick = c
                .mix
                .last()
                .map(|m| m.0)
                .unwrap_or(Type::kind(Kind::Genuine));
            for (ty, p) in &c.mix {
                acc += p;
                if x < acc {
                    pick = *ty;
                    break;
                }
            }
            pick
        } else {
            c.sequence[id as usize % c.sequence.len()]
        };
        if let Some(rate) = s.arrivals.rate_per_h {
            // Poisson arrivals: exponential gaps at the rate.
            let u: f64 = rng.gen_range(f64::EPSILON..1.0);
            t += -u.ln() * 3600.0 / rate;
        }
        let m = c.modifiers.get(&ty).copied().unwrap_or_default();
        let tm = &s.timing;
        let first_time = rng.gen::<f64>() < tm.first_time_share;
        let extra = if first_time {
            uniform(&mut rng, tm.first_time_extra_s)
        } else {
            0.0
        };
        let holder = rng.gen_range(0..ids);
        let other = if ids > 1 {
            (holder + 1 + rng.gen_range(0..ids - 1)) % ids
        } else {
            holder
        };
        let shown = if ty.shows_other_face() { other } else { holder };
        let photo = rng.gen_range(0..photos[shown].max(1));
        out.push(Plan {
            id,
            ty,
            arrive: Duration::from_secs_f64(t),
            speed: uniform(&mut rng, tm.walk_m_s) * m.speed,
            document_s: uniform(&mut rng, tm.document_s) + extra + m.extra_document_s,
            face_s: uniform(&mut rng, tm.face_s) + m.extra_face_s,
            patience_s: tm.patience_s * m.patience,
            holder,
            photo,
            other,
            document: rng.gen_range(0..DOCUMENTS_PER_KIND),
        });
    }
    out
}

/// A modifier lookup that never fails.
pub fn modifier(c: &Checked, ty: Type) -> Modifier {
    c.modifiers.get(&ty).copied().unwrap_or_default()
}
