//! A small proleptic-Gregorian civil date: enough for age and document validity.
//!
//! The gate has no clock for dates either: "today" comes from the daemon
//! ([`crate::GateConfig::today`], updated with [`crate::Input::DateChanged`]).

use std::fmt;

/// Why a triple of numbers is not a civil date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DateError {
    /// The month is not in 1..=12.
    #[error("month {0} is not in 1..=12")]
    Month(u8),
    /// The day does not exist in that month of that year.
    #[error("day {day} does not exist in {year:04}-{month:02}")]
    Day {
        /// The year.
        year: u16,
        /// The month.
        month: u8,
        /// The offending day.
        day: u8,
    },
}

/// A calendar date (year, month, day) in the proleptic Gregorian calendar.
///
/// Ordering is chronological. Only valid dates can be built.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CivilDate {
    year: u16,
    month: u8,
    day: u8,
}

/// True for Gregorian leap years.
fn is_leap(year: u16) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Number of days in `month` of `year` (month already validated).
fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(year) => 29,
        _ => 28,
    }
}

impl CivilDate {
    /// Builds a date, refusing months and days that do not exist.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, DateError> {
        if !(1..=12).contains(&month) {
            return Err(DateError::Month(month));
        }
        if day == 0 || day > days_in_month(year, month) {
            return Err(DateError::Day { year, month, day });
        }
        Ok(Self { year, month, day })
    }

    /// The year.
    pub fn year(self) -> u16 {
        self.year
    }

    /// The month, 1..=12.
    pub fn month(self) -> u8 {
        self.month
    }

    /// The day of the month, 1..=31.
    pub fn day(self) -> u8 {
        self.day
    }

    /// Completed years of age on `today` for someone born on `self`; 0 if `today`
    /// is before the birth date.
    ///
    /// Someone born on 29 February completes a year on 1 March in common years
    /// (the rule most civil codes use; `(2, 28) < (2, 29)`).
    pub fn age_on(self, today: CivilDate) -> u16 {
        if today < self {
            return 0;
        }
        let years = today.year - self.year;
        if (today.month, today.day) < (self.month, self.day) {
            years.saturating_sub(1)
        } else {
            years
        }
    }
}

/// Days since 1970-01-01 of `y-m-d` in the proleptic Gregorian calendar (H. Hinnant,
/// "chrono-Compatible Low-Level Date Algorithms", `days_from_civil`: the year is shifted to
/// start in March, so February's length comes last). Any `y`, `m` in 1..=12, `d` in 1..=31;
/// the inverse of [`civil_from_days`].
pub fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// (year, month, day) of the day `z` days after 1970-01-01 in the proleptic Gregorian
/// calendar (H. Hinnant's `civil_from_days`); the year is clamped to 0..=9999, so only a
/// clamped year can give a day [`CivilDate::new`] refuses (29 February).
pub fn civil_from_days(z: i64) -> (u16, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y.clamp(0, 9999) as u16, m, d)
}

impl CivilDate {
    /// Days since 1970-01-01 ([`days_from_civil`]).
    pub fn day_number(self) -> i64 {
        days_from_civil(
            i64::from(self.year),
            i64::from(self.month),
            i64::from(self.day),
        )
    }
}

impl fmt::Display for CivilDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> CivilDate {
        CivilDate::new(y, m, day).expect("valid test date")
    }

    #[test]
    fn day_numbers_round_trip_across_leap_rules() {
        assert_eq!(d(1970, 1, 1).day_number(), 0);
        assert_eq!(d(2025, 1, 1).day_number(), 20_089);
        assert_eq!(d(2000, 3, 1).day_number() - d(2000, 2, 28).day_number(), 2);
        assert_eq!(d(2100, 3, 1).day_number() - d(2100, 2, 28).day_number(), 1);
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        for z in (d(0, 1, 1).day_number()..=d(9999, 12, 31).day_number()).step_by(997) {
            let (y, m, day) = civil_from_days(z);
            assert_eq!(d(y, m, day).day_number(), z);
        }
    }

    #[test]
    fn refuses_impossible_dates() {
        assert_eq!(CivilDate::new(2023, 13, 1), Err(DateError::Month(13)));
        assert_eq!(CivilDate::new(2023, 0, 1), Err(DateError::Month(0)));
        let day = |year, month, day| Err(DateError::Day { year, month, day });
        assert_eq!(CivilDate::new(2023, 2, 29), day(2023, 2, 29));
        assert!(CivilDate::new(2024, 2, 29).is_ok());
        // Gregorian rule: a century year is a leap year only when divisible by 400.
        assert_eq!(CivilDate::new(1900, 2, 29), day(1900, 2, 29));
        assert!(CivilDate::new(2000, 2, 29).is_ok());
        assert_eq!(CivilDate::new(2024, 4, 31), day(2024, 4, 31));
        assert_eq!(CivilDate::new(2024, 4, 0), day(2024, 4, 0));
    }

    /// The ages of someone `born` on each of the days `on`.
    fn ages(born: CivilDate, on: &[(u16, u8, u8)]) -> Vec<u16> {
        on.iter()
            .map(|&(y, m, day)| born.age_on(d(y, m, day)))
            .collect()
    }

    #[test]
    fn age_counts_completed_years() {
        let on = [(2022, 6, 14), (2022, 6, 15), (2022, 12, 31), (2009, 1, 1)];
        assert_eq!(ages(d(2010, 6, 15), &on), [11, 12, 12, 0]);
    }

    #[test]
    fn leap_day_birthdays_complete_on_first_of_march() {
        let on = [
            (2020, 2, 28),
            (2020, 2, 29),
            (2021, 2, 28),
            (2022, 2, 28),
            (2022, 3, 1),
        ];
        assert_eq!(ages(d(2008, 2, 29), &on), [11, 12, 12, 13, 14]);
    }

    #[test]
    fn displays_iso_8601() {
        assert_eq!(d(987, 3, 4).to_string(), "0987-03-04");
    }
}
