//! The adapter's three transactions as RTU bytes, without I/O: the request frame it writes
//! and the checks and decoding of the answer frame it reads. The production adapter lets
//! tokio-modbus frame its requests on the serial port; this module is for callers that own
//! the byte stream themselves, such as a virtual-time run that hands the frames to the
//! simulated controller directly. Answers go through the same [`Op::decode`] checks and the
//! same [`snapshot`](super::codec::snapshot) decoding as on the port.
//!
//! Modbus over Serial Line V1.02 §2.5.1: `address (1) | PDU | CRC (2)`; Modbus Application
//! Protocol V1.1b3 §6.2 (02), §6.4 (04), §6.5 (05) for the PDUs, §7 for exception answers.

use tokio_modbus::Response;

use super::codec::{Op, Reply};
use super::rtu::{append_crc, crc_ok};
use super::DoorError;

/// The request frame of `op` for the controller at `unit`.
pub fn request(unit: u8, op: Op) -> Vec<u8> {
    let (fc, a, b) = match op {
        Op::ReadInputs(span) => (0x02, span.start, span.count),
        Op::ReadRegisters(span) => (0x04, span.start, span.count),
        // §6.5: ON is 0xFF00, OFF is 0x0000.
        Op::WriteCoil(addr, on) => (0x05, addr, if on { 0xFF00 } else { 0 }),
    };
    let mut frame = vec![unit, fc];
    frame.extend_from_slice(&a.to_be_bytes());
    frame.extend_from_slice(&b.to_be_bytes());
    append_crc(&mut frame);
    frame
}

/// Checks and decodes the answer `frame` to `op` sent to `unit`: CRC (Serial Line
/// §2.5.1.2), unit, function, exception code (§7), byte count; then [`Op::decode`].
pub fn answer(unit: u8, op: Op, frame: &[u8]) -> Result<Reply, DoorError> {
    if !crc_ok(frame) {
        return Err(DoorError::Protocol("CRC error".into()));
    }
    let body = &frame[..frame.len() - 2];
    let (addr, fc, data) = match body {
        [addr, fc, data @ ..] => (*addr, *fc, data),
        _ => return Err(DoorError::Protocol("frame too short".into())),
    };
    if addr != unit {
        return Err(DoorError::Protocol(format!("answer from unit {addr}")));
    }
    let expected = match op {
        Op::ReadInputs(_) => 0x02,
        Op::ReadRegisters(_) => 0x04,
        Op::WriteCoil(..) => 0x05,
    };
    if fc == expected | 0x80 {
        return match data {
            [code] => Err(DoorError::Exception(*code)),
            _ => Err(DoorError::Protocol("malformed exception answer".into())),
        };
    }
    if fc != expected {
        return Err(DoorError::Protocol(format!(
            "function {fc:#04x} answers {expected:#04x}"
        )));
    }
    let response = match op {
        Op::ReadInputs(_) | Op::ReadRegisters(_) => {
            let Some((&n, bytes)) = data.split_first() else {
                return Err(DoorError::Protocol("no byte count".into()));
            };
            if bytes.len() != usize::from(n) {
                return Err(DoorError::Protocol("byte count does not match".into()));
            }
            if matches!(op, Op::ReadInputs(_)) {
                // §6.2: LSB of the first byte is the first input.
                let bits = bytes
                    .iter()
                    .flat_map(|b| (0..8).map(move |k| b & (1 << k) != 0))
                    .collect();
                Response::ReadDiscreteInputs(bits)
            } else {
                if n % 2 != 0 {
                    return Err(DoorError::Protocol("odd register byte count".into()));
                }
                let words = bytes
                    .chunks(2)
                    .map(|w| u16::from_be_bytes([w[0], w[1]]))
                    .collect();
                Response::ReadInputRegisters(words)
            }
        }
        Op::WriteCoil(..) => match data {
            [a0, a1, v0, v1] => Response::WriteSingleCoil(
                u16::from_be_bytes([*a0, *a1]),
                u16::from_be_bytes([*v0, *v1]) == 0xFF00,
            ),
            _ => return Err(DoorError::Protocol("malformed write answer".into())),
        },
    };
    op.decode(response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::door::map::Span;

    #[test]
    fn a_read_request_matches_the_specification_example() {
        // Application Protocol V1.1b3 §6.2: read discrete inputs 197–218 (0x00C4, 22 inputs).
        let f = request(
            0x11,
            Op::ReadInputs(Span {
                start: 0x00C4,
                count: 0x16,
            }),
        );
        assert_eq!(&f[..6], &[0x11, 0x02, 0x00, 0xC4, 0x00, 0x16]);
        assert!(crc_ok(&f));
    }

    #[test]
    fn answers_are_checked_before_they_are_decoded() {
        let op = Op::ReadInputs(Span {
            start: 0,
            count: 12,
        });
        let mut ok = vec![1, 0x02, 2, 0b0000_0101, 0b0000_1000];
        append_crc(&mut ok);
        let Ok(Reply::Bits(bits)) = answer(1, op, &ok) else {
            panic!("a valid answer");
        };
        assert_eq!(bits.len(), 12);
        assert!(bits[0] && !bits[1] && bits[2] && bits[11]);
        // A flipped bit fails the CRC, another unit's answer and a short one are refused.
        let mut bad = ok.clone();
        bad[3] ^= 1;
        assert!(matches!(answer(1, op, &bad), Err(DoorError::Protocol(_))));
        assert!(matches!(answer(2, op, &ok), Err(DoorError::Protocol(_))));
        let mut short = vec![1, 0x02, 1, 0xFF];
        append_crc(&mut short);
        assert!(matches!(answer(1, op, &short), Err(DoorError::Protocol(_))));
        // The byte count must match the bytes (an adversarial count would read past them).
        let mut lying = vec![1, 0x02, 9, 0xFF, 0xFF];
        append_crc(&mut lying);
        assert!(matches!(answer(1, op, &lying), Err(DoorError::Protocol(_))));
        let mut exception = vec![1, 0x82, 0x02];
        append_crc(&mut exception);
        assert_eq!(answer(1, op, &exception), Err(DoorError::Exception(2)));
        assert!(answer(1, op, &[]).is_err());
    }

    #[test]
    fn a_coil_write_answer_echoes_the_request() {
        let op = Op::WriteCoil(3, true);
        let req = request(1, op);
        assert_eq!(&req[..6], &[1, 0x05, 0, 3, 0xFF, 0x00]);
        assert_eq!(answer(1, op, &req), Ok(Reply::Written));
    }
}
