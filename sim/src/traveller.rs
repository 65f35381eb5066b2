//! Simulated travellers walking through a two-step gate, sans-IO.
//!
//! A [`Walker`] is one traveller's body: where they stand (zones A, B, C) as a function of
//! time and of what the doors do. They wait in zone A until the entry door is open, step
//! through into the mantrap, and go on through the exit when it opens — or back out through
//! the entry when that opens again instead (a referral sent back), or give up and leave
//! zone A when the entry stays shut past their patience (a referral at the entry). Walking
//! times come from [`WalkTimes`] (walking at 1.0–1.4 m/s over a lane of a few metres, a
//! door passage of about a second).
//!
//! The simulator feeds the resulting zone occupancy to the simulated door controller, so the
//! daemon sees the traveller through the same Modbus inputs as a real gate's sensors.

use std::time::{Duration, Instant};

/// Walking times of one traveller.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WalkTimes {
    /// Time to pass through an open door (both zones on either side occupied meanwhile).
    pub through_door: Duration,
    /// Time to walk away from the gate after the exit (zone C occupied).
    pub walk_away: Duration,
    /// How long a traveller waits in zone A for the entry to open before giving up.
    pub patience: Duration,
}

impl Default for WalkTimes {
    fn default() -> Self {
        Self {
            through_door: Duration::from_millis(900),
            walk_away: Duration::from_millis(1200),
            patience: Duration::from_secs(20),
        }
    }
}

gate::named_enum! {
    /// Where a traveller is.
    pub enum Place {
        /// In zone A at the entry.
        AtEntry => "at-entry",
        /// Passing the entry door inwards (zones A and B).
        EnteringMantrap => "entering-mantrap",
        /// In the mantrap (zone B).
        InMantrap => "in-mantrap",
        /// Passing the entry door outwards (zones B and A), sent back.
        GoingBack => "going-back",
        /// Passing the exit door (zones B and C).
        Exiting => "exiting",
        /// In zone C, walking away.
        Leaving => "leaving",
        /// Out of the lane: through the gate.
        Through => "through",
        /// Out of the lane: back where they came from.
        TurnedAway => "turned-away",
    }
}

/// One traveller's body in the lane.
#[derive(Debug, Clone)]
pub struct Walker {
    place: Place,
    since: Instant,
    times: WalkTimes,
    /// In the mantrap, the entry has been seen shut behind them: if it opens again, they
    /// are being sent back.
    entry_shut_behind: bool,
    /// Told to turn back once inside: they leave through the entry as soon as it is open.
    turning_back: bool,
}

/// Door positions as the simulated controller reports them (0.0 closed … 1.0 open).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Doors {
    /// The entry door.
    pub entry: f64,
    /// The exit door.
    pub exit: f64,
}

impl Walker {
    /// A traveller who has just stepped up to the entry.
    pub fn arrive(now: Instant, times: WalkTimes) -> Self {
        Self {
            place: Place::AtEntry,
            since: now,
            times,
            entry_shut_behind: false,
            turning_back: false,
        }
    }

    /// Where they are.
    pub fn place(&self) -> Place {
        self.place
    }

    /// Whether they have left the lane (either way).
    pub fn is_gone(&self) -> bool {
        matches!(self.place, Place::Through | Place::TurnedAway)
    }

    /// Zones A, B, C occupied by this traveller.
    pub fn zones(&self) -> [bool; 3] {
        match self.place {
            Place::AtEntry => [true, false, false],
            Place::EnteringMantrap | Place::GoingBack => [true, true, false],
            Place::InMantrap => [false, true, false],
            Place::Exiting => [false, true, true],
            Place::Leaving => [false, false, true],
            Place::Through | Place::TurnedAway => [false, false, false],
        }
    }

    /// Whether they are inside the gate (the controller's person count): passing the entry
    /// either way, in the mantrap, or passing the exit.
    pub fn is_inside(&self) -> bool {
        matches!(
            self.place,
            Place::EnteringMantrap | Place::InMantrap | Place::GoingBack | Place::Exiting
        )
    }

    /// Told to leave (a referral, shown on the display): at the entry they turn away at once;
    /// once past the entry (entering or in the mantrap) they walk back out through the entry
    /// as soon as it is fully open. Past the exit it is too late: they go on.
    pub fn turn_away(&mut self, now: Instant) {
        match self.place {
            Place::AtEntry => self.go(Place::TurnedAway, now),
            Place::EnteringMantrap | Place::InMantrap => self.turning_back = true,
            _ => {}
        }
    }

    /// Advances to `now` given the doors; returns true when the place changed.
    pub fn tick(&mut self, now: Instant, doors: Doors) -> bool {
        let waited = now.saturating_duration_since(self.since);
        let t = self.times;
        if self.place == Place::InMantrap && doors.entry <= 0.0 {
            self.entry_shut_behind = true;
        }
        let sent_back = (self.entry_shut_behind || self.turning_back) && doors.entry >= 1.0;
        let next = match self.place {
            Place::AtEntry if doors.entry >= 1.0 => Place::EnteringMantrap,
            Place::AtEntry if waited >= t.patience => Place::TurnedAway,
            Place::EnteringMantrap if waited >= t.through_door => Place::InMantrap,
            // Told to turn back: they wait for the entry, whatever the exit does.
            Place::InMantrap if self.turning_back && doors.entry < 1.0 => return false,
            Place::InMantrap if doors.exit >= 1.0 && !self.turning_back => Place::Exiting,
            Place::InMantrap if sent_back => Place::GoingBack,
            Place::GoingBack if waited >= t.through_door => Place::TurnedAway,
            Place::Exiting if waited >= t.through_door => Place::Leaving,
            Place::Leaving if waited >= t.walk_away => Place::Through,
            _ => return false,
        };
        self.go(next, now);
        true
    }

    fn go(&mut self, place: Place, now: Instant) {
        self.place = place;
        self.since = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHUT: Doors = Doors {
        entry: 0.0,
        exit: 0.0,
    };

    #[test]
    fn walks_through_when_the_doors_open_in_turn() {
        let t0 = Instant::now();
        let mut w = Walker::arrive(t0, WalkTimes::default());
        assert_eq!(w.zones(), [true, false, false]);
        assert!(!w.tick(t0, SHUT));
        let entry_open = Doors {
            entry: 1.0,
            exit: 0.0,
        };
        assert!(w.tick(t0 + Duration::from_secs(1), entry_open));
        assert_eq!(w.zones(), [true, true, false]);
        w.tick(t0 + Duration::from_secs(2), entry_open);
        assert_eq!(w.place(), Place::InMantrap);
        // The entry is still open but they do not walk back out on their own: only a door
        // opening *after* they are inside sends them back. Here the exit opens first.
        let mut w2 = w.clone();
        let exit_open = Doors {
            entry: 0.0,
            exit: 1.0,
        };
        w2.tick(t0 + Duration::from_secs(3), exit_open);
        assert_eq!(w2.place(), Place::Exiting);
        w2.tick(t0 + Duration::from_secs(4), exit_open);
        assert_eq!(w2.zones(), [false, false, true]);
        w2.tick(t0 + Duration::from_secs(6), exit_open);
        assert!(w2.is_gone());
        assert_eq!(w2.place(), Place::Through);

        // Sent back: the entry shuts behind them, then opens again.
        let mut w3 = w.clone();
        w3.tick(t0 + Duration::from_secs(3), entry_open);
        assert_eq!(
            w3.place(),
            Place::InMantrap,
            "the entry was never shut behind them"
        );
        w3.tick(t0 + Duration::from_secs(4), SHUT);
        w3.tick(t0 + Duration::from_secs(9), entry_open);
        assert_eq!(w3.place(), Place::GoingBack);
        assert_eq!(w3.zones(), [true, true, false]);
        w3.tick(t0 + Duration::from_secs(10), entry_open);
        assert_eq!(w3.place(), Place::TurnedAway);
    }

    #[test]
    fn gives_up_at_a_shut_entry_after_their_patience() {
        let t0 = Instant::now();
        let times = WalkTimes::default();
        let mut w = Walker::arrive(t0, times);
        w.tick(t0 + times.patience - Duration::from_millis(1), SHUT);
        assert_eq!(w.place(), Place::AtEntry);
        w.tick(t0 + times.patience, SHUT);
        assert_eq!(w.place(), Place::TurnedAway);
    }

    #[test]
    fn turned_back_in_the_mantrap_they_leave_through_the_entry() {
        let t0 = Instant::now();
        let s = Duration::from_secs;
        let open = Doors {
            entry: 1.0,
            exit: 0.0,
        };
        let mut w = Walker::arrive(t0, WalkTimes::default());
        w.tick(t0, open);
        w.tick(t0 + s(1), open);
        assert_eq!(w.place(), Place::InMantrap);
        assert!(w.is_inside());
        // Told to turn back while the entry is still open: they walk straight back out.
        w.turn_away(t0 + s(2));
        w.tick(t0 + s(2), open);
        assert_eq!(w.place(), Place::GoingBack);
        assert_eq!(w.zones(), [true, true, false]);
        w.tick(t0 + s(3), open);
        assert_eq!(w.place(), Place::TurnedAway);
        assert!(!w.is_inside() && w.is_gone());
        // Past the exit it is too late.
        let mut w = Walker::arrive(t0, WalkTimes::default());
        w.tick(t0, open);
        w.tick(t0 + s(1), open);
        let exit_open = Doors {
            entry: 0.0,
            exit: 1.0,
        };
        w.tick(t0 + s(2), exit_open);
        w.turn_away(t0 + s(2));
        w.tick(t0 + s(3), exit_open);
        w.tick(t0 + s(5), exit_open);
        assert_eq!(w.place(), Place::Through);
    }

    #[test]
    fn turn_away_at_the_entry_is_immediate() {
        let t0 = Instant::now();
        let mut w = Walker::arrive(t0, WalkTimes::default());
        w.turn_away(t0);
        assert_eq!(w.place(), Place::TurnedAway);
        assert_eq!(w.zones(), [false; 3]);
    }
}
