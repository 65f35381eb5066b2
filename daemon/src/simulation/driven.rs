//! The simulated bank driven from outside (`[sim] driven = true`): an acceptance run in real
//! time (`egate sim run --real-time`) hands the bank its scenario's travellers one by one
//! (`POST /sim/travellers`, an [`acceptance::realtime::Order`] each), the lanes take them
//! from one queue as they come free, and the bank tells where each one went and which
//! passages the gate started for them (`GET /sim/travellers`). What the gate decided is in
//! the audit trail, not here.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use acceptance::kinds::{Kind, Type};
use acceptance::realtime::{Order, Progress};
use sim::traveller::WalkTimes;

use super::bank::Case;

/// The queue of travellers handed in, and what became of each.
#[derive(Default)]
pub struct Driven {
    queue: Mutex<VecDeque<Order>>,
    progress: Mutex<BTreeMap<u32, Progress>>,
}

/// What the bank makes of an order: the traveller it builds and how they behave.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Behaviour {
    /// What they carry and show the camera.
    pub case: Case,
    /// They walk away from the reader once they have placed their document.
    pub leaves: bool,
}

/// Longest a driven traveller may take for any one timing, seconds.
const MAX_TIMING_S: f64 = 600.0;

/// The traveller an order's `kind` names, or why it cannot be made.
pub fn behaviour(kind: &str) -> Result<Behaviour, String> {
    let ty = Type::from_name(kind).ok_or_else(|| {
        format!(
            "unknown traveller type {kind:?} (one of: {})",
            Type::all_names().join(", ")
        )
    })?;
    if let Some(why) = acceptance::realtime::unsupported_kind(ty) {
        return Err(format!("{kind:?} cannot be presented: {why}"));
    }
    let plain = |case| Behaviour {
        case,
        leaves: false,
    };
    if let Some(defect) = ty.document_defect() {
        return Ok(plain(Case::Defect(defect)));
    }
    Ok(match ty.as_kind() {
        Some(Kind::Impostor) => plain(Case::Impostor),
        Some(Kind::BorderDb) => plain(Case::Listed),
        Some(Kind::Minor) => plain(Case::Minor),
        Some(Kind::Print) => plain(Case::Print),
        Some(Kind::ScreenReplay) => plain(Case::ScreenReplay),
        Some(Kind::Leaving) => Behaviour {
            case: Case::Genuine,
            leaves: true,
        },
        // Wheelchair users and travellers with luggage differ in their timings only.
        _ => plain(Case::Genuine),
    })
}

/// The order's walking times, checked: every figure finite, above 0 and at most
/// [`MAX_TIMING_S`] (the document time may be 0).
pub fn walk_times(o: &Order) -> Result<(WalkTimes, Duration), String> {
    let mut bad = Vec::new();
    for (name, v, zero_ok) in [
        ("document_s", o.document_s, true),
        ("through_door_s", o.through_door_s, false),
        ("walk_away_s", o.walk_away_s, false),
        ("patience_s", o.patience_s, false),
    ] {
        let low_ok = if zero_ok { v >= 0.0 } else { v > 0.0 };
        if !(v.is_finite() && low_ok && v <= MAX_TIMING_S) {
            bad.push(format!(
                "{name} must be a number of seconds up to {MAX_TIMING_S}"
            ));
        }
    }
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    Ok((
        WalkTimes {
            through_door: Duration::from_secs_f64(o.through_door_s),
            walk_away: Duration::from_secs_f64(o.walk_away_s),
            patience: Duration::from_secs_f64(o.patience_s),
        },
        Duration::from_secs_f64(o.document_s),
    ))
}

/// Travellers handed in at most (queued or seen), so a client cannot grow the bank's memory
/// without bound.
const MAX_TRAVELLERS: usize = 100_000;

impl Driven {
    /// Queues a traveller after checking the order; an error says what is wrong with it.
    pub fn push(&self, o: Order) -> Result<(), String> {
        behaviour(&o.kind)?;
        walk_times(&o)?;
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if progress.contains_key(&o.id) {
            return Err(format!("traveller {} was handed in already", o.id));
        }
        if progress.len() >= MAX_TRAVELLERS {
            return Err(format!("at most {MAX_TRAVELLERS} travellers per run"));
        }
        progress.insert(
            o.id,
            Progress {
                id: o.id,
                place: "queued".into(),
                ..Progress::default()
            },
        );
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push_back(o);
        Ok(())
    }

    /// The next traveller in the queue.
    pub fn take(&self) -> Option<Order> {
        self.queue
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop_front()
    }

    /// Updates what is known of traveller `id`.
    pub fn update(&self, id: u32, f: impl FnOnce(&mut Progress)) {
        let mut progress = self.progress.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = progress.get_mut(&id) {
            f(p);
        }
    }

    /// Everything known of every traveller handed in, by id.
    pub fn progress(&self) -> Vec<Progress> {
        self.progress
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(id: u32, kind: &str) -> Order {
        Order {
            id,
            kind: kind.into(),
            seed: 1,
            document_s: 1.0,
            through_door_s: 1.0,
            walk_away_s: 1.0,
            patience_s: 20.0,
        }
    }

    #[test]
    fn orders_are_checked_queued_in_order_and_reported() {
        let d = Driven::default();
        d.push(order(0, "genuine")).unwrap();
        d.push(order(1, "clone-aa-other-key")).unwrap();
        assert!(d.push(order(1, "genuine")).unwrap_err().contains("already"));
        assert!(d.push(order(2, "genuin")).unwrap_err().contains("unknown"));
        assert!(d
            .push(order(3, "tailgater"))
            .unwrap_err()
            .contains("one traveller at a time"));
        let mut bad = order(4, "genuine");
        bad.patience_s = f64::NAN;
        bad.walk_away_s = -1.0;
        let e = d.push(bad).unwrap_err();
        assert!(e.contains("walk_away_s") && e.contains("patience_s"), "{e}");
        assert_eq!(d.take().map(|o| o.id), Some(0));
        d.update(0, |p| p.lane = Some(1));
        let p = d.progress();
        assert_eq!(p.len(), 2, "refused orders leave no trace");
        assert_eq!((p[0].lane, p[1].place.as_str()), (Some(1), "queued"));
        assert_eq!(d.take().map(|o| o.id), Some(1));
        assert_eq!(d.take(), None);
    }

    #[test]
    fn every_type_real_time_supports_is_a_traveller_of_the_bank() {
        for name in Type::all_names() {
            let ty = Type::from_name(name).unwrap();
            assert_eq!(
                behaviour(name).is_ok(),
                acceptance::realtime::unsupported_kind(ty).is_none(),
                "{name}"
            );
        }
        assert_eq!(
            behaviour("expired").unwrap().case,
            Case::Defect(sim::factory::Defect::Expired)
        );
        assert!(behaviour("leaving").unwrap().leaves);
    }
}
