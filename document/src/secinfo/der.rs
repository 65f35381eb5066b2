//! A minimal BER/DER TLV reader and writer for the SecurityInfos structures and the PACE/CA
//! dynamic authentication data (owner: document-pace). Kept private to PACE/CA/secinfo so those
//! modules do not depend on the order in which `tlv.rs` lands; every read is bounds-checked and
//! returns an error instead of panicking.

use num_bigint::BigUint;

/// Malformed TLV input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DerError {
    /// Input ended inside a tag, length or value.
    #[error("truncated TLV")]
    Truncated,
    /// Indefinite or over-long length.
    #[error("unsupported TLV length")]
    BadLength,
    /// A different tag was expected.
    #[error("unexpected tag {found:#x}, expected {expected:#x}")]
    UnexpectedTag {
        /// Tag read.
        found: u32,
        /// Tag wanted.
        expected: u32,
    },
    /// An INTEGER, OID or BIT STRING body is malformed.
    #[error("malformed primitive value")]
    BadValue,
}

/// One TLV: the tag as its big-endian bytes packed into a u32 (e.g. 0x7F49), its value, and the
/// whole encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// Tag number including class/constructed bits, multi-byte tags packed big-endian.
    pub tag: u32,
    /// The value bytes.
    pub value: &'a [u8],
    /// Tag, length and value bytes.
    pub raw: &'a [u8],
}

/// Reads one TLV from the front of `input`, returning it and the rest.
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let mut i = 0usize;
    let first = *input.first().ok_or(DerError::Truncated)?;
    let mut tag = u32::from(first);
    i += 1;
    if first & 0x1F == 0x1F {
        // Multi-byte tag: continuation bit 0x80; we allow up to three subsequent bytes.
        loop {
            let b = *input.get(i).ok_or(DerError::Truncated)?;
            i += 1;
            if i > 4 {
                return Err(DerError::BadLength);
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let l0 = *input.get(i).ok_or(DerError::Truncated)?;
    i += 1;
    let len = if l0 < 0x80 {
        usize::from(l0)
    } else {
        let n = usize::from(l0 & 0x7F);
        if n == 0 || n > 4 {
            return Err(DerError::BadLength);
        }
        let mut l = 0usize;
        for _ in 0..n {
            let b = *input.get(i).ok_or(DerError::Truncated)?;
            i += 1;
            l = (l << 8) | usize::from(b);
        }
        l
    };
    let end = i.checked_add(len).ok_or(DerError::BadLength)?;
    if end > input.len() {
        return Err(DerError::Truncated);
    }
    Ok((
        Tlv {
            tag,
            value: &input[i..end],
            raw: &input[..end],
        },
        &input[end..],
    ))
}

/// Reads one TLV and checks its tag.
pub fn expect(input: &[u8], tag: u32) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (t, rest) = read(input)?;
    if t.tag != tag {
        return Err(DerError::UnexpectedTag {
            found: t.tag,
            expected: tag,
        });
    }
    Ok((t, rest))
}

/// All TLVs in `input` (e.g. the elements of a SEQUENCE value).
pub fn children(mut input: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    while !input.is_empty() {
        let (t, rest) = read(input)?;
        out.push(t);
        input = rest;
    }
    Ok(out)
}

/// First child with `tag`, if any.
pub fn find<'a>(input: &'a [u8], tag: u32) -> Result<Option<Tlv<'a>>, DerError> {
    Ok(children(input)?.into_iter().find(|t| t.tag == tag))
}

/// A non-negative INTEGER value as u32 (rejects negatives and values over 32 bits).
pub fn uint(value: &[u8]) -> Result<u32, DerError> {
    if value.is_empty() || value[0] & 0x80 != 0 {
        return Err(DerError::BadValue);
    }
    let v: &[u8] = if value.len() > 1 && value[0] == 0 {
        &value[1..]
    } else {
        value
    };
    if v.len() > 4 {
        return Err(DerError::BadValue);
    }
    Ok(v.iter().fold(0u32, |a, b| (a << 8) | u32::from(*b)))
}

/// A non-negative INTEGER value as BigUint.
pub fn biguint(value: &[u8]) -> Result<BigUint, DerError> {
    if value.is_empty() || value[0] & 0x80 != 0 {
        return Err(DerError::BadValue);
    }
    Ok(BigUint::from_bytes_be(value))
}

/// Decodes an OBJECT IDENTIFIER value into dotted form ("0.4.0.127.0.7.2.2.4.2.2").
pub fn oid_to_string(value: &[u8]) -> Result<String, DerError> {
    if value.is_empty() || value[value.len() - 1] & 0x80 != 0 {
        return Err(DerError::BadValue);
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for &b in value {
        if acc > (u64::MAX >> 8) {
            return Err(DerError::BadValue);
        }
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            arcs.push(acc);
            acc = 0;
        }
    }
    let first = arcs[0];
    let (a, b) = if first < 40 {
        (0, first)
    } else if first < 80 {
        (1, first - 40)
    } else {
        (2, first - 80)
    };
    let mut s = format!("{a}.{b}");
    for arc in &arcs[1..] {
        s.push('.');
        s.push_str(&arc.to_string());
    }
    Ok(s)
}

/// Encodes a dotted OID into its value bytes (no tag/length). Malformed input yields an empty
/// vector (only ever called with constants).
pub fn oid_from_string(s: &str) -> Vec<u8> {
    let arcs: Option<Vec<u64>> = s.split('.').map(|a| a.parse().ok()).collect();
    let arcs = match arcs {
        Some(a) if a.len() >= 2 => a,
        _ => return Vec::new(),
    };
    let mut out = Vec::new();
    let mut push = |mut v: u64| {
        let mut tmp = vec![(v & 0x7F) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(((v & 0x7F) as u8) | 0x80);
            v >>= 7;
        }
        tmp.reverse();
        out.extend_from_slice(&tmp);
    };
    push(arcs[0] * 40 + arcs[1]);
    for a in &arcs[2..] {
        push(*a);
    }
    out
}

/// Encodes a TLV with a (possibly multi-byte) tag and definite length.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    let tb = tag.to_be_bytes();
    let skip = tb.iter().position(|b| *b != 0).unwrap_or(3);
    out.extend_from_slice(&tb[skip..]);
    let n = value.len();
    if n < 0x80 {
        out.push(n as u8);
    } else if n < 0x100 {
        out.extend_from_slice(&[0x81, n as u8]);
    } else if n < 0x10000 {
        out.extend_from_slice(&[0x82, (n >> 8) as u8, n as u8]);
    } else {
        out.extend_from_slice(&[0x83, (n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_roundtrip() {
        for s in [
            "0.4.0.127.0.7.2.2.4.2.2",
            "1.2.840.10045.2.1",
            "2.23.136.1.1.5",
        ] {
            assert_eq!(oid_to_string(&oid_from_string(s)).unwrap(), s);
        }
    }

    #[test]
    fn multibyte_tag_and_long_length() {
        let v = vec![7u8; 300];
        let e = encode(0x7F49, &v);
        let (t, rest) = read(&e).unwrap();
        assert_eq!(t.tag, 0x7F49);
        assert_eq!(t.value.len(), 300);
        assert!(rest.is_empty());
    }
}
