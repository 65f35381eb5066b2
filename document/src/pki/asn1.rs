//! A minimal DER walker that keeps byte spans.
//!
//! Signatures are computed over the bytes *as received* (X.509 TBSCertificate, CMS signed
//! attributes, RFC 5652 §5.4), so decoding into typed structures and re-encoding is not
//! enough: a non-canonical SET OF would re-encode differently. This walker splits TLVs and
//! hands back the exact slices; typed decoding of the pieces is left to the `der` crate.

use super::PkiError;

/// One DER TLV: its tag byte(s), the whole encoding and the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octets folded into one number (e.g. `0x30`, `0xA0`, `0x7F21`).
    pub tag: u32,
    /// The complete encoding: identifier, length and value octets.
    pub raw: &'a [u8],
    /// The value octets.
    pub value: &'a [u8],
}

/// Universal tag of SEQUENCE (constructed).
pub const SEQUENCE: u32 = 0x30;
/// Universal tag of SET (constructed).
pub const SET: u32 = 0x31;
/// Universal tag of OBJECT IDENTIFIER.
pub const OID: u32 = 0x06;
/// Universal tag of INTEGER.
pub const INTEGER: u32 = 0x02;
/// Universal tag of OCTET STRING.
pub const OCTET_STRING: u32 = 0x04;
/// Universal tag of BIT STRING.
pub const BIT_STRING: u32 = 0x03;

/// Reads one TLV from the front of `input`; returns it and the remaining bytes.
///
/// Definite lengths (DER) and BER indefinite lengths on constructed values are accepted; a
/// length field of more than four octets is refused as unreasonable for this domain.
pub fn read_tlv(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), PkiError> {
    read_tlv_depth(input, 0)
}

/// Nesting limit for BER indefinite lengths (bounds recursion on hostile input).
const MAX_DEPTH: usize = 32;

fn read_tlv_depth(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), PkiError> {
    let malformed = |what: &'static str| PkiError::Malformed(what);
    let first = *input
        .first()
        .ok_or(malformed("empty input where a TLV was expected"))?;
    let mut pos = 1usize;
    let mut tag = u32::from(first);
    if first & 0x1F == 0x1F {
        // X.690 §8.1.2.4: high tag number form, base-128 with continuation bit.
        loop {
            let b = *input.get(pos).ok_or(malformed("truncated tag"))?;
            pos += 1;
            if tag > 0x00FF_FFFF {
                return Err(malformed("tag too long"));
            }
            tag = (tag << 8) | u32::from(b);
            if b & 0x80 == 0 {
                break;
            }
        }
    }
    let len_byte = *input.get(pos).ok_or(malformed("truncated length"))?;
    pos += 1;
    let len = if len_byte < 0x80 {
        usize::from(len_byte)
    } else {
        let n = usize::from(len_byte & 0x7F);
        if n == 0 {
            // X.690 §8.1.3.6: BER indefinite length, constructed only, ended by 00 00. Some
            // issuers' EF.SOD use it (e.g. the 2013 New Zealand specimen).
            if first & 0x20 == 0 || depth >= MAX_DEPTH {
                return Err(malformed(
                    "indefinite length on a primitive or too deeply nested",
                ));
            }
            let start = pos;
            let mut rest = &input[pos..];
            loop {
                if rest.len() >= 2 && rest[0] == 0 && rest[1] == 0 {
                    let value_end = input.len() - rest.len();
                    let end = value_end + 2;
                    let tlv = Tlv {
                        tag,
                        raw: &input[..end],
                        value: &input[start..value_end],
                    };
                    return Ok((tlv, &input[end..]));
                }
                let (_, r) = read_tlv_depth(rest, depth + 1)?;
                rest = r;
            }
        }
        if n > 4 {
            return Err(malformed("length field too long"));
        }
        let bytes = input
            .get(pos..pos + n)
            .ok_or(malformed("truncated length"))?;
        pos += n;
        bytes
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
    };
    let end = pos.checked_add(len).ok_or(malformed("length overflow"))?;
    let value = input
        .get(pos..end)
        .ok_or(malformed("value runs past the end"))?;
    let raw = &input[..end];
    Ok((Tlv { tag, raw, value }, &input[end..]))
}

/// Reads one TLV and checks its tag.
pub fn expect<'a>(
    input: &'a [u8],
    tag: u32,
    what: &'static str,
) -> Result<(Tlv<'a>, &'a [u8]), PkiError> {
    let (tlv, rest) = read_tlv(input)?;
    if tlv.tag != tag {
        return Err(PkiError::Malformed(what));
    }
    Ok((tlv, rest))
}

/// Splits a constructed value into its child TLVs.
pub fn children(value: &[u8]) -> Result<Vec<Tlv<'_>>, PkiError> {
    let mut out = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        let (tlv, r) = read_tlv(rest)?;
        out.push(tlv);
        rest = r;
    }
    Ok(out)
}

/// Decodes the contents of an OBJECT IDENTIFIER TLV into its dotted form.
pub fn oid_string(tlv: &Tlv<'_>) -> Result<String, PkiError> {
    if tlv.tag != OID || tlv.value.is_empty() {
        return Err(PkiError::Malformed("expected an OBJECT IDENTIFIER"));
    }
    let mut arcs: Vec<u64> = Vec::new();
    let mut acc: u64 = 0;
    for (i, &b) in tlv.value.iter().enumerate() {
        if acc > (u64::MAX >> 8) {
            return Err(PkiError::Malformed("OID arc too large"));
        }
        acc = (acc << 7) | u64::from(b & 0x7F);
        if b & 0x80 == 0 {
            if arcs.is_empty() {
                // X.690 §8.19.4: the first subidentifier packs the first two arcs.
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
        } else if i + 1 == tlv.value.len() {
            return Err(PkiError::Malformed("truncated OID"));
        }
    }
    Ok(arcs
        .iter()
        .map(|a| a.to_string())
        .collect::<Vec<_>>()
        .join("."))
}

/// The magnitude bytes of an INTEGER value (leading zero octets removed).
pub fn unsigned_integer<'a>(tlv: &Tlv<'a>) -> Result<&'a [u8], PkiError> {
    if tlv.tag != INTEGER || tlv.value.is_empty() {
        return Err(PkiError::Malformed("expected an INTEGER"));
    }
    let mut v = tlv.value;
    while v.len() > 1 && v[0] == 0 {
        v = &v[1..];
    }
    Ok(v)
}

/// Encodes a definite DER length.
pub fn encode_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

/// Encodes a single-byte-tag TLV.
pub fn encode_tlv(tag: u8, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.len() + 6);
    out.push(tag);
    encode_len(value.len(), &mut out);
    out.extend_from_slice(value);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn oid_decodes() {
        let raw = [0x06, 0x06, 0x67, 0x81, 0x08, 0x01, 0x01, 0x01];
        let (tlv, rest) = read_tlv(&raw).unwrap();
        assert!(rest.is_empty());
        assert_eq!(oid_string(&tlv).unwrap(), "2.23.136.1.1.1");
    }

    #[test]
    fn truncated_is_error() {
        assert!(read_tlv(&[0x30, 0x82, 0x01]).is_err());
        assert!(read_tlv(&[0x30, 0x80]).is_err());
        assert!(read_tlv(&[0x04, 0x80, 0x00, 0x00]).is_err());
        assert!(read_tlv(&[0x30, 0x05, 0x00]).is_err());
    }

    #[test]
    fn indefinite_length() {
        let (tlv, rest) = read_tlv(&[0x30, 0x80, 0x02, 0x01, 0x05, 0x00, 0x00, 0xFF]).unwrap();
        assert_eq!(tlv.value, &[0x02, 0x01, 0x05]);
        assert_eq!(rest, &[0xFF]);
    }

    #[test]
    fn high_tag_number() {
        let (tlv, _) = read_tlv(&[0x7F, 0x21, 0x01, 0xAA]).unwrap();
        assert_eq!(tlv.tag, 0x7F21);
        assert_eq!(tlv.value, &[0xAA]);
    }
}
