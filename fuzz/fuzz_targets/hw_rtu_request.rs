//! The simulated controller's RTU request path (frame assembly, request parsing, the device
//! answering) on arbitrary bytes cut at arbitrary points: never a panic, only CRC-valid
//! frames, and every answer a CRC-valid frame.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    use hardware::door::rtu::crc_ok;
    use sim::controller::rtu::{parse_request, RequestAssembler};
    use sim::controller::{Device, SimControllerConfig};

    let Some((&chunk, bytes)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk % 64) + 1;
    let now = std::time::Instant::now();
    let mut device = Device::new(SimControllerConfig::default(), now);
    let mut asm = RequestAssembler::new();
    let mut frames = Vec::new();
    for (i, piece) in bytes.chunks(chunk).enumerate() {
        frames.extend(asm.push(piece));
        // Now and then the line falls silent mid-stream.
        if i % 7 == 6 {
            frames.extend(asm.on_silence());
        }
    }
    frames.extend(asm.on_silence());
    for frame in frames.into_iter().flatten() {
        assert!(crc_ok(&frame));
        if let Some(request) = parse_request(&frame) {
            if let Some(answer) = device.handle(&request, now) {
                assert!(crc_ok(&answer));
            }
        }
    }
});
