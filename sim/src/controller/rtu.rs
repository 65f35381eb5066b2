//! The device side of Modbus RTU: cutting the byte stream into request frames, parsing the
//! requests, and framing the answers. Pure and panic-free on any input (fuzzed by
//! `fuzz/fuzz_targets/hw_rtu_request.rs`).
//!
//! Modbus over Serial Line V1.02 §2.5.1.1: a frame ends with 3.5 character times of silence,
//! and a receiver discards a frame whose CRC is wrong (§2.5.1.2). On a pty the byte timing is
//! not that of a wire, so the assembler also knows each request's length from its function
//! code (Modbus Application Protocol V1.1b3 §6), like most real devices do, and uses the
//! silence only to drop leftovers.

use hardware::door::rtu::{append_crc, crc_ok, MAX_FRAME_LEN};

/// Why bytes were dropped instead of being taken as a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// A frame of the right length with a wrong CRC (Serial Line §2.5.1.2).
    #[error("CRC error")]
    Crc,
    /// Bytes followed by silence that do not form a frame.
    #[error("incomplete frame")]
    Incomplete,
    /// More than 256 bytes without a frame (Serial Line §2.5.1).
    #[error("frame too long")]
    Overflow,
}

/// Collects bytes and yields complete, CRC-checked frames.
#[derive(Debug, Default, Clone)]
pub struct RequestAssembler {
    buf: Vec<u8>,
}

/// The length of a request frame (address + PDU + CRC) from its first bytes, if known yet.
/// `Err` for a function code whose length cannot be known (it ends at the silence).
fn request_len(buf: &[u8]) -> Option<Result<usize, ()>> {
    let fc = *buf.get(1)?;
    Some(match fc {
        // §6.1–§6.6: address (2) + quantity or value (2).
        0x01..=0x06 => Ok(1 + 1 + 4 + 2),
        // §6.11 / §6.12: address (2) + quantity (2) + byte count (1) + bytes.
        0x0F | 0x10 => match buf.get(6) {
            Some(&n) => Ok(1 + 1 + 5 + usize::from(n) + 2),
            None => return None,
        },
        _ => Err(()),
    })
}

impl RequestAssembler {
    /// A new, empty assembler.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether bytes are waiting for the rest of their frame.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// Adds received bytes; returns the frames (and the dropped garbage) they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Result<Vec<u8>, FrameError>> {
        let mut out = Vec::new();
        for chunk in bytes.chunks(MAX_FRAME_LEN) {
            self.buf.extend_from_slice(chunk);
            self.drain(&mut out);
        }
        out
    }

    fn drain(&mut self, out: &mut Vec<Result<Vec<u8>, FrameError>>) {
        loop {
            match request_len(&self.buf) {
                None => break,
                // Unknown function: wait for the silence.
                Some(Err(())) => {
                    if self.buf.len() > MAX_FRAME_LEN {
                        self.buf.clear();
                        out.push(Err(FrameError::Overflow));
                    }
                    break;
                }
                Some(Ok(len)) if len > MAX_FRAME_LEN => {
                    self.buf.clear();
                    out.push(Err(FrameError::Overflow));
                    break;
                }
                Some(Ok(len)) if self.buf.len() >= len => {
                    let frame: Vec<u8> = self.buf.drain(..len).collect();
                    if crc_ok(&frame) {
                        out.push(Ok(frame));
                    } else {
                        // §2.5.1.2: discard the frame; what follows in the same burst cannot
                        // be trusted to start at a frame boundary either.
                        self.buf.clear();
                        out.push(Err(FrameError::Crc));
                        break;
                    }
                }
                Some(Ok(_)) => break,
            }
        }
    }

    /// The line has been silent for 3.5 characters: whatever is buffered is a frame of an
    /// unknown function (if its CRC holds) or garbage.
    pub fn on_silence(&mut self) -> Option<Result<Vec<u8>, FrameError>> {
        if self.buf.is_empty() {
            return None;
        }
        let frame = std::mem::take(&mut self.buf);
        Some(if crc_ok(&frame) {
            Ok(frame)
        } else {
            Err(FrameError::Incomplete)
        })
    }
}

/// A parsed request PDU (Application Protocol §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pdu {
    /// 01 Read Coils (§6.1).
    ReadCoils {
        /// Starting address.
        addr: u16,
        /// Quantity.
        count: u16,
    },
    /// 02 Read Discrete Inputs (§6.2).
    ReadDiscreteInputs {
        /// Starting address.
        addr: u16,
        /// Quantity.
        count: u16,
    },
    /// 03 Read Holding Registers (§6.3).
    ReadHoldingRegisters {
        /// Starting address.
        addr: u16,
        /// Quantity.
        count: u16,
    },
    /// 04 Read Input Registers (§6.4).
    ReadInputRegisters {
        /// Starting address.
        addr: u16,
        /// Quantity.
        count: u16,
    },
    /// 05 Write Single Coil (§6.5); `value` is the raw 0xFF00 / 0x0000.
    WriteSingleCoil {
        /// Address.
        addr: u16,
        /// Raw value.
        value: u16,
    },
    /// 06 Write Single Register (§6.6).
    WriteSingleRegister {
        /// Address.
        addr: u16,
        /// Value.
        value: u16,
    },
    /// 15 Write Multiple Coils (§6.11).
    WriteMultipleCoils {
        /// Starting address.
        addr: u16,
        /// The coil values.
        values: Vec<bool>,
    },
    /// 16 Write Multiple Registers (§6.12).
    WriteMultipleRegisters {
        /// Starting address.
        addr: u16,
        /// The register values.
        values: Vec<u16>,
    },
    /// A function this device does not implement (answered with exception 01).
    Unsupported(u8),
    /// A known function with a malformed body (answered with exception 03, §7).
    Malformed(u8),
}

impl Pdu {
    /// The function code.
    pub fn function(&self) -> u8 {
        match self {
            Pdu::ReadCoils { .. } => 0x01,
            Pdu::ReadDiscreteInputs { .. } => 0x02,
            Pdu::ReadHoldingRegisters { .. } => 0x03,
            Pdu::ReadInputRegisters { .. } => 0x04,
            Pdu::WriteSingleCoil { .. } => 0x05,
            Pdu::WriteSingleRegister { .. } => 0x06,
            Pdu::WriteMultipleCoils { .. } => 0x0F,
            Pdu::WriteMultipleRegisters { .. } => 0x10,
            Pdu::Unsupported(f) | Pdu::Malformed(f) => *f,
        }
    }
}

/// A request: unit address and PDU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Unit address (0 = broadcast, Serial Line §2.2).
    pub unit: u8,
    /// The PDU.
    pub pdu: Pdu,
}

fn be(b: &[u8], i: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(i)?, *b.get(i + 1)?]))
}

/// Parses a CRC-checked frame (address + PDU + CRC). `None` if it is too short to hold a
/// function code.
pub fn parse_request(frame: &[u8]) -> Option<Request> {
    if frame.len() < 4 {
        return None;
    }
    let unit = frame[0];
    let fc = frame[1];
    let body = &frame[2..frame.len() - 2];
    let pair = || Some((be(body, 0)?, be(body, 2)?));
    let pdu = match fc {
        0x01..=0x06 => match (pair(), body.len() == 4) {
            (Some((a, b)), true) => match fc {
                0x01 => Pdu::ReadCoils { addr: a, count: b },
                0x02 => Pdu::ReadDiscreteInputs { addr: a, count: b },
                0x03 => Pdu::ReadHoldingRegisters { addr: a, count: b },
                0x04 => Pdu::ReadInputRegisters { addr: a, count: b },
                0x05 => Pdu::WriteSingleCoil { addr: a, value: b },
                _ => Pdu::WriteSingleRegister { addr: a, value: b },
            },
            _ => Pdu::Malformed(fc),
        },
        0x0F => parse_multiple_coils(body).unwrap_or(Pdu::Malformed(fc)),
        0x10 => parse_multiple_registers(body).unwrap_or(Pdu::Malformed(fc)),
        _ => Pdu::Unsupported(fc),
    };
    Some(Request { unit, pdu })
}

fn parse_multiple_coils(body: &[u8]) -> Option<Pdu> {
    let addr = be(body, 0)?;
    let count = be(body, 2)?;
    let n = usize::from(*body.get(4)?);
    let data = body.get(5..)?;
    // §6.11: 1..=0x07B0 coils, byte count = ceil(quantity / 8).
    if !(1..=0x07B0).contains(&count) || n != usize::from(count).div_ceil(8) || data.len() != n {
        return None;
    }
    let values = (0..usize::from(count))
        .map(|i| data[i / 8] & (1 << (i % 8)) != 0)
        .collect();
    Some(Pdu::WriteMultipleCoils { addr, values })
}

fn parse_multiple_registers(body: &[u8]) -> Option<Pdu> {
    let addr = be(body, 0)?;
    let count = be(body, 2)?;
    let n = usize::from(*body.get(4)?);
    let data = body.get(5..)?;
    // §6.12: 1..=0x7B registers, byte count = 2 × quantity.
    if !(1..=0x7B).contains(&count) || n != 2 * usize::from(count) || data.len() != n {
        return None;
    }
    let values = data
        .chunks_exact(2)
        .map(|c| u16::from_be_bytes([c[0], c[1]]))
        .collect();
    Some(Pdu::WriteMultipleRegisters { addr, values })
}

/// Modbus exception codes used by the device (Application Protocol §7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exception {
    /// 01: function not supported.
    IllegalFunction = 0x01,
    /// 02: address out of the device's range.
    IllegalDataAddress = 0x02,
    /// 03: quantity or value not allowed.
    IllegalDataValue = 0x03,
    /// 04: the device failed while executing.
    ServerDeviceFailure = 0x04,
}

/// Frames an answer PDU for `unit` (adds the address and the CRC).
pub fn frame_response(unit: u8, pdu: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(pdu.len() + 3);
    f.push(unit);
    f.extend_from_slice(pdu);
    append_crc(&mut f);
    f
}

/// The PDU of an exception answer: function code with the high bit set, then the code (§7).
pub fn exception_pdu(function: u8, exception: Exception) -> Vec<u8> {
    vec![function | 0x80, exception as u8]
}

/// Packs bits LSB-first into bytes, as reads of coils and inputs answer them (§6.1, §6.2).
pub fn pack_bits(bits: &[bool]) -> Vec<u8> {
    let mut out = vec![0u8; bits.len().div_ceil(8)];
    for (i, &b) in bits.iter().enumerate() {
        if b {
            out[i / 8] |= 1 << (i % 8);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn framed(bytes: &[u8]) -> Vec<u8> {
        let mut f = bytes.to_vec();
        append_crc(&mut f);
        f
    }

    #[test]
    fn splits_back_to_back_requests() {
        let a = framed(&[1, 0x02, 0, 0, 0, 12]);
        let b = framed(&[1, 0x0F, 0, 0, 0, 10, 2, 0xFF, 0x03]);
        let mut both = a.clone();
        both.extend_from_slice(&b);
        let mut asm = RequestAssembler::new();
        // One byte at a time, as a slow line delivers them.
        let mut got = Vec::new();
        for byte in &both {
            got.extend(asm.push(&[*byte]));
        }
        assert_eq!(got, vec![Ok(a.clone()), Ok(b.clone())]);
        assert_eq!(
            parse_request(&b).unwrap().pdu,
            Pdu::WriteMultipleCoils {
                addr: 0,
                values: vec![true; 10]
            }
        );
        assert_eq!(
            parse_request(&a).unwrap().pdu,
            Pdu::ReadDiscreteInputs { addr: 0, count: 12 }
        );
    }

    #[test]
    fn bad_crc_and_leftovers_are_dropped() {
        let mut bad = framed(&[1, 0x04, 0, 0, 0, 2]);
        bad[3] ^= 0x40;
        let mut asm = RequestAssembler::new();
        assert_eq!(asm.push(&bad), vec![Err(FrameError::Crc)]);
        assert!(asm.is_empty());
        assert!(asm.push(&[1, 0x04, 0]).is_empty());
        assert_eq!(asm.on_silence(), Some(Err(FrameError::Incomplete)));
        let unknown = framed(&[1, 0x2B, 0x0E, 1, 0]);
        assert!(asm.push(&unknown).is_empty());
        let got = asm.on_silence().unwrap().unwrap();
        assert_eq!(parse_request(&got).unwrap().pdu, Pdu::Unsupported(0x2B));
        assert_eq!(asm.on_silence(), None);
    }

    #[test]
    fn malformed_bodies_are_flagged() {
        let f = framed(&[1, 0x0F, 0, 0, 0, 10, 1, 0xFF]);
        assert_eq!(parse_request(&f).unwrap().pdu, Pdu::Malformed(0x0F));
        assert_eq!(
            pack_bits(&[true, false, true, true, false, false, false, false, true]),
            vec![0x0D, 0x01]
        );
    }
}

#[cfg(test)]
mod proptests {
    use super::super::device::{Device, SimControllerConfig};
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any byte stream, cut anywhere: no panic, only CRC-valid frames of legal length come
        /// out, and the device answers every one of them without panicking.
        #[test]
        fn any_bytes_any_chunking(bytes in proptest::collection::vec(any::<u8>(), 0..1200),
                                  cuts in proptest::collection::vec(1usize..64, 1..40)) {
            let now = std::time::Instant::now();
            let mut asm = RequestAssembler::new();
            let mut dev = Device::new(SimControllerConfig::default(), now);
            let mut rest = &bytes[..];
            let mut frames = Vec::new();
            for cut in cuts.iter().cycle() {
                if rest.is_empty() { break; }
                let (a, b) = rest.split_at((*cut).min(rest.len()));
                frames.extend(asm.push(a));
                rest = b;
            }
            frames.extend(asm.on_silence());
            for f in frames.into_iter().flatten() {
                prop_assert!(crc_ok(&f) && f.len() <= MAX_FRAME_LEN);
                if let Some(req) = parse_request(&f) {
                    if let Some(answer) = dev.handle(&req, now) {
                        prop_assert!(crc_ok(&answer));
                    }
                }
            }
        }

        /// Every well-formed request with any address and quantity is answered with a valid
        /// frame (data or exception), never a panic.
        #[test]
        fn any_request_is_answered(fc in prop_oneof![1u8..=6, Just(15u8), Just(16u8), any::<u8>()],
                                   addr in any::<u16>(), qty in any::<u16>(),
                                   tail in proptest::collection::vec(any::<u8>(), 0..8)) {
            let now = std::time::Instant::now();
            let mut dev = Device::new(SimControllerConfig::default(), now);
            let mut f = vec![1, fc];
            f.extend_from_slice(&addr.to_be_bytes());
            f.extend_from_slice(&qty.to_be_bytes());
            f.extend_from_slice(&tail);
            append_crc(&mut f);
            let req = parse_request(&f).unwrap();
            let answer = dev.handle(&req, now).unwrap();
            prop_assert!(crc_ok(&answer));
            prop_assert_eq!(answer[1] & 0x7F, fc & 0x7F);
        }
    }
}
