//! BER-TLV and DER (ISO/IEC 7816-4 §5.2, ITU-T X.690 §8 and §10) as used by the LDS
//! (ICAO 9303-10 §4.4), secure messaging (ICAO 9303-11 §9.8), the SecurityInfos (ICAO 9303-11
//! §9.2) and the eMRTD PKI (ICAO 9303-12): one bounds-checked, depth-limited reader over
//! untrusted bytes, and one writer ([`write`]).
//!
//! Every [`Tlv`] keeps the byte spans of its value and of its whole encoding, because
//! signatures are checked over the bytes as received (X.509 TBSCertificate, CMS signed
//! attributes, RFC 5652 §5.4): decoding into typed structures and re-encoding is not enough,
//! as a non-canonical SET OF would re-encode differently.
//!
//! Tags are kept as their encoded bytes packed big-endian into a `u32` (e.g. `0x5F1F`,
//! `0x7F61`), which is how ICAO 9303-10 writes them. [`parse_one`] and the functions built on
//! it accept definite lengths only, as the LDS and secure messaging use; [`parse_one_ber`] and
//! [`children_ber`] also accept the BER indefinite length on constructed values, which some
//! issuers' EF.SOD use (X.690 §8.1.3.6).

use num_bigint::BigUint;

pub mod write;

pub use write::{encode, encode_constructed, encode_len, encode_tag, push};

/// Maximum nesting depth accepted by [`validate_tree`], [`find_deep`] and nested indefinite
/// lengths.
pub const MAX_DEPTH: usize = 16;

/// Universal tag of INTEGER.
pub const INTEGER: u32 = 0x02;
/// Universal tag of BIT STRING.
pub const BIT_STRING: u32 = 0x03;
/// Universal tag of OCTET STRING.
pub const OCTET_STRING: u32 = 0x04;
/// Universal tag of OBJECT IDENTIFIER.
pub const OID: u32 = 0x06;
/// Universal tag of SEQUENCE (constructed).
pub const SEQUENCE: u32 = 0x30;
/// Universal tag of SET (constructed).
pub const SET: u32 = 0x31;

/// Errors of the TLV reader.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ended inside a tag, a length or a value.
    #[error("TLV truncated at offset {0}")]
    Truncated(usize),
    /// A tag longer than 4 bytes.
    #[error("TLV tag too long at offset {0}")]
    TagTooLong(usize),
    /// Indefinite length (0x80) where it is not allowed: in a definite-length reading, or on
    /// a primitive value.
    #[error("indefinite TLV length at offset {0}")]
    IndefiniteLength(usize),
    /// A length field longer than 4 bytes or a reserved first byte (0xFF).
    #[error("unsupported TLV length encoding at offset {0}")]
    BadLength(usize),
    /// Constructed objects nested deeper than [`MAX_DEPTH`].
    #[error("TLV nested deeper than {MAX_DEPTH}")]
    TooDeep,
    /// A different tag than the one required was found.
    #[error("expected tag {expected:#X}, found {found:#X}")]
    UnexpectedTag {
        /// Tag wanted.
        expected: u32,
        /// Tag found.
        found: u32,
    },
    /// A required child tag is missing.
    #[error("tag {0:#X} missing")]
    Missing(u32),
    /// An INTEGER or OBJECT IDENTIFIER value is malformed or out of range.
    #[error("malformed {0} value")]
    BadValue(&'static str),
}

/// One parsed TLV, borrowing its value from the input.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, its encoded bytes packed big-endian (`0x5F1F`).
    pub tag: u32,
    /// The value bytes.
    pub value: &'a [u8],
    /// The whole encoding (tag, length and value).
    pub raw: &'a [u8],
}

impl std::fmt::Debug for Tlv<'_> {
    // Values may be personal data: print the tag and the length only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Tlv({:#X}, {} bytes)", self.tag, self.value.len())
    }
}

/// True when the tag's first byte has the constructed bit (b6) set.
pub fn is_constructed(tag: u32) -> bool {
    let mut t = tag;
    while t > 0xFF {
        t >>= 8;
    }
    t & 0x20 != 0
}

impl<'a> Tlv<'a> {
    /// True when the tag is constructed.
    pub fn is_constructed(&self) -> bool {
        is_constructed(self.tag)
    }

    /// Parses the value as a sequence of TLVs (children of a constructed object), skipping
    /// the 00/FF padding that ISO/IEC 7816-4 §5.2 allows between data objects.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, TlvError> {
        parse_all(self.value)
    }

    /// The first child with `tag`.
    pub fn find(&self, tag: u32) -> Result<Option<Tlv<'a>>, TlvError> {
        Ok(self.children()?.into_iter().find(|t| t.tag == tag))
    }

    /// The first child with `tag`, or [`TlvError::Missing`].
    pub fn require(&self, tag: u32) -> Result<Tlv<'a>, TlvError> {
        self.find(tag)?.ok_or(TlvError::Missing(tag))
    }

    /// Fails with [`TlvError::UnexpectedTag`] unless the tag is `tag`.
    pub fn check_tag(&self, tag: u32) -> Result<(), TlvError> {
        if self.tag == tag {
            Ok(())
        } else {
            Err(TlvError::UnexpectedTag {
                expected: tag,
                found: self.tag,
            })
        }
    }

    /// The dotted form of an OBJECT IDENTIFIER object (see [`decode_oid`]).
    pub fn oid(&self) -> Result<String, TlvError> {
        self.check_tag(OID)?;
        decode_oid(self.value)
    }

    /// The magnitude bytes of an INTEGER object, leading zero octets removed (the sign is
    /// not checked: RSA moduli and ECDSA values are read this way).
    pub fn unsigned_integer(&self) -> Result<&'a [u8], TlvError> {
        self.check_tag(INTEGER)?;
        if self.value.is_empty() {
            return Err(TlvError::BadValue("INTEGER"));
        }
        let mut v = self.value;
        while v.len() > 1 && v[0] == 0 {
            v = &v[1..];
        }
        Ok(v)
    }
}

/// Reads a tag at `b[pos..]`; returns (tag, bytes used).
fn read_tag(b: &[u8], pos: usize) -> Result<(u32, usize), TlvError> {
    let first = *b.get(pos).ok_or(TlvError::Truncated(pos))?;
    let mut tag = first as u32;
    let mut n = 1;
    if first & 0x1F == 0x1F {
        // ISO/IEC 8825-1 §8.1.2.4: subsequent bytes while b8 is set.
        loop {
            let x = *b.get(pos + n).ok_or(TlvError::Truncated(pos + n))?;
            n += 1;
            if n > 4 {
                return Err(TlvError::TagTooLong(pos));
            }
            tag = (tag << 8) | x as u32;
            if x & 0x80 == 0 {
                break;
            }
        }
    }
    Ok((tag, n))
}

/// Reads a definite length at `b[pos..]`; returns (length, bytes used).
fn read_len(b: &[u8], pos: usize) -> Result<(usize, usize), TlvError> {
    let first = *b.get(pos).ok_or(TlvError::Truncated(pos))?;
    if first < 0x80 {
        return Ok((first as usize, 1));
    }
    if first == 0x80 {
        return Err(TlvError::IndefiniteLength(pos));
    }
    let n = (first & 0x7F) as usize;
    if n > 4 {
        return Err(TlvError::BadLength(pos));
    }
    let bytes = b
        .get(pos + 1..pos + 1 + n)
        .ok_or(TlvError::Truncated(pos + 1))?;
    let len = bytes.iter().fold(0usize, |a, x| (a << 8) | *x as usize);
    Ok((len, 1 + n))
}

/// The one reading of a TLV. With `ber`, an indefinite length on a constructed value is
/// accepted and ends at the end-of-contents octets 00 00 (X.690 §8.1.3.6), nested at most
/// [`MAX_DEPTH`] deep.
fn read(b: &[u8], ber: bool, depth: usize) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, tn) = read_tag(b, 0)?;
    if ber && b.get(tn) == Some(&0x80) {
        if !is_constructed(tag) {
            return Err(TlvError::IndefiniteLength(tn));
        }
        if depth >= MAX_DEPTH {
            return Err(TlvError::TooDeep);
        }
        let start = tn + 1;
        let mut pos = start;
        loop {
            if b.get(pos..pos + 2) == Some(&[0, 0]) {
                let end = pos + 2;
                let tlv = Tlv {
                    tag,
                    value: &b[start..pos],
                    raw: &b[..end],
                };
                return Ok((tlv, &b[end..]));
            }
            let (_, rest) = read(&b[pos..], true, depth + 1)?;
            pos = b.len() - rest.len();
        }
    }
    let (len, ln) = read_len(b, tn)?;
    let start = tn + ln;
    let end = start.checked_add(len).ok_or(TlvError::BadLength(tn))?;
    if end > b.len() {
        return Err(TlvError::Truncated(b.len()));
    }
    Ok((
        Tlv {
            tag,
            value: &b[start..end],
            raw: &b[..end],
        },
        &b[end..],
    ))
}

/// Parses one TLV with a definite length at the start of `b`; returns it and the rest of the
/// input.
pub fn parse_one(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    read(b, false, 0)
}

/// Parses one TLV at the start of `b`, also accepting BER indefinite lengths on constructed
/// values (CMS as some issuers encode EF.SOD, e.g. the 2013 New Zealand specimen).
pub fn parse_one_ber(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    read(b, true, 0)
}

/// Parses one TLV that must carry `tag`.
pub fn expect(b: &[u8], tag: u32) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (t, rest) = parse_one(b)?;
    t.check_tag(tag)?;
    Ok((t, rest))
}

/// [`parse_one_ber`] of a TLV that must carry `tag`.
pub fn expect_ber(b: &[u8], tag: u32) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (t, rest) = parse_one_ber(b)?;
    t.check_tag(tag)?;
    Ok((t, rest))
}

/// Parses a flat sequence of TLVs filling `b` exactly. Padding bytes 00/FF between objects
/// (ISO/IEC 7816-4 §5.2) are skipped.
pub fn parse_all(b: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    let mut rest = b;
    while !rest.is_empty() {
        if rest[0] == 0x00 || rest[0] == 0xFF {
            rest = &rest[1..];
            continue;
        }
        let (t, r) = parse_one(rest)?;
        out.push(t);
        rest = r;
    }
    Ok(out)
}

/// Splits `b` (e.g. the value of a DER SEQUENCE) into the TLVs that fill it exactly, with
/// definite lengths and no padding.
pub fn children(b: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    split(b, false)
}

/// [`children`] that also accepts BER indefinite lengths on constructed values.
pub fn children_ber(b: &[u8]) -> Result<Vec<Tlv<'_>>, TlvError> {
    split(b, true)
}

fn split(mut b: &[u8], ber: bool) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (t, rest) = read(b, ber, 0)?;
        out.push(t);
        b = rest;
    }
    Ok(out)
}

/// The first of the [`children`] of `b` with `tag`, if any.
pub fn find(b: &[u8], tag: u32) -> Result<Option<Tlv<'_>>, TlvError> {
    Ok(children(b)?.into_iter().find(|t| t.tag == tag))
}

/// Walks the whole tree (depth-first), checking every constructed object parses, up to
/// [`MAX_DEPTH`]. Returns the number of objects. Used to validate untrusted structures.
pub fn validate_tree(b: &[u8]) -> Result<usize, TlvError> {
    fn walk(b: &[u8], depth: usize) -> Result<usize, TlvError> {
        if depth > MAX_DEPTH {
            return Err(TlvError::TooDeep);
        }
        let mut n = 0;
        for t in parse_all(b)? {
            n += 1;
            if t.is_constructed() {
                n += walk(t.value, depth + 1)?;
            }
        }
        Ok(n)
    }
    walk(b, 0)
}

/// Finds the first object with `tag` anywhere in the tree (depth-first, depth-limited).
pub fn find_deep(b: &[u8], tag: u32) -> Result<Option<Tlv<'_>>, TlvError> {
    fn walk(b: &[u8], tag: u32, depth: usize) -> Result<Option<Tlv<'_>>, TlvError> {
        if depth > MAX_DEPTH {
            return Err(TlvError::TooDeep);
        }
        for t in parse_all(b)? {
            if t.tag == tag {
                return Ok(Some(t));
            }
            if t.is_constructed() {
                if let Some(x) = walk(t.value, tag, depth + 1)? {
                    return Ok(Some(x));
                }
            }
        }
        Ok(None)
    }
    walk(b, tag, 0)
}

/// The total encoded size of the TLV at the start of `b`, from its header alone (for
/// reading a file whose length is only known once its first bytes are read).
/// Returns (header length, total length).
pub fn encoded_size(b: &[u8]) -> Result<(usize, usize), TlvError> {
    let (_, tn) = read_tag(b, 0)?;
    let (len, ln) = read_len(b, tn)?;
    let total = (tn + ln).checked_add(len).ok_or(TlvError::BadLength(tn))?;
    Ok((tn + ln, total))
}

/// Decodes the value of an OBJECT IDENTIFIER into its dotted form
/// ("0.4.0.127.0.7.2.2.4.2.2"); the first subidentifier packs the first two arcs
/// (X.690 §8.19.4).
pub fn decode_oid(value: &[u8]) -> Result<String, TlvError> {
    const BAD: TlvError = TlvError::BadValue("OBJECT IDENTIFIER");
    if value.last().is_none_or(|b| b & 0x80 != 0) {
        return Err(BAD);
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in value {
        if acc > (u64::MAX >> 8) {
            return Err(BAD);
        }
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                let (a, b) = match acc {
                    0..=39 => (0, acc),
                    40..=79 => (1, acc - 40),
                    _ => (2, acc - 80),
                };
                arcs.push(a);
                arcs.push(b);
            } else {
                arcs.push(acc);
            }
            acc = 0;
        }
    }
    Ok(arcs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join("."))
}

/// A non-negative INTEGER value as `u32` (negative values and values over 32 bits are
/// refused).
pub fn decode_u32(value: &[u8]) -> Result<u32, TlvError> {
    const BAD: TlvError = TlvError::BadValue("INTEGER");
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        return Err(BAD);
    }
    let v: &[u8] = if value.len() > 1 && value[0] == 0 {
        &value[1..]
    } else {
        value
    };
    if v.len() > 4 {
        return Err(BAD);
    }
    Ok(v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// A non-negative INTEGER value as a big integer (negative values are refused).
pub fn decode_biguint(value: &[u8]) -> Result<BigUint, TlvError> {
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        return Err(TlvError::BadValue("INTEGER"));
    }
    Ok(BigUint::from_bytes_be(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multibyte_tags_and_long_lengths() {
        let v = vec![0xAB; 300];
        let e = encode(0x5F2E, &v);
        assert_eq!(&e[..5], &[0x5F, 0x2E, 0x82, 0x01, 0x2C]);
        let (t, rest) = parse_one(&e).unwrap();
        assert_eq!(t.tag, 0x5F2E);
        assert_eq!(t.value.len(), 300);
        assert!(rest.is_empty());
        assert_eq!(encoded_size(&e).unwrap(), (5, 305));
        let nested = encode_constructed(0x7F61, &[encode(0x02, &[1]), encode(0x7F60, &[])]);
        let (t, _) = parse_one(&nested).unwrap();
        assert!(t.is_constructed());
        assert_eq!(t.children().unwrap().len(), 2);
        assert_eq!(find_deep(&nested, 0x02).unwrap().unwrap().value, &[1]);
        assert_eq!(t.require(0x99), Err(TlvError::Missing(0x99)));
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(
            parse_one(&[0x60, 0x80, 0, 0]).unwrap_err(),
            TlvError::IndefiniteLength(1)
        );
        assert!(matches!(
            parse_one(&[0x60, 0x05, 1]),
            Err(TlvError::Truncated(_))
        ));
        assert!(matches!(parse_one(&[0x5F]), Err(TlvError::Truncated(_))));
        assert!(matches!(
            parse_one(&[0x5F, 0x80, 0x80, 0x80, 0x01, 0]),
            Err(TlvError::TagTooLong(_))
        ));
        assert!(matches!(
            parse_one(&[0x60, 0x85, 1, 1, 1, 1, 1]),
            Err(TlvError::BadLength(_))
        ));
        assert!(matches!(
            parse_one(&[0x60, 0x84, 0xFF, 0xFF, 0xFF, 0xFF]),
            Err(TlvError::Truncated(_))
        ));
        assert_eq!(parse_one(&[]), Err(TlvError::Truncated(0)));
        // 40 nested constructed objects.
        let mut e = encode(0x04, &[]);
        for _ in 0..40 {
            e = encode(0x30, &e);
        }
        assert_eq!(validate_tree(&e), Err(TlvError::TooDeep));
    }
    #[test]
    fn oid_roundtrip_and_bad_oids() {
        for s in [
            "0.4.0.127.0.7.2.2.4.2.2",
            "1.2.840.10045.2.1",
            "2.23.136.1.1.5",
        ] {
            assert_eq!(decode_oid(&write::oid_value(s)).unwrap(), s);
        }
        let (t, rest) = parse_one(&[0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01]).unwrap();
        assert!(rest.is_empty());
        assert_eq!(t.oid().unwrap(), "2.23.136.1.1.1");
        let bad_oid = Err(TlvError::BadValue("OBJECT IDENTIFIER"));
        assert_eq!(decode_oid(&[]), bad_oid);
        // X.690 §8.19.2: the last octet of a subidentifier has bit 8 clear.
        assert_eq!(decode_oid(&[0x2A, 0x86]), bad_oid);
        // An arc wider than 64 bits is refused, not wrapped.
        assert_eq!(
            decode_oid(&[0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]),
            bad_oid
        );
    }

    #[test]
    fn integers() {
        assert_eq!(decode_u32(&[0x00, 0xFF]), Ok(255));
        let bad_int = TlvError::BadValue("INTEGER");
        // X.690 §8.3.3: two's complement, so 0x80 is negative.
        assert_eq!(decode_u32(&[0x80]), Err(bad_int.clone()));
        assert_eq!(decode_u32(&[1, 2, 3, 4, 5]), Err(bad_int.clone()));
        assert_eq!(decode_u32(&[0, 1, 2, 3, 4]), Ok(0x0102_0304));
        assert_eq!(decode_biguint(&[]), Err(bad_int.clone()));
        assert_eq!(decode_biguint(&[0xFF]), Err(bad_int));
        let (t, _) = parse_one(&[0x02, 0x03, 0x00, 0x00, 0x81]).unwrap();
        assert_eq!(t.unsigned_integer().unwrap(), &[0x81]);
    }

    #[test]
    fn indefinite_length_only_in_ber_reading() {
        let b = [0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0xFF];
        let (t, rest) = parse_one_ber(&b).unwrap();
        assert_eq!(t.value, &[0x02, 0x01, 0x05]);
        assert_eq!(t.raw, &b[..7]);
        assert_eq!(rest, &[0xFF]);
        assert_eq!(parse_one(&b), Err(TlvError::IndefiniteLength(1)));
        // An indefinite length with no end-of-contents octets (X.690 §8.1.5).
        assert_eq!(
            parse_one_ber(&[0x30, 0x80]).unwrap_err(),
            TlvError::Truncated(0)
        );
        // X.690 §8.1.3.2: the indefinite form only for constructed encodings.
        assert_eq!(
            parse_one_ber(&[0x04, 0x80, 0x00, 0x00]).unwrap_err(),
            TlvError::IndefiniteLength(1)
        );
        let mut deep = vec![0x30, 0x80];
        for _ in 0..40 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        assert_eq!(parse_one_ber(&deep).unwrap_err(), TlvError::TooDeep);
    }
}
