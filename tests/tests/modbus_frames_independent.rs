//! The RTU frames of `hardware::door::frames` (the bytes a virtual-time acceptance run hands
//! the simulated controller) checked by pymodbus, a Modbus stack egate did not write: every
//! request the adapter makes under the default register map is decoded by pymodbus's RTU
//! framer to the same unit, function and fields; answers pymodbus builds as a controller
//! would decode to the same bits, registers and echo, and its exception answer to the
//! exception (Modbus over Serial Line V1.02 §2.5.1; Application Protocol V1.1b3 §6.2, §6.4,
//! §6.5, §7). A request with a changed CRC byte is refused by pymodbus too.

use hardware::door::codec::{Op, Reply};
use hardware::door::{frames, DoorError, DoorMap, Output};
use serde_json::{json, Value};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn pymodbus(job: Value) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("job.json");
    std::fs::write(&file, job.to_string()).unwrap();
    egate_tests::independent_json("modbus_frames.py", &[&file])
}

#[test]
fn pymodbus_reads_our_requests_and_we_read_its_answers() {
    let map = DoorMap::default();
    let unit = map.unit_id;
    let inputs = map.input_span();
    let registers = map.register_span();
    let coil = map.coils.address(Output::OpenExit);
    let ops = [
        Op::ReadInputs(inputs),
        Op::ReadRegisters(registers),
        Op::WriteCoil(coil, true),
        Op::WriteCoil(coil, false),
    ];
    let requests: Vec<Vec<u8>> = ops.iter().map(|&op| frames::request(unit, op)).collect();
    let mut corrupt = requests[0].clone();
    *corrupt.last_mut().unwrap() ^= 0x01;

    // Answers as a controller sends them: some inputs on, two registers, the write echoed,
    // and an exception (02, illegal data address) to a read of input registers.
    let bits: Vec<bool> = (0..inputs.count).map(|i| i % 3 == 0).collect();
    let words: Vec<u16> = (0..registers.count).map(|i| 0x8001 + i).collect();
    let out = pymodbus(json!({
        "requests": requests.iter().chain([&corrupt]).map(|r| hex(r)).collect::<Vec<_>>(),
        "answers": [
            { "unit": unit, "fc": 2, "bits": bits },
            { "unit": unit, "fc": 4, "registers": words },
            { "unit": unit, "fc": 5, "address": coil, "value": true },
            { "unit": unit, "fc": 4, "exception": 2 },
        ],
    }));

    let seen = out["requests"].as_array().unwrap();
    assert_eq!(
        seen[0],
        json!({ "unit": unit, "fc": 2, "address": inputs.start, "count": inputs.count })
    );
    assert_eq!(
        seen[1],
        json!({ "unit": unit, "fc": 4, "address": registers.start, "count": registers.count })
    );
    assert_eq!(
        seen[2],
        json!({ "unit": unit, "fc": 5, "address": coil, "value": true })
    );
    assert_eq!(
        seen[3],
        json!({ "unit": unit, "fc": 5, "address": coil, "value": false })
    );
    assert!(
        seen[4]["error"].is_string(),
        "a bad CRC is refused: {}",
        seen[4]
    );

    let answers: Vec<Vec<u8>> = out["answers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| unhex(h.as_str().unwrap()))
        .collect();
    assert_eq!(
        frames::answer(unit, ops[0], &answers[0]).unwrap(),
        Reply::Bits(bits)
    );
    assert_eq!(
        frames::answer(unit, ops[1], &answers[1]).unwrap(),
        Reply::Words(words)
    );
    assert_eq!(
        frames::answer(unit, ops[2], &answers[2]).unwrap(),
        Reply::Written
    );
    assert!(matches!(
        frames::answer(unit, ops[1], &answers[3]),
        Err(DoorError::Exception(2))
    ));
    // pymodbus's answer from another unit, or to another function, is not taken.
    assert!(matches!(
        frames::answer(unit.wrapping_add(1), ops[0], &answers[0]),
        Err(DoorError::Protocol(m)) if m.contains("unit")
    ));
    assert!(matches!(
        frames::answer(unit, ops[1], &answers[0]),
        Err(DoorError::Protocol(m)) if m.contains("function")
    ));
}
