//! The serial MRZ scanner adapter on a real pty: a "reader" writes lines with garbage in
//! between; the adapter reports exactly the complete reads.

use std::time::Duration;

use hardware::scanner::{MrzFormat, RejectReason, ScanEvent, SerialMrzScanner};
use tokio::io::AsyncWriteExt;
use tokio_serial::{SerialPort, SerialStream};

#[tokio::test]
async fn reads_mrz_lines_from_a_pty() {
    let (mut reader, slave) = SerialStream::pair().expect("pty pair");
    let path = slave.name().expect("pty path");
    let (_scanner, mut events) = SerialMrzScanner::open(&path, 9600).expect("open pty");
    // ICAO Doc 9303-4 specimen, preceded by line noise and followed by a torn read.
    let stream = b"\xff\x00noise\r\n\
        \x02P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\r\n\
        L898902C36UTO7408122F1204159ZE184226B<<<<<10\r\n\x03\
        I<UTOD231458907<<<<<<<<<<<<<<<\r\n";
    for chunk in stream.chunks(5) {
        reader.write_all(chunk).await.unwrap();
    }
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while got.len() < 3 {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(ev)) => got.push(ev),
            other => panic!("scanner events ended early: {other:?} after {got:?}"),
        }
    }
    assert_eq!(got[0], ScanEvent::Rejected(RejectReason::BadCharacters));
    let ScanEvent::Read(read) = &got[1] else {
        panic!("{got:?}")
    };
    assert_eq!(read.format(), MrzFormat::Td3);
    assert_eq!(
        read.lines()[1],
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    );
    // The lone TD1 line is abandoned once the reader stays silent.
    assert_eq!(got[2], ScanEvent::Rejected(RejectReason::Incomplete));
    drop(slave);
}
