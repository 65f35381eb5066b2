//! BER-TLV (ISO/IEC 7816-4 §5.2, ISO/IEC 8825-1) as used by the LDS (ICAO 9303-10 §4.4):
//! a bounds-checked, depth-limited parser over untrusted bytes, and encoding helpers.
//!
//! Tags are kept as their encoded bytes packed big-endian into a `u32` (e.g. `0x5F1F`, `0x7F61`),
//! which is how ICAO 9303-10 writes them. Indefinite lengths are rejected: the LDS uses DER-like
//! definite lengths only.

/// Maximum nesting depth accepted by [`parse_all`] / [`Tlv::children`].
pub const MAX_DEPTH: usize = 16;

/// Errors of the TLV parser.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TlvError {
    /// The input ended inside a tag, a length or a value.
    #[error("TLV truncated at offset {0}")]
    Truncated(usize),
    /// A tag longer than 4 bytes.
    #[error("TLV tag too long at offset {0}")]
    TagTooLong(usize),
    /// Indefinite length (0x80) is not allowed.
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

    /// Parses the value as a sequence of TLVs (children of a constructed object).
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

/// Parses one TLV at the start of `b`; returns it and the rest of the input.
pub fn parse_one(b: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (tag, tn) = read_tag(b, 0)?;
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

/// Parses one TLV that must carry `tag`.
pub fn expect(b: &[u8], tag: u32) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    let (t, rest) = parse_one(b)?;
    if t.tag != tag {
        return Err(TlvError::UnexpectedTag {
            expected: tag,
            found: t.tag,
        });
    }
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

/// Encodes a tag (packed big-endian, leading zero bytes dropped).
pub fn encode_tag(tag: u32, out: &mut Vec<u8>) {
    let bytes = tag.to_be_bytes();
    let skip = bytes.iter().take(3).take_while(|b| **b == 0).count();
    out.extend_from_slice(&bytes[skip..]);
}

/// Encodes a definite length in the shortest DER form.
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

/// Encodes one TLV.
pub fn encode(tag: u32, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 8);
    encode_tag(tag, &mut out);
    encode_len(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

/// Encodes a constructed TLV from already-encoded children.
pub fn encode_constructed(tag: u32, children: &[Vec<u8>]) -> Vec<u8> {
    encode(tag, &children.concat())
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
        assert!(parse_one(&[]).is_err());
        // 40 nested constructed objects.
        let mut e = encode(0x04, &[]);
        for _ in 0..40 {
            e = encode(0x30, &e);
        }
        assert_eq!(validate_tree(&e), Err(TlvError::TooDeep));
    }
}
