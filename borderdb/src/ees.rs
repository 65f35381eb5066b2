//! The Entry/Exit System step of an entry lane (Regulation (EU) 2017/2226, "the EES
//! Regulation"): find the third-country national's individual file by the document, check
//! the authorised stay left, create the entry record.
//!
//! [`Ees`] is the adapter trait: a real EES is reached through a national uniform interface
//! (EES Regulation Art. 7), which this project cannot run; the simulator implements it
//! (`daemon/src/simulation/ees.rs`). [`remaining_stay`] and [`evaluate`] are the sans-IO
//! arithmetic of the short-stay rule, Regulation (EU) 2016/399 (Schengen Borders Code)
//! Art. 6(1): a stay of "90 days in any 180-day period, which entails considering the
//! 180-day period preceding each day of stay".

use std::fmt;

use gate::{CivilDate, ReasonCode};
use zeroize::Zeroizing;

use crate::Query;

/// The short-stay limit, days (Regulation (EU) 2016/399 Art. 6(1)).
pub const STAY_DAYS: u32 = 90;
/// The window the limit applies to, days, the day considered included (Art. 6(1)).
pub const WINDOW_DAYS: i64 = 180;

/// One stay in the Schengen area as the EES records it: the entry record and, once the
/// traveller left, the exit record (EES Regulation Art. 16 and 17). The days of entry and of
/// exit both count as days of stay (Regulation (EU) 2016/399 Art. 2(19) and the Commission's
/// short-stay calculator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stay {
    /// Date of entry.
    pub entry: CivilDate,
    /// Date of exit; `None` while the traveller has not left (or left unrecorded).
    pub exit: Option<CivilDate>,
}

/// A traveller's individual file, as much as the gate needs.
#[derive(Clone, Default)]
pub struct EesRecord {
    /// The stays, any order.
    pub stays: Vec<Stay>,
    /// The facial image of the individual file (EES Regulation Art. 16(1)(d)), JPEG; the
    /// live face is verified against it as well as against DG2.
    pub reference_face: Option<Zeroizing<Vec<u8>>>,
}

impl fmt::Debug for EesRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EesRecord")
            .field("stays", &self.stays.len())
            .field("reference_face", &self.reference_face.is_some())
            .finish()
    }
}

/// Why the EES gave no answer. Holds no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EesError {
    /// The EES could not be reached or did not answer in time.
    #[error("EES {source_name} unavailable: {detail}")]
    Unavailable {
        /// The adapter's name.
        source_name: String,
        /// Why.
        detail: String,
    },
}

/// The EES as a lane sees it. Blocking: called on a job's thread.
pub trait Ees: Send + Sync {
    /// The adapter's name (alarms, metrics, audit).
    fn name(&self) -> &str;
    /// The individual file of the document's holder, found by the document (EES Regulation
    /// Art. 23(2)); `None` for a first entry.
    fn find(&self, query: &Query) -> Result<Option<EesRecord>, EesError>;
    /// Creates the entry record for today (Art. 16, and for a first entry the individual
    /// file with `reference_face`, Art. 16(1)(d)).
    fn create_entry(
        &self,
        query: &Query,
        entry: CivilDate,
        reference_face: Option<&[u8]>,
    ) -> Result<(), EesError>;
}

/// The days (as [`CivilDate::day_number`]s) on which the traveller was in the area, up to
/// `until`
/// (an open stay runs to `until`).
fn days_present(stays: &[Stay], until: i64) -> std::collections::BTreeSet<i64> {
    let mut days = std::collections::BTreeSet::new();
    for s in stays {
        let from = s.entry.day_number();
        let to = s.exit.map_or(until, CivilDate::day_number).min(until);
        days.extend(from..=to);
    }
    days
}

/// Days of stay within the 180-day window ending on `day` (inclusive).
fn used_in_window(days: &std::collections::BTreeSet<i64>, day: i64) -> usize {
    days.range(day - WINDOW_DAYS + 1..=day).count()
}

/// The authorised stay left to a traveller entering on `today`, in days: the longest run of
/// days from `today` such that on each day the 180-day window ending on it holds at most 90
/// days of stay, counting the new stay (Regulation (EU) 2016/399 Art. 6(1)). 0 when even
/// `today` would exceed the limit. Stays after `today` are ignored.
pub fn remaining_stay(stays: &[Stay], today: CivilDate) -> u32 {
    let t = today.day_number();
    let mut days = days_present(stays, t - 1);
    let mut left = 0;
    while left < STAY_DAYS {
        let d = t + i64::from(left);
        days.insert(d);
        if used_in_window(&days, d) > STAY_DAYS as usize {
            break;
        }
        left += 1;
    }
    left
}

/// Whether the record shows an overstay: a past day of stay on which the 180-day window held
/// more than 90 days (EES Regulation Art. 12(3): the system lists overstayers).
pub fn overstayed(stays: &[Stay], today: CivilDate) -> bool {
    let t = today.day_number();
    let days = days_present(stays, t - 1);
    days.iter()
        .any(|&d| used_in_window(&days, d) > STAY_DAYS as usize)
}

/// What the EES step decides for one third-country national at an entry lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EesDecision {
    /// May enter: `remaining` days of authorised stay; `first_entry` when no individual file
    /// exists yet (one is created with the entry record).
    Admit {
        /// Authorised stay left, days.
        remaining: u32,
        /// No individual file yet.
        first_entry: bool,
    },
    /// Referred with this reason.
    Refer(ReasonCode),
}

/// The EES step's decision on the record found (`None`: first entry): an overstayer, or a
/// traveller with no authorised stay left, is referred with [`ReasonCode::EesOverstay`].
pub fn evaluate(record: Option<&EesRecord>, today: CivilDate) -> EesDecision {
    let Some(record) = record else {
        return EesDecision::Admit {
            remaining: STAY_DAYS,
            first_entry: true,
        };
    };
    let remaining = remaining_stay(&record.stays, today);
    if remaining == 0 || overstayed(&record.stays, today) {
        EesDecision::Refer(ReasonCode::EesOverstay)
    } else {
        EesDecision::Admit {
            remaining,
            first_entry: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).unwrap()
    }

    fn stay(entry: CivilDate, exit: CivilDate) -> Stay {
        Stay {
            entry,
            exit: Some(exit),
        }
    }

    #[test]
    fn a_first_entry_has_ninety_days() {
        assert_eq!(remaining_stay(&[], d(2026, 6, 1)), 90);
        assert_eq!(
            evaluate(None, d(2026, 6, 1)),
            EesDecision::Admit {
                remaining: 90,
                first_entry: true
            }
        );
    }

    /// Regulation (EU) 2016/399 Art. 6(1), worked as the Commission's calculator does: 1
    /// January to 30 January is 30 days (entry and exit days count), so entering on 1 March
    /// leaves 60, until those January days leave the window.
    #[test]
    fn days_used_in_the_window_are_deducted() {
        let stays = [stay(d(2026, 1, 1), d(2026, 1, 30))];
        assert_eq!(remaining_stay(&stays, d(2026, 3, 1)), 60);
        // The window ending on 30 July starts on 1 February: no January day is in it, nor in
        // the window of any later day, so the full 90 again.
        assert_eq!(remaining_stay(&stays, d(2026, 7, 30)), 90);
    }

    #[test]
    fn ninety_days_used_leave_nothing() {
        // 1 January to 31 March 2026: 31 + 28 + 31 = 90 days.
        let stays = [stay(d(2026, 1, 1), d(2026, 3, 31))];
        assert_eq!(remaining_stay(&stays, d(2026, 4, 10)), 0);
        assert_eq!(
            evaluate(
                Some(&EesRecord {
                    stays: stays.to_vec(),
                    reference_face: None
                }),
                d(2026, 4, 10)
            ),
            EesDecision::Refer(ReasonCode::EesOverstay)
        );
        assert!(!overstayed(&stays, d(2026, 4, 10)));
    }

    #[test]
    fn an_overstay_is_found_even_when_days_are_left() {
        // 100 days in 2025 (1 January – 10 April), long outside the window of today.
        let stays = [stay(d(2025, 1, 1), d(2025, 4, 10))];
        assert!(overstayed(&stays, d(2026, 6, 1)));
        assert_eq!(remaining_stay(&stays, d(2026, 6, 1)), 90);
        let record = EesRecord {
            stays: stays.to_vec(),
            reference_face: None,
        };
        assert_eq!(
            evaluate(Some(&record), d(2026, 6, 1)),
            EesDecision::Refer(ReasonCode::EesOverstay)
        );
    }

    /// The adversarial case for a calculator that only counts the window ending today: 80
    /// days used, the last of them recently, leave 10, not the 90 a "days left in today's
    /// window" shortcut would compute after the earliest of them drop out.
    #[test]
    fn the_window_of_each_future_day_counts() {
        // 80 days ending yesterday.
        let today = d(2026, 6, 1);
        let first = d(2026, 3, 13);
        let stays = [stay(first, d(2026, 5, 31))];
        assert_eq!(d(2026, 5, 31).day_number() - first.day_number() + 1, 80);
        assert_eq!(remaining_stay(&stays, today), 10);
    }

    #[test]
    fn an_open_stay_counts_until_yesterday() {
        let stays = [Stay {
            entry: d(2026, 5, 22),
            exit: None,
        }];
        // 22–31 May: 10 days.
        assert_eq!(remaining_stay(&stays, d(2026, 6, 1)), 80);
    }

    #[test]
    fn debug_shows_no_face() {
        let r = EesRecord {
            stays: vec![],
            reference_face: Some(Zeroizing::new(vec![0xff, 0xd8])),
        };
        assert_eq!(
            format!("{r:?}"),
            "EesRecord { stays: 0, reference_face: true }"
        );
    }
}
