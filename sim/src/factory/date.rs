//! Calendar dates of the factory's certificates, CRLs and documents.

use document::tlv;

/// A civil date and time, UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// Year (1950–2049 for UTCTime).
    pub year: u16,
    /// Month 1–12.
    pub month: u8,
    /// Day 1–31.
    pub day: u8,
}

impl DateTime {
    /// Midnight UTC of a date.
    pub const fn date(year: u16, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }

    /// Parses "YYYY-MM-DD".
    pub fn parse(s: &str) -> Option<Self> {
        let mut it = s.split('-');
        let y = it.next()?.parse().ok()?;
        let m = it.next()?.parse().ok()?;
        let d = it.next()?.parse().ok()?;
        if it.next().is_some() || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
            return None;
        }
        Some(Self::date(y, m, d))
    }

    /// YYMMDD as in the MRZ.
    pub fn yymmdd(&self) -> String {
        format!("{:02}{:02}{:02}", self.year % 100, self.month, self.day)
    }

    /// UTCTime (RFC 5280 §4.1.2.5.1) for years before 2050, GeneralizedTime after.
    pub fn der(&self) -> Vec<u8> {
        if (1950..2050).contains(&self.year) {
            tlv::encode(0x17, format!("{}000000Z", self.yymmdd()).as_bytes())
        } else {
            tlv::encode(
                0x18,
                format!("{:04}{:02}{:02}000000Z", self.year, self.month, self.day).as_bytes(),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_time() {
        assert_eq!(DateTime::date(2030, 1, 2).der()[2..], *b"300102000000Z");
        assert_eq!(DateTime::date(2050, 1, 2).der()[2..], *b"20500102000000Z");
        assert_eq!(
            DateTime::parse("2031-12-24"),
            Some(DateTime::date(2031, 12, 24))
        );
        assert_eq!(DateTime::parse("2031-13-24"), None);
    }
}
