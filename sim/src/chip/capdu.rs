//! Card-side parsing of command APDUs (ISO/IEC 7816-3 §12.1, ISO/IEC 7816-4 §5.1).
//!
//! The chip receives bytes from an untrusted reader: every length is checked, nothing panics.

/// A parsed command APDU, borrowed from the bytes it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command<'a> {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data field (empty when Lc is absent).
    pub data: &'a [u8],
    /// Expected response length: `None` when absent; 256 (short) or 65 536 (extended) when
    /// encoded as zero.
    pub le: Option<usize>,
    /// Whether the APDU used extended length fields (ISO/IEC 7816-4 §5.1).
    pub extended: bool,
}

/// Parses a command APDU, `None` when its length fields are inconsistent (SW 6700).
pub fn parse(b: &[u8]) -> Option<Command<'_>> {
    let (&cla, rest) = b.split_first()?;
    let (&ins, rest) = rest.split_first()?;
    let (&p1, rest) = rest.split_first()?;
    let (&p2, body) = rest.split_first()?;
    let mut cmd = Command {
        cla,
        ins,
        p1,
        p2,
        data: &[],
        le: None,
        extended: false,
    };
    match body.len() {
        // Case 1.
        0 => Some(cmd),
        // Case 2 short.
        1 => {
            cmd.le = Some(short_le(body[0]));
            Some(cmd)
        }
        _ if body[0] != 0 => {
            // Case 3 or 4 short.
            let lc = usize::from(body[0]);
            if body.len() == 1 + lc {
                cmd.data = &body[1..];
                Some(cmd)
            } else if body.len() == 2 + lc {
                cmd.data = &body[1..1 + lc];
                cmd.le = Some(short_le(body[1 + lc]));
                Some(cmd)
            } else {
                None
            }
        }
        // Case 2 extended: 00 Le1 Le2.
        3 => {
            cmd.extended = true;
            cmd.le = Some(ext_le(body[1], body[2]));
            Some(cmd)
        }
        n if n > 3 => {
            cmd.extended = true;
            let lc = usize::from(u16::from_be_bytes([body[1], body[2]]));
            if lc == 0 {
                return None;
            }
            if n == 3 + lc {
                cmd.data = &body[3..];
                Some(cmd)
            } else if n == 5 + lc {
                cmd.data = &body[3..3 + lc];
                cmd.le = Some(ext_le(body[3 + lc], body[4 + lc]));
                Some(cmd)
            } else {
                None
            }
        }
        _ => None,
    }
}

fn short_le(b: u8) -> usize {
    if b == 0 {
        256
    } else {
        usize::from(b)
    }
}

fn ext_le(hi: u8, lo: u8) -> usize {
    match u16::from_be_bytes([hi, lo]) {
        0 => 65_536,
        n => usize::from(n),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cases() {
        assert_eq!(parse(&[0, 0xA4, 2, 0x0C]).map(|c| c.le), Some(None));
        assert_eq!(parse(&[0, 0xB0, 0, 0, 0]).and_then(|c| c.le), Some(256));
        let c = parse(&[0, 0xA4, 2, 0x0C, 2, 0x01, 0x1E]).unwrap();
        assert_eq!(c.data, &[0x01, 0x1E]);
        assert_eq!(c.le, None);
        let c = parse(&[0, 0xB0, 0, 0, 0, 0, 0]).unwrap();
        assert!(c.extended);
        assert_eq!(c.le, Some(65_536));
        let c = parse(&[0, 0x2A, 0, 0, 0, 0, 2, 9, 9, 0x01, 0x00]).unwrap();
        assert_eq!(c.data, &[9, 9]);
        assert_eq!(c.le, Some(256));
        assert!(parse(&[0, 0xB0, 0, 0, 3, 1]).is_none());
        assert!(parse(&[0, 0xB0]).is_none());
        assert!(parse(&[0, 0xB0, 0, 0, 0, 0]).is_none());
    }
}
