//! A small DER writer (ITU-T X.690 §10) for the factory's certificates, CRLs, CMS and
//! security infos. Writing only: the factory builds what it signs, so nothing here parses.

use num_bigint::BigUint;

/// Encodes one TLV with a one-byte tag.
pub fn tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(value);
    out
}

/// SEQUENCE of the concatenated parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

/// SET of the parts, sorted by encoding as DER requires for SET OF (X.690 §11.6).
pub fn set(parts: &[&[u8]]) -> Vec<u8> {
    let mut v: Vec<&[u8]> = parts.to_vec();
    v.sort();
    tlv(0x31, &v.concat())
}

/// INTEGER from a non-negative big integer.
pub fn uint(v: &BigUint) -> Vec<u8> {
    let mut b = v.to_bytes_be();
    if b[0] & 0x80 != 0 {
        b.insert(0, 0);
    }
    tlv(0x02, &b)
}

/// INTEGER from a small non-negative number.
pub fn int(v: u64) -> Vec<u8> {
    uint(&BigUint::from(v))
}

/// OBJECT IDENTIFIER from dotted text, e.g. "2.23.136.1.1.1".
pub fn oid(dotted: &str) -> Vec<u8> {
    tlv(0x06, &oid_content(dotted))
}

/// Content bytes of an OID.
pub fn oid_content(dotted: &str) -> Vec<u8> {
    let arcs: Vec<u64> = dotted.split('.').filter_map(|a| a.parse().ok()).collect();
    let mut out = Vec::new();
    if arcs.len() < 2 {
        return out;
    }
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7F) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7F) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push(a);
    }
    out
}

/// OCTET STRING.
pub fn octets(v: &[u8]) -> Vec<u8> {
    tlv(0x04, v)
}

/// BIT STRING with no unused bits.
pub fn bits(v: &[u8]) -> Vec<u8> {
    let mut b = vec![0];
    b.extend_from_slice(v);
    tlv(0x03, &b)
}

/// NULL.
pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// BOOLEAN.
pub fn boolean(v: bool) -> Vec<u8> {
    tlv(0x01, &[if v { 0xFF } else { 0 }])
}

/// PrintableString.
pub fn printable(s: &str) -> Vec<u8> {
    tlv(0x13, s.as_bytes())
}

/// UTF8String.
pub fn utf8(s: &str) -> Vec<u8> {
    tlv(0x0C, s.as_bytes())
}

/// Context-specific constructed tag `[n]` (explicit tagging or implicit SET/SEQUENCE).
pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
    tlv(0xA0 | n, content)
}

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
            tlv(0x17, format!("{}000000Z", self.yymmdd()).as_bytes())
        } else {
            tlv(
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
    fn encodings() {
        assert_eq!(
            oid("1.2.840.10045.2.1"),
            hex::decode("06072a8648ce3d0201").unwrap()
        );
        assert_eq!(int(128), vec![2, 2, 0, 128]);
        assert_eq!(tlv(4, &[0; 200])[..3], [4, 0x81, 200]);
        assert_eq!(DateTime::date(2030, 1, 2).der()[2..], *b"300102000000Z");
    }
}
