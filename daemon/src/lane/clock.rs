//! The lane's civil date: the wall clock shifted by the configured offset from UTC
//! (`[gate] utc_offset_minutes`), and when it next changes.
//!
//! The gate itself has no clock (docs/ARCHITECTURE.md): its "today" (document expiry, age) comes from
//! here, at start and as [`gate::Input::DateChanged`] from the driver loop, which wakes at
//! the lane's next midnight and compares the date on every wake (so a stepped clock is
//! noticed too). A fixed offset keeps this pure and testable; daylight saving time is the
//! operator's to handle (change the offset twice a year, or run the host in UTC and accept
//! a date that turns at UTC midnight).

use std::time::{Duration, SystemTime};

use gate::{civil_from_days, CivilDate};

pub use crate::config::policy::UTC_OFFSET_RANGE;

const DAY_MS: i64 = 86_400_000;

/// The wall clock as the lane reads its civil date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LaneClock {
    /// Offset of the lane's civil time from UTC, in minutes (east positive).
    utc_offset_minutes: i32,
}

impl LaneClock {
    /// A clock `utc_offset_minutes` east of UTC (clamped to [`UTC_OFFSET_RANGE`]; the config
    /// check refuses anything outside it).
    pub fn new(utc_offset_minutes: i32) -> Self {
        Self {
            utc_offset_minutes: utc_offset_minutes
                .clamp(*UTC_OFFSET_RANGE.start(), *UTC_OFFSET_RANGE.end()),
        }
    }

    /// The lane's date now.
    pub fn today(&self) -> CivilDate {
        self.date_at(unix_ms(SystemTime::now()))
    }

    /// How long from now until the lane's next midnight.
    pub fn until_midnight(&self) -> Duration {
        self.until_midnight_at(unix_ms(SystemTime::now()))
    }

    /// The lane's date at `unix_ms` milliseconds since 1970-01-01T00:00Z.
    pub fn date_at(&self, unix_ms: i64) -> CivilDate {
        let days = self.local_ms(unix_ms).div_euclid(DAY_MS);
        let (y, m, d) = civil_from_days(days);
        // `civil_from_days` clamps the year to 0..=9999, so only a clamped year can give a
        // day that does not exist (29 February of a clamped year); the fallback is never
        // reached for a real clock.
        CivilDate::new(y, m, d).unwrap_or_else(|_| CivilDate::new(y, m, 28).expect("a date"))
    }

    /// Time from `unix_ms` until the lane's next midnight (never zero: at midnight exactly,
    /// the next one, a day later).
    pub fn until_midnight_at(&self, unix_ms: i64) -> Duration {
        let into_day = self.local_ms(unix_ms).rem_euclid(DAY_MS);
        Duration::from_millis((DAY_MS - into_day) as u64)
    }

    fn local_ms(&self, unix_ms: i64) -> i64 {
        unix_ms.saturating_add(i64::from(self.utc_offset_minutes) * 60_000)
    }
}

/// Milliseconds since 1970-01-01T00:00Z (negative before it).
fn unix_ms(t: SystemTime) -> i64 {
    match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gate::days_from_civil;

    const HOUR_MS: i64 = 3_600_000;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).expect("valid test date")
    }

    /// Milliseconds since the epoch of `y-m-d` at `hh:mm` UTC.
    fn utc(y: i64, m: i64, day: i64, hh: i64, mm: i64) -> i64 {
        days_from_civil(y, m, day) * DAY_MS + hh * HOUR_MS + mm * 60_000
    }

    #[test]
    fn civil_from_days_known_values() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(20_418), (2025, 11, 26));
        assert_eq!(civil_from_days(19_417), (2023, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        for (y, m, day) in [(2024, 2, 29), (2100, 3, 1), (2399, 12, 31), (2028, 1, 1)] {
            let days = utc(y, m, day, 0, 0) / DAY_MS;
            assert_eq!(civil_from_days(days), (y as u16, m as u8, day as u8));
        }
    }

    #[test]
    fn date_follows_the_offset() {
        let t = utc(2026, 11, 26, 23, 30);
        assert_eq!(LaneClock::new(0).date_at(t), d(2026, 11, 26));
        assert_eq!(LaneClock::new(60).date_at(t), d(2026, 11, 27));
        assert_eq!(LaneClock::new(-60).date_at(t), d(2026, 11, 26));
        let t = utc(2026, 11, 27, 0, 30);
        assert_eq!(LaneClock::new(-60).date_at(t), d(2026, 11, 26));
        assert_eq!(LaneClock::new(840).date_at(t), d(2026, 11, 27));
        assert_eq!(LaneClock::new(-840).date_at(t), d(2026, 11, 26));
        // Out-of-range offsets are clamped, never wrap.
        assert_eq!(LaneClock::new(i32::MAX), LaneClock::new(840));
        assert_eq!(LaneClock::new(i32::MIN), LaneClock::new(-840));
    }

    #[test]
    fn next_midnight_across_month_year_and_leap_days() {
        // (UTC instant, offset, expected wait, date just before and just after the wake)
        let cases = [
            // End of a 30-day month, UTC.
            (
                utc(2026, 11, 30, 22, 0),
                0,
                2 * HOUR_MS,
                (2026, 11, 30),
                (2026, 12, 1),
            ),
            // New Year in UTC+01:00: local 23:15 on 31 December.
            (
                utc(2026, 12, 31, 22, 15),
                60,
                45 * 60_000,
                (2026, 12, 31),
                (2027, 1, 1),
            ),
            // Leap day: 28 February 2028 → 29 February.
            (
                utc(2028, 2, 28, 12, 0),
                0,
                12 * HOUR_MS,
                (2028, 2, 28),
                (2028, 2, 29),
            ),
            // 29 February → 1 March in UTC−05:00 (local 20:00).
            (
                utc(2028, 3, 1, 1, 0),
                -300,
                4 * HOUR_MS,
                (2028, 2, 29),
                (2028, 3, 1),
            ),
            // A common year: 28 February → 1 March.
            (
                utc(2027, 2, 28, 23, 59),
                0,
                60_000,
                (2027, 2, 28),
                (2027, 3, 1),
            ),
            // 2100 is not a leap year.
            (
                utc(2100, 2, 28, 0, 0) + 1,
                0,
                DAY_MS - 1,
                (2100, 2, 28),
                (2100, 3, 1),
            ),
            // UTC+05:45 (Nepal): local 23:45 on 31 January.
            (
                utc(2027, 1, 31, 18, 0),
                345,
                15 * 60_000,
                (2027, 1, 31),
                (2027, 2, 1),
            ),
            // UTC+14:00: its midnight is 10:00 UTC the day before.
            (
                utc(2026, 6, 30, 9, 0),
                840,
                HOUR_MS,
                (2026, 6, 30),
                (2026, 7, 1),
            ),
        ];
        for (now, offset, wait, before, after) in cases {
            let clock = LaneClock::new(offset);
            let got = clock.until_midnight_at(now);
            assert_eq!(got, Duration::from_millis(wait as u64), "{now} {offset}");
            let wake = now + got.as_millis() as i64;
            assert_eq!(clock.date_at(wake - 1), d(before.0, before.1, before.2));
            assert_eq!(clock.date_at(wake), d(after.0, after.1, after.2));
        }
    }

    #[test]
    fn at_midnight_exactly_the_next_one_is_a_day_away() {
        let clock = LaneClock::new(120);
        let midnight = utc(2026, 3, 29, 22, 0);
        assert_eq!(clock.date_at(midnight), d(2026, 3, 30));
        assert_eq!(
            clock.until_midnight_at(midnight),
            Duration::from_millis(DAY_MS as u64)
        );
    }

    #[test]
    fn before_the_epoch_and_now() {
        assert_eq!(LaneClock::new(0).date_at(-1), d(1969, 12, 31));
        assert_eq!(
            LaneClock::new(0).until_midnight_at(-1),
            Duration::from_millis(1)
        );
        let today = LaneClock::default().today();
        assert!(today >= d(2025, 1, 1), "{today}");
        let wait = LaneClock::default().until_midnight();
        assert!(wait > Duration::ZERO && wait <= Duration::from_millis(DAY_MS as u64));
    }
}
