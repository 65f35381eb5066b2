//! MRZ parsing (lines, one concatenated string, DG1 bytes) on arbitrary input.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use document::mrz::Mrz;
    let _ = Mrz::from_dg1_bytes(data);
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    if let Ok(m) = Mrz::parse(&lines) {
        let _ = m.validate();
        let _ = m.key().information();
    }
    // Map bytes onto the MRZ alphabet so the field parsers are reached, in every shape.
    const ALPHA: &[u8] = b"<0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let mrz: Vec<u8> = data.iter().map(|b| ALPHA[*b as usize % ALPHA.len()]).collect();
    for len in [90usize, 72, 88] {
        if mrz.len() >= len {
            if let Ok(m) = Mrz::from_dg1_bytes(&mrz[..len]) {
                let _ = m.validate();
                let _ = m.check_digits();
            }
        }
    }
});
