//! The century of an MRZ date. ICAO 9303-3 writes the dates of birth and of expiry as YYMMDD
//! with a two-digit year and leaves the century to the reader.

/// Which MRZ date a two-digit year belongs to; each has its own century rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateField {
    /// The date of birth: it lies in the past.
    Birth,
    /// The date of expiry: `YY` below 70 is in the current century, 70 and above in the
    /// previous one.
    Expiry,
}

/// The calendar date `(year, month, day)` of an MRZ date `YYMMDD`, as of `this_year` (the
/// library reads no clock). `None` unless `yymmdd` is six digits with a month 1–12 and a day
/// 1–31; whether the day exists in that month is left to the caller's calendar type.
///
/// A birth year after this year's two digits is in the previous century (a traveller is not
/// born in the future); an expiry year below 70 is in the current century, 70 and above in
/// the previous one. The century follows `this_year`, not the year the code was written.
pub fn mrz_date(yymmdd: &str, field: DateField, this_year: u16) -> Option<(u16, u8, u8)> {
    let b = yymmdd.as_bytes();
    if b.len() != 6 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let two = |i: usize| (b[i] - b'0') * 10 + (b[i + 1] - b'0');
    let (yy, mm, dd) = (u16::from(two(0)), two(2), two(4));
    if !(1..=12).contains(&mm) || !(1..=31).contains(&dd) {
        return None;
    }
    let (century, yy_now) = (this_year / 100 * 100, this_year % 100);
    let this_century = match field {
        DateField::Birth => yy <= yy_now,
        DateField::Expiry => yy < 70,
    };
    let year = if this_century {
        century + yy
    } else {
        century.checked_sub(100)? + yy
    };
    Some((year, mm, dd))
}

#[cfg(test)]
mod tests {
    use super::DateField::{Birth, Expiry};
    use super::*;

    /// ICAO 9303-3 two-digit years, read as of a given year.
    #[test]
    fn two_digit_years_get_their_century() {
        type Case = (&'static str, DateField, u16, Option<(u16, u8, u8)>);
        let cases: [Case; 11] = [
            // The ICAO 9303-3 specimen: born 740812, expiring 120415.
            ("740812", Birth, 2026, Some((1974, 8, 12))),
            ("120415", Expiry, 2026, Some((2012, 4, 15))),
            // A birth date is never in the future.
            ("120415", Birth, 2026, Some((2012, 4, 15))),
            ("260101", Birth, 2026, Some((2026, 1, 1))),
            ("270101", Birth, 2026, Some((1927, 1, 1))),
            // Expiry years below 70 are in this century.
            ("691231", Expiry, 2026, Some((2069, 12, 31))),
            ("700101", Expiry, 2026, Some((1970, 1, 1))),
            // The century follows the given year, not the year this was written.
            ("990101", Birth, 2105, Some((2099, 1, 1))),
            ("050101", Birth, 2105, Some((2105, 1, 1))),
            ("990101", Birth, 50, None),
            ("340415", Expiry, 2126, Some((2134, 4, 15))),
        ];
        for (yymmdd, field, this_year, want) in cases {
            assert_eq!(
                mrz_date(yymmdd, field, this_year),
                want,
                "{yymmdd} {field:?}"
            );
        }
    }

    #[test]
    fn malformed_dates_are_none() {
        for bad in ["34041", "341345", "340015", "3404１", "34O415", ""] {
            assert_eq!(mrz_date(bad, Expiry, 2026), None, "{bad}");
        }
    }
}
