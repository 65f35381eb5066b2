//! Minimal BER-TLV helpers for the card side (ISO/IEC 7816-4 §5.2, ICAO 9303-10 §4.4.1):
//! tags of one or two bytes, lengths in short form or 81/82/83 long form.

/// One TLV data object borrowed from its encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The tag, one or two bytes big-endian.
    pub tag: u16,
    /// The value.
    pub value: &'a [u8],
}

/// Parses consecutive TLV objects; `None` when any length runs past the input.
pub fn parse_all(mut b: &[u8]) -> Option<Vec<Tlv<'_>>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (tlv, rest) = parse_one(b)?;
        out.push(tlv);
        b = rest;
    }
    Some(out)
}

/// Parses one TLV object and returns it with the remaining bytes.
pub fn parse_one(b: &[u8]) -> Option<(Tlv<'_>, &[u8])> {
    let (&t0, mut rest) = b.split_first()?;
    let mut tag = u16::from(t0);
    if t0 & 0x1F == 0x1F {
        let (&t1, r) = rest.split_first()?;
        if t1 & 0x80 != 0 {
            return None; // three-byte tags are not used by ICAO 9303 files the chip parses
        }
        tag = (tag << 8) | u16::from(t1);
        rest = r;
    }
    let (&l0, mut rest) = rest.split_first()?;
    let len = match l0 {
        0x00..=0x7F => usize::from(l0),
        0x81 => {
            let (&l, r) = rest.split_first()?;
            rest = r;
            usize::from(l)
        }
        0x82 => {
            let l = rest.get(..2)?;
            rest = &rest[2..];
            usize::from(u16::from_be_bytes([l[0], l[1]]))
        }
        0x83 => {
            let l = rest.get(..3)?;
            rest = &rest[3..];
            (usize::from(l[0]) << 16) | (usize::from(l[1]) << 8) | usize::from(l[2])
        }
        _ => return None,
    };
    let value = rest.get(..len)?;
    Some((Tlv { tag, value }, &rest[len..]))
}

/// Finds the first object with `tag` among consecutive TLV objects.
pub fn find(b: &[u8], tag: u16) -> Option<&[u8]> {
    parse_all(b)?
        .into_iter()
        .find(|t| t.tag == tag)
        .map(|t| t.value)
}

/// Appends the DER length of `len` to `out`.
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len <= 0xFF {
        out.extend_from_slice(&[0x81, len as u8]);
    } else if len <= 0xFFFF {
        out.push(0x82);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.push(0x83);
        out.extend_from_slice(&(len as u32).to_be_bytes()[1..]);
    }
}

/// Encodes one TLV object with a one- or two-byte tag.
pub fn encode(tag: u16, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    if tag > 0xFF {
        out.extend_from_slice(&tag.to_be_bytes());
    } else {
        out.push(tag as u8);
    }
    push_len(&mut out, value.len());
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip() {
        let v = vec![7u8; 300];
        let e = encode(0x5F1F, &v);
        let (t, rest) = parse_one(&e).unwrap();
        assert_eq!(t.tag, 0x5F1F);
        assert_eq!(t.value, &v[..]);
        assert!(rest.is_empty());
        assert!(parse_one(&[0x87, 0x82, 0x01]).is_none());
        assert!(parse_one(&[0x87, 0x05, 1]).is_none());
    }
}
