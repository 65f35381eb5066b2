//! Modbus RTU framing helpers shared by the adapter (to classify what it received) and the
//! simulated controller (to frame its answers).
//!
//! Modbus over Serial Line V1.02 §2.5.1: an RTU frame is `address (1) | PDU | CRC (2)`, at most
//! 256 bytes, and frames are delimited by at least 3.5 character times of silence.
//! The CRC is CRC-16/MODBUS (polynomial 0xA001 reflected, initial value 0xFFFF), sent low byte
//! first (§6.2.2) — the one field in Modbus that is little-endian.

/// The longest RTU frame: Modbus over Serial Line V1.02 §2.5.1 (256 bytes).
pub const MAX_FRAME_LEN: usize = 256;

/// CRC-16/MODBUS of `data` (Modbus over Serial Line V1.02 §6.2.2).
pub fn crc16(data: &[u8]) -> u16 {
    let mut crc: u16 = 0xFFFF;
    for &byte in data {
        crc ^= u16::from(byte);
        for _ in 0..8 {
            let lsb = crc & 1;
            crc >>= 1;
            if lsb != 0 {
                crc ^= 0xA001;
            }
        }
    }
    crc
}

/// Appends the CRC to `frame` (low byte first, §6.2.2).
pub fn append_crc(frame: &mut Vec<u8>) {
    let crc = crc16(frame);
    frame.extend_from_slice(&crc.to_le_bytes());
}

/// Whether `frame` (address + PDU + CRC) ends with a correct CRC. Short frames are not valid.
pub fn crc_ok(frame: &[u8]) -> bool {
    // §2.5.1: the smallest frame is address + function code + CRC = 4 bytes.
    if frame.len() < 4 || frame.len() > MAX_FRAME_LEN {
        return false;
    }
    let (body, tail) = frame.split_at(frame.len() - 2);
    crc16(body).to_le_bytes() == [tail[0], tail[1]]
}

/// The time of `chars` characters at `baud` with 11 bits per character (§2.5.1: 1 start,
/// 8 data, 1 parity or a second stop bit, 1 stop).
pub fn char_time(baud: u32, chars: f64) -> std::time::Duration {
    let baud = f64::from(baud.max(1));
    std::time::Duration::from_secs_f64(chars * 11.0 / baud)
}

/// The 3.5-character silence that ends a frame (§2.5.1.1). Above 19200 baud the spec fixes it
/// at 1.75 ms.
pub fn frame_gap(baud: u32) -> std::time::Duration {
    if baud > 19_200 {
        std::time::Duration::from_micros(1750)
    } else {
        char_time(baud, 3.5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc_matches_spec_example() {
        // Modbus over Serial Line V1.02 §6.2.2 / Application Protocol examples: read 2 holding
        // registers from address 0x006B of unit 0x11 → `11 03 00 6B 00 03 76 87`.
        let mut f = vec![0x11, 0x03, 0x00, 0x6B, 0x00, 0x03];
        append_crc(&mut f);
        assert_eq!(f, [0x11, 0x03, 0x00, 0x6B, 0x00, 0x03, 0x76, 0x87]);
        assert!(crc_ok(&f));
        f[2] ^= 1;
        assert!(!crc_ok(&f));
        assert!(!crc_ok(&[1, 2, 3]));
    }

    #[test]
    fn gap_is_fixed_above_19200() {
        assert_eq!(frame_gap(115_200), std::time::Duration::from_micros(1750));
        let g = frame_gap(9600);
        assert!(g > std::time::Duration::from_millis(3) && g < std::time::Duration::from_millis(5));
    }
}
