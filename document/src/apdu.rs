//! ISO/IEC 7816-4 command and response APDUs: encoding cases 1–4 in short and extended length,
//! parsing of received APDUs (the virtual chip parses commands, the reader parses responses),
//! and [`StatusWord`] with the names of the status words an eMRTD returns.

use std::fmt;

/// Largest Ne expressible in a short APDU.
pub const SHORT_MAX_NE: usize = 256;
/// Largest Ne expressible in an extended-length APDU.
pub const EXTENDED_MAX_NE: usize = 65536;

/// Errors parsing or building an APDU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApduError {
    /// Fewer than 4 header bytes (command) or 2 status bytes (response).
    #[error("APDU of {0} bytes is too short")]
    TooShort(usize),
    /// The body matches none of the ISO/IEC 7816-4 §5.1 cases.
    #[error("APDU body of {0} bytes matches no ISO/IEC 7816-4 case")]
    BadLength(usize),
    /// Command data longer than an extended APDU can carry.
    #[error("command data of {0} bytes exceeds 65535")]
    DataTooLong(usize),
    /// Ne outside 1..=65536.
    #[error("expected length {0} is outside 1..=65536")]
    BadNe(usize),
}

/// A command APDU (ISO/IEC 7816-4 §5.1).
#[derive(Clone, PartialEq, Eq)]
pub struct CommandApdu {
    /// Class byte.
    pub cla: u8,
    /// Instruction byte.
    pub ins: u8,
    /// Parameter 1.
    pub p1: u8,
    /// Parameter 2.
    pub p2: u8,
    /// Command data (Nc bytes, may be empty).
    pub data: Vec<u8>,
    /// Ne: the maximum number of response data bytes expected; `None` means no Le field.
    pub ne: Option<usize>,
    /// Encode in extended length even when short length would do.
    pub force_extended: bool,
}

impl fmt::Debug for CommandApdu {
    // Command data may hold key material or personal data: print only lengths.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "CommandApdu({:02X} {:02X} {:02X} {:02X}, Nc={}, Ne={:?})",
            self.cla,
            self.ins,
            self.p1,
            self.p2,
            self.data.len(),
            self.ne
        )
    }
}

/// The four ISO/IEC 7816-4 command cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApduCase {
    /// No data, no Le.
    Case1,
    /// No data, Le.
    Case2,
    /// Data, no Le.
    Case3,
    /// Data and Le.
    Case4,
}

impl CommandApdu {
    /// A case 1 command (header only).
    pub fn new(cla: u8, ins: u8, p1: u8, p2: u8) -> Self {
        CommandApdu {
            cla,
            ins,
            p1,
            p2,
            data: Vec::new(),
            ne: None,
            force_extended: false,
        }
    }

    /// Sets the command data.
    pub fn with_data(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.data = data.into();
        self
    }

    /// Sets Ne (1..=65536; 256 is encoded as Le = 00 in short length).
    pub fn with_ne(mut self, ne: usize) -> Self {
        self.ne = Some(ne);
        self
    }

    /// Forces extended-length encoding.
    pub fn extended(mut self) -> Self {
        self.force_extended = true;
        self
    }

    /// The command case.
    pub fn case(&self) -> ApduCase {
        match (self.data.is_empty(), self.ne.is_some()) {
            (true, false) => ApduCase::Case1,
            (true, true) => ApduCase::Case2,
            (false, false) => ApduCase::Case3,
            (false, true) => ApduCase::Case4,
        }
    }

    /// True when this command needs (or is forced to) extended length.
    pub fn is_extended(&self) -> bool {
        self.force_extended || self.data.len() > 255 || self.ne.is_some_and(|n| n > SHORT_MAX_NE)
    }

    /// Encodes the command (ISO/IEC 7816-4 §5.1).
    pub fn to_bytes(&self) -> Result<Vec<u8>, ApduError> {
        if self.data.len() > 65535 {
            return Err(ApduError::DataTooLong(self.data.len()));
        }
        if let Some(ne) = self.ne {
            if ne == 0 || ne > EXTENDED_MAX_NE {
                return Err(ApduError::BadNe(ne));
            }
        }
        let ext = self.is_extended();
        let mut v = Vec::with_capacity(9 + self.data.len());
        v.extend_from_slice(&[self.cla, self.ins, self.p1, self.p2]);
        if !self.data.is_empty() {
            if ext {
                v.push(0);
                v.extend_from_slice(&(self.data.len() as u16).to_be_bytes());
            } else {
                v.push(self.data.len() as u8);
            }
            v.extend_from_slice(&self.data);
        }
        if let Some(ne) = self.ne {
            if ext {
                if self.data.is_empty() {
                    v.push(0);
                }
                // 65536 is encoded as 0000.
                v.extend_from_slice(&((ne % 65536) as u16).to_be_bytes());
            } else {
                v.push((ne % 256) as u8);
            }
        }
        Ok(v)
    }

    /// Parses a received command APDU (what a card does).
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        if b.len() < 4 {
            return Err(ApduError::TooShort(b.len()));
        }
        let mut c = CommandApdu::new(b[0], b[1], b[2], b[3]);
        let body = &b[4..];
        match body.len() {
            0 => {}
            1 => c.ne = Some(if body[0] == 0 { 256 } else { body[0] as usize }),
            _ if body[0] != 0 => {
                // Short Lc.
                let lc = body[0] as usize;
                match body.len() - 1 {
                    n if n == lc => c.data = body[1..].to_vec(),
                    n if n == lc + 1 => {
                        c.data = body[1..1 + lc].to_vec();
                        let le = body[lc + 1];
                        c.ne = Some(if le == 0 { 256 } else { le as usize });
                    }
                    _ => return Err(ApduError::BadLength(body.len())),
                }
            }
            3 => {
                // Case 2 extended: 00 Le1 Le2.
                c.force_extended = true;
                let le = u16::from_be_bytes([body[1], body[2]]) as usize;
                c.ne = Some(if le == 0 { 65536 } else { le });
            }
            n if n >= 4 => {
                c.force_extended = true;
                let lc = u16::from_be_bytes([body[1], body[2]]) as usize;
                if lc == 0 {
                    return Err(ApduError::BadLength(n));
                }
                if n == 3 + lc {
                    c.data = body[3..].to_vec();
                } else if n == 5 + lc {
                    c.data = body[3..3 + lc].to_vec();
                    let le = u16::from_be_bytes([body[3 + lc], body[4 + lc]]) as usize;
                    c.ne = Some(if le == 0 { 65536 } else { le });
                } else {
                    return Err(ApduError::BadLength(n));
                }
            }
            n => return Err(ApduError::BadLength(n)),
        }
        Ok(c)
    }
}

/// A response APDU: data and status word.
#[derive(Clone, PartialEq, Eq)]
pub struct ResponseApdu {
    /// Response data.
    pub data: Vec<u8>,
    /// SW1-SW2.
    pub sw: StatusWord,
}

impl fmt::Debug for ResponseApdu {
    // Response data may be personal data: print only its length.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResponseApdu(Nr={}, {})", self.data.len(), self.sw)
    }
}

impl ResponseApdu {
    /// A response with data and status word.
    pub fn new(data: impl Into<Vec<u8>>, sw: StatusWord) -> Self {
        ResponseApdu {
            data: data.into(),
            sw,
        }
    }

    /// Splits a received R-APDU into data and SW1-SW2.
    pub fn parse(b: &[u8]) -> Result<Self, ApduError> {
        if b.len() < 2 {
            return Err(ApduError::TooShort(b.len()));
        }
        let (d, s) = b.split_at(b.len() - 2);
        Ok(ResponseApdu {
            data: d.to_vec(),
            sw: StatusWord(u16::from_be_bytes([s[0], s[1]])),
        })
    }

    /// Encodes data || SW1 || SW2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.data.len() + 2);
        v.extend_from_slice(&self.data);
        v.extend_from_slice(&self.sw.0.to_be_bytes());
        v
    }
}

/// An ISO/IEC 7816-4 status word SW1-SW2.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusWord(pub u16);

impl StatusWord {
    /// 9000: normal processing.
    pub const SUCCESS: StatusWord = StatusWord(0x9000);
    /// 6282: end of file reached before reading Ne bytes.
    pub const END_OF_FILE: StatusWord = StatusWord(0x6282);
    /// 6700: wrong length.
    pub const WRONG_LENGTH: StatusWord = StatusWord(0x6700);
    /// 6882: secure messaging not supported.
    pub const SM_NOT_SUPPORTED: StatusWord = StatusWord(0x6882);
    /// 6982: security status not satisfied.
    pub const SECURITY_STATUS_NOT_SATISFIED: StatusWord = StatusWord(0x6982);
    /// 6983: authentication method blocked.
    pub const AUTH_METHOD_BLOCKED: StatusWord = StatusWord(0x6983);
    /// 6985: conditions of use not satisfied.
    pub const CONDITIONS_NOT_SATISFIED: StatusWord = StatusWord(0x6985);
    /// 6987: expected secure-messaging data objects missing.
    pub const SM_OBJECTS_MISSING: StatusWord = StatusWord(0x6987);
    /// 6988: incorrect secure-messaging data objects (e.g. a wrong MAC).
    pub const SM_OBJECTS_INCORRECT: StatusWord = StatusWord(0x6988);
    /// 6A80: incorrect parameters in the command data field.
    pub const WRONG_DATA: StatusWord = StatusWord(0x6A80);
    /// 6A82: file or application not found.
    pub const FILE_NOT_FOUND: StatusWord = StatusWord(0x6A82);
    /// 6A86: incorrect parameters P1-P2.
    pub const WRONG_P1P2: StatusWord = StatusWord(0x6A86);
    /// 6A88: referenced data not found.
    pub const REFERENCED_DATA_NOT_FOUND: StatusWord = StatusWord(0x6A88);
    /// 6A87: Lc inconsistent with P1-P2.
    pub const LC_INCONSISTENT: StatusWord = StatusWord(0x6A87);
    /// 6B00: wrong parameters P1-P2 (offset outside the EF).
    pub const WRONG_PARAMETERS: StatusWord = StatusWord(0x6B00);
    /// 6D00: instruction not supported.
    pub const INS_NOT_SUPPORTED: StatusWord = StatusWord(0x6D00);
    /// 6E00: class not supported.
    pub const CLA_NOT_SUPPORTED: StatusWord = StatusWord(0x6E00);
    /// 6F00: no precise diagnosis.
    pub const NO_PRECISE_DIAGNOSIS: StatusWord = StatusWord(0x6F00);

    /// Builds a status word from SW1 and SW2.
    pub fn from_bytes(sw1: u8, sw2: u8) -> Self {
        StatusWord(u16::from_be_bytes([sw1, sw2]))
    }

    /// SW1.
    pub fn sw1(self) -> u8 {
        (self.0 >> 8) as u8
    }

    /// SW2.
    pub fn sw2(self) -> u8 {
        self.0 as u8
    }

    /// True for 9000.
    pub fn is_success(self) -> bool {
        self == Self::SUCCESS
    }

    /// For 6Cxx (wrong Le; the chip tells the exact length) the length it wants.
    pub fn exact_length(self) -> Option<usize> {
        self.length_in_sw2(0x6C)
    }

    /// For SW1 `sw1`, the length SW2 gives (00 meaning 256).
    fn length_in_sw2(self, sw1: u8) -> Option<usize> {
        (self.sw1() == sw1).then(|| match self.sw2() {
            0 => 256,
            n => usize::from(n),
        })
    }

    /// For 61xx (more data available) the number of bytes still available.
    pub fn bytes_remaining(self) -> Option<usize> {
        self.length_in_sw2(0x61)
    }

    /// A short English name of the status word.
    pub fn name(self) -> &'static str {
        match self.0 {
            0x9000 => "success",
            0x6282 => "end of file reached before Ne bytes",
            0x6281 => "part of returned data may be corrupted",
            0x6581 => "memory failure",
            0x6700 => "wrong length",
            0x6882 => "secure messaging not supported",
            0x6982 => "security status not satisfied",
            0x6983 => "authentication method blocked",
            0x6984 => "reference data not usable",
            0x6985 => "conditions of use not satisfied",
            0x6986 => "command not allowed (no current EF)",
            0x6987 => "expected secure messaging data objects missing",
            0x6988 => "incorrect secure messaging data objects",
            0x6A80 => "incorrect parameters in the data field",
            0x6A82 => "file or application not found",
            0x6A86 => "incorrect parameters P1-P2",
            0x6A87 => "Lc inconsistent with P1-P2",
            0x6A88 => "referenced data not found",
            0x6B00 => "wrong parameters P1-P2 (offset outside the EF)",
            0x6D00 => "instruction not supported",
            0x6E00 => "class not supported",
            0x6F00 => "no precise diagnosis",
            _ => match self.sw1() {
                0x61 => "more response data available",
                0x63 => "warning: non-volatile memory changed",
                0x6C => "wrong Le; exact length in SW2",
                _ => "unknown status",
            },
        }
    }
}

impl fmt::Display for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04X} ({})", self.0, self.name())
    }
}

impl fmt::Debug for StatusWord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StatusWord({:04X})", self.0)
    }
}

/// INS byte of SELECT.
pub const INS_SELECT: u8 = 0xA4;
/// INS byte of READ BINARY (even, offset in P1-P2 or short EF id).
pub const INS_READ_BINARY: u8 = 0xB0;
/// INS byte of READ BINARY with offset data object '54' (odd INS).
pub const INS_READ_BINARY_ODD: u8 = 0xB1;
/// INS byte of GET CHALLENGE.
pub const INS_GET_CHALLENGE: u8 = 0x84;
/// INS byte of EXTERNAL AUTHENTICATE / MUTUAL AUTHENTICATE.
pub const INS_EXTERNAL_AUTHENTICATE: u8 = 0x82;
/// INS byte of INTERNAL AUTHENTICATE (active authentication).
pub const INS_INTERNAL_AUTHENTICATE: u8 = 0x88;
/// INS byte of MANAGE SECURITY ENVIRONMENT.
pub const INS_MSE: u8 = 0x22;
/// INS byte of GENERAL AUTHENTICATE.
pub const INS_GENERAL_AUTHENTICATE: u8 = 0x86;

/// SELECT of the eMRTD application by AID A0000002471001 (ICAO 9303-10 §3.6.1), no Le
/// (some chips mishandle an Le on SELECT, so none is sent).
pub fn select_emrtd_application() -> CommandApdu {
    CommandApdu::new(0x00, INS_SELECT, 0x04, 0x0C).with_data(EMRTD_AID.to_vec())
}

/// The eMRTD application identifier (ICAO 9303-10 §3.6.1).
pub const EMRTD_AID: [u8; 7] = [0xA0, 0x00, 0x00, 0x02, 0x47, 0x10, 0x01];

/// SELECT of the master file (P1 = 00, no data), used before reading EF.CardAccess and EF.ATR/INFO.
pub fn select_master_file() -> CommandApdu {
    CommandApdu::new(0x00, INS_SELECT, 0x00, 0x0C).with_data(vec![0x3F, 0x00])
}

/// SELECT of an EF under the current DF by file identifier (P1 = 02, no response data, no Le).
pub fn select_ef(fid: u16) -> CommandApdu {
    CommandApdu::new(0x00, INS_SELECT, 0x02, 0x0C).with_data(fid.to_be_bytes().to_vec())
}

/// READ BINARY with an offset in P1-P2 (offset ≤ 32767).
pub fn read_binary(offset: u16, ne: usize) -> CommandApdu {
    CommandApdu::new(
        0x00,
        INS_READ_BINARY,
        (offset >> 8) as u8 & 0x7F,
        offset as u8,
    )
    .with_ne(ne)
}

/// READ BINARY selecting the EF by short file identifier (P1 = 80|SFI, P2 = offset ≤ 255).
pub fn read_binary_sfi(sfi: u8, offset: u8, ne: usize) -> CommandApdu {
    CommandApdu::new(0x00, INS_READ_BINARY, 0x80 | (sfi & 0x1F), offset).with_ne(ne)
}

/// READ BINARY with odd INS B1 and the offset in data object '54' (ISO/IEC 7816-4 §11.3.3),
/// for offsets beyond 32767.
pub fn read_binary_odd(offset: u32, ne: usize) -> CommandApdu {
    let be = offset.to_be_bytes();
    let skip = be.iter().take(3).take_while(|b| **b == 0).count();
    let off = &be[skip..];
    let mut data = vec![0x54, off.len() as u8];
    data.extend_from_slice(off);
    CommandApdu::new(0x00, INS_READ_BINARY_ODD, 0x00, 0x00)
        .with_data(data)
        .with_ne(ne)
}

/// GET CHALLENGE for an 8-byte nonce (ICAO 9303-11 §4.3.4.1).
pub fn get_challenge() -> CommandApdu {
    CommandApdu::new(0x00, INS_GET_CHALLENGE, 0x00, 0x00).with_ne(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encode_cases() {
        let c1 = CommandApdu::new(0, 0xA4, 0, 0);
        assert_eq!(c1.to_bytes().unwrap(), [0, 0xA4, 0, 0]);
        let c2 = read_binary(4, 256);
        assert_eq!(c2.to_bytes().unwrap(), [0, 0xB0, 0, 4, 0]);
        let c3 = select_ef(0x011E);
        assert_eq!(
            c3.to_bytes().unwrap(),
            hex::decode("00A4020C02011E").unwrap()
        );
        let c4 = CommandApdu::new(0, 0x82, 0, 0)
            .with_data(vec![1; 40])
            .with_ne(40);
        let b = c4.to_bytes().unwrap();
        assert_eq!(b[4], 40);
        assert_eq!(b[b.len() - 1], 40);
        let c2e = read_binary(0, 65536);
        assert_eq!(c2e.to_bytes().unwrap(), [0, 0xB0, 0, 0, 0, 0, 0]);
        let c4e = CommandApdu::new(0, 0xB1, 0, 0)
            .with_data(vec![0x54, 1, 0])
            .with_ne(1000);
        assert_eq!(
            c4e.to_bytes().unwrap(),
            [0, 0xB1, 0, 0, 0, 0, 3, 0x54, 1, 0, 0x03, 0xE8]
        );
        assert_eq!(
            CommandApdu::new(0, 0, 0, 0).with_ne(0).to_bytes(),
            Err(ApduError::BadNe(0))
        );
    }

    #[test]
    fn parse_roundtrip() {
        for c in [
            CommandApdu::new(0, 0xA4, 0, 0),
            read_binary(7, 256),
            read_binary(7, 12),
            select_ef(0x0101),
            CommandApdu::new(0, 0x82, 0, 0)
                .with_data(vec![1; 40])
                .with_ne(40),
            read_binary(0, 65536),
            read_binary(0, 300),
            CommandApdu::new(0, 0xD6, 0, 0).with_data(vec![9; 300]),
            read_binary_odd(40000, 1000),
        ] {
            let b = c.to_bytes().unwrap();
            let p = CommandApdu::parse(&b).unwrap();
            assert_eq!(p.to_bytes().unwrap(), b);
            assert_eq!(p.data, c.data);
            assert_eq!(p.ne, c.ne);
        }
        assert_eq!(CommandApdu::parse(&[0, 0, 0]), Err(ApduError::TooShort(3)));
        // ISO/IEC 7816-4 §5.1: Lc = 5 announces five data bytes; one is there.
        assert_eq!(
            CommandApdu::parse(&[0, 0, 0, 0, 5, 1]),
            Err(ApduError::BadLength(2))
        );
        // An extended Lc of 1 with no data and a stray byte.
        assert_eq!(
            CommandApdu::parse(&[0, 0, 0, 0, 0, 0, 0, 1]),
            Err(ApduError::BadLength(4))
        );
    }

    #[test]
    fn status_words() {
        let r = ResponseApdu::parse(&[1, 2, 0x90, 0]).unwrap();
        assert!(r.sw.is_success());
        assert_eq!(r.data, [1, 2]);
        assert_eq!(StatusWord(0x6C10).exact_length(), Some(16));
        assert_eq!(StatusWord(0x6100).bytes_remaining(), Some(256));
        assert_eq!(
            StatusWord::SM_OBJECTS_INCORRECT.to_string(),
            "6988 (incorrect secure messaging data objects)"
        );
        assert_eq!(ResponseApdu::parse(&[0x90]), Err(ApduError::TooShort(1)));
        assert_eq!(read_binary_odd(0x8000, 1).data, [0x54, 2, 0x80, 0]);
    }
}
