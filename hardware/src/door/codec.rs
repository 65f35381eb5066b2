//! The adapter's Modbus requests and what their answers mean, without I/O: the three
//! transactions it makes (Modbus Application Protocol V1.1b3 §6.2, §6.4, §6.5) as
//! tokio-modbus requests, the checks on their answers, and the decoding of one poll's bits and
//! words into a [`Snapshot`] through the register map.

use tokio_modbus::{Request, Response};

use super::map::{DoorMap, Span};
use super::{DoorError, Input, InputSet, Snapshot};

/// One Modbus transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// §6.2 (02 Read Discrete Inputs).
    ReadInputs(Span),
    /// §6.4 (04 Read Input Registers).
    ReadRegisters(Span),
    /// §6.5 (05 Write Single Coil; the answer echoes the request).
    WriteCoil(u16, bool),
}

/// A checked answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Exactly the inputs asked for.
    Bits(Vec<bool>),
    /// Exactly the registers asked for.
    Words(Vec<u16>),
    /// The write was echoed.
    Written,
}

impl Op {
    /// The request on the wire.
    pub fn request(self) -> Request<'static> {
        match self {
            Op::ReadInputs(span) => Request::ReadDiscreteInputs(span.start, span.count),
            Op::ReadRegisters(span) => Request::ReadInputRegisters(span.start, span.count),
            Op::WriteCoil(addr, on) => Request::WriteSingleCoil(addr, on),
        }
    }

    /// Checks a well-framed answer against the request: a device that sends fewer items
    /// than asked for breaks the protocol (the answer is not a valid one).
    pub fn decode(self, response: Response) -> Result<Reply, DoorError> {
        match (self, response) {
            (Op::ReadInputs(span), Response::ReadDiscreteInputs(mut bits)) => {
                // Bits come packed in whole bytes (§6.2): drop the padding.
                if bits.len() < usize::from(span.count) {
                    return Err(DoorError::Protocol("short discrete-input answer".into()));
                }
                bits.truncate(usize::from(span.count));
                Ok(Reply::Bits(bits))
            }
            (Op::ReadRegisters(span), Response::ReadInputRegisters(mut words)) => {
                if words.len() < usize::from(span.count) {
                    return Err(DoorError::Protocol("short input-register answer".into()));
                }
                words.truncate(usize::from(span.count));
                Ok(Reply::Words(words))
            }
            (Op::WriteCoil(..), Response::WriteSingleCoil(..)) => Ok(Reply::Written),
            (_, other) => Err(DoorError::Protocol(format!(
                "answer does not match the request: {other:?}"
            ))),
        }
    }
}

/// One poll's reading: `bits` from [`DoorMap::input_span`] and `words` from
/// [`DoorMap::register_span`], as [`Op::decode`] checked them. Polarity is applied here.
pub fn snapshot(map: &DoorMap, bits: &[bool], words: &[u16]) -> Snapshot {
    let (ispan, rspan) = (map.input_span(), map.register_span());
    let mut inputs = InputSet::EMPTY;
    for input in Input::ALL {
        let idx = usize::from(map.inputs.address(input) - ispan.start);
        let raw = bits.get(idx).copied().unwrap_or(false);
        inputs.set(input, raw != map.is_active_low(input));
    }
    let word = |addr: u16| {
        words
            .get(usize::from(addr - rspan.start))
            .copied()
            .unwrap_or(0)
    };
    Snapshot {
        inputs,
        person_count: word(map.registers.person_count),
        // Bits the map declares not to be faults (a battery flag) never reach the gate as a
        // device fault: mains loss is the mains-lost input's to report.
        fault_code: word(map.registers.fault_code) & !map.registers.fault_code_ignore,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_answers_are_protocol_errors_and_polarity_is_applied() {
        let map = DoorMap {
            active_low: vec![Input::FireAlarm],
            ..DoorMap::default()
        };
        let ispan = map.input_span();
        let short = Op::ReadInputs(ispan).decode(Response::ReadDiscreteInputs(vec![true; 8]));
        assert!(matches!(short, Err(DoorError::Protocol(_))));
        let Ok(Reply::Bits(bits)) =
            Op::ReadInputs(ispan).decode(Response::ReadDiscreteInputs(vec![false; 16]))
        else {
            panic!("a padded answer is valid");
        };
        assert_eq!(bits.len(), 12);
        let wrong = Op::WriteCoil(0, true).decode(Response::ReadInputRegisters(vec![0]));
        assert!(matches!(wrong, Err(DoorError::Protocol(_))));

        let mut bits = vec![false; 12];
        bits[usize::from(map.inputs.entry_closed)] = true;
        let snap = snapshot(&map, &bits, &[2, 0x10]);
        assert!(snap.inputs.contains(Input::EntryClosed));
        // The normally-closed fire loop reads 0 on the wire: alarm.
        assert!(snap.inputs.contains(Input::FireAlarm));
        assert_eq!((snap.person_count, snap.fault_code), (2, 0x10));
    }

    #[test]
    fn fault_bits_the_map_ignores_are_masked_and_the_others_kept() {
        // A maker's controller that raises 0x0020 on battery: with that bit ignored, mains
        // loss alone reads as no fault, and a jam beside it still reads as the jam.
        let map = DoorMap {
            registers: crate::door::map::Registers {
                fault_code_ignore: 0x0020,
                ..Default::default()
            },
            ..DoorMap::default()
        };
        let bits = vec![false; 12];
        assert_eq!(snapshot(&map, &bits, &[0, 0x0020]).fault_code, 0);
        assert_eq!(snapshot(&map, &bits, &[0, 0x0021]).fault_code, 0x0001);
        // The adversarial reading: the default map ignores nothing.
        assert_eq!(
            snapshot(&DoorMap::default(), &bits, &[0, 0x0020]).fault_code,
            0x0020
        );
    }
}
