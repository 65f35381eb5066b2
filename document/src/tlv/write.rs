//! The TLV writer: definite lengths in their shortest form (DER, X.690 §10.1), tags as packed
//! by the reader, and the DER values the factory, the secure channel and the SecurityInfos
//! encoders build.

use num_bigint::BigUint;

/// Appends a tag (packed big-endian, leading zero bytes dropped).
pub fn encode_tag(tag: u32, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    out.extend_from_slice(&bytes[skip..]);
}

/// Appends a definite length in the shortest DER form.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = (len as u64).to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (8 - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Appends one TLV to `out`.
pub fn push(out: &mut Vec<u8>, tag: u32, value: &[u8]) {
    encode_tag(tag, out);
    encode_len(value.len(), out);
    out.extend_from_slice(value);
}

/// Encodes one TLV.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    push(&mut out, tag, value);
    out
}

/// Encodes a constructed TLV from already-encoded children.
pub fn encode_constructed(tag: u32, children: &[Vec<u8>]) -> Vec<u8> {
    encode(tag, &children.concat())
}

/// SEQUENCE of the concatenated parts.
pub fn seq(parts: &[&[u8]]) -> Vec<u8> {
    encode(super::SEQUENCE, &parts.concat())
}

/// SET OF the parts, sorted by their encodings as DER requires (X.690 §11.6).
pub fn set_of(parts: &[&[u8]]) -> Vec<u8> {
    let mut v: Vec<&[u8]> = parts.to_vec();
    v.sort();
    encode(super::SET, &v.concat())
}

/// INTEGER from a non-negative big integer.
pub fn uint(v: &BigUint) -> Vec<u8> {
    let mut b = v.to_bytes_be();
    if b.first().is_some_and(|x| x & 0x80 != 0) {
        b.insert(0, 0);
    }
    encode(super::INTEGER, &b)
}

/// INTEGER from a small non-negative number.
pub fn int(v: u64) -> Vec<u8> {
    uint(&BigUint::from(v))
}

/// OBJECT IDENTIFIER from dotted text, e.g. "2.23.136.1.1.1".
pub fn oid(dotted: &str) -> Vec<u8> {
    encode(super::OID, &oid_value(dotted))
}

/// The value bytes of an OBJECT IDENTIFIER (X.690 §8.19). Malformed text yields no bytes:
/// it is only ever called with constants.
pub fn oid_value(dotted: &str) -> Vec<u8> {
    let arcs: Option<Vec<u64>> = dotted.split('.').map(|a| a.parse().ok()).collect();
    let arcs = match arcs {
        Some(a) if a.len() >= 2 => a,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut push_arc = |mut v: u64| {
        let mut tmp = vec![(v & 0x7F) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7F) as u8);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push_arc(a);
    }
    out
}

/// OCTET STRING.
pub fn octets(v: &[u8]) -> Vec<u8> {
    encode(super::OCTET_STRING, v)
}

/// BIT STRING with no unused bits.
pub fn bits(v: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(v.len() + 1);
    b.push(0);
    b.extend_from_slice(v);
    encode(super::BIT_STRING, &b)
}

/// NULL.
pub fn null() -> Vec<u8> {
    vec![0x05, 0x00]
}

/// BOOLEAN.
pub fn boolean(v: bool) -> Vec<u8> {
    encode(0x01, &[if v { 0xFF } else { 0 }])
}

/// PrintableString.
pub fn printable(s: &str) -> Vec<u8> {
    encode(0x13, s.as_bytes())
}

/// UTF8String.
pub fn utf8(s: &str) -> Vec<u8> {
    encode(0x0C, s.as_bytes())
}

/// Context-specific constructed tag `[n]` (explicit tagging or implicit SET/SEQUENCE).
pub fn ctx(n: u8, content: &[u8]) -> Vec<u8> {
    encode(u32::from(0xA0 | n), content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_values() {
        assert_eq!(
            oid("1.2.840.10045.2.1"),
            hex::decode("06072a8648ce3d0201").unwrap()
        );
        assert_eq!(int(128), vec![2, 2, 0, 128]);
        assert_eq!(int(0), vec![2, 1, 0]);
        assert_eq!(encode(4, &[0; 200])[..3], [4, 0x81, 200]);
        assert_eq!(encode(0x87, &[0; 0x1_0000])[..5], [0x87, 0x83, 1, 0, 0]);
        assert_eq!(
            set_of(&[&[2, 1, 5], &[2, 1, 3]]),
            vec![0x31, 6, 2, 1, 3, 2, 1, 5]
        );
        assert!(oid_value("1.x.3").is_empty());
    }
}
