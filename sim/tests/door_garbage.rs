//! Garbage, partial frames, wrong CRCs and a silent line never panic or hang the adapter
//! (issue #6, must-show 4). A hostile "device" on a pty answers every request with one kind
//! of nonsense; the adapter must declare a link fault, keep its task alive, and answer every
//! command promptly with an error.

use std::time::Duration;

use hardware::door::rtu::append_crc;
use hardware::door::{
    DoorCommand, DoorController, DoorEvent, DoorMap, ModbusDoorController, Output,
};
use rand::{Rng, SeedableRng};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_serial::{SerialPort, SerialStream};

#[derive(Debug, Clone, Copy)]
enum Nonsense {
    Silence,
    RandomBytes,
    PartialFrame,
    WrongCrc,
    /// A well-framed answer with too few items (valid CRC, short byte count).
    ShortAnswer,
    /// An answer from another unit.
    WrongUnit,
    /// A stream of bytes that never stops.
    Flood,
}

async fn hostile_device(mut master: SerialStream, kind: Nonsense, seed: u64) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let mut buf = [0u8; 256];
    loop {
        if let Nonsense::Flood = kind {
            let junk: Vec<u8> = (0..64).map(|_| rng.gen()).collect();
            if master.write_all(&junk).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
            // Drain what the adapter sent so its writes never block.
            while let Ok(Ok(_)) =
                tokio::time::timeout(Duration::from_micros(10), master.read(&mut buf)).await
            {
            }
            continue;
        }
        let n = match master.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        let req = &buf[..n];
        let unit = req.first().copied().unwrap_or(1);
        let fc = req.get(1).copied().unwrap_or(2);
        let answer: Vec<u8> = match kind {
            Nonsense::Silence => continue,
            Nonsense::RandomBytes => (0..rng.gen_range(1..300)).map(|_| rng.gen()).collect(),
            Nonsense::PartialFrame => vec![unit, fc, 2],
            Nonsense::WrongCrc => {
                let mut f = vec![unit, fc, 2, 0xFF, 0x0F];
                append_crc(&mut f);
                let last = f.len() - 1;
                f[last] ^= 0x55;
                f
            }
            Nonsense::ShortAnswer => {
                let mut f = if fc == 4 {
                    vec![unit, fc, 2, 0, 1]
                } else {
                    vec![unit, fc, 1, 0xFF]
                };
                append_crc(&mut f);
                f
            }
            Nonsense::WrongUnit => {
                let mut f = vec![unit.wrapping_add(1), fc, 2, 0, 0];
                append_crc(&mut f);
                f
            }
            Nonsense::Flood => unreachable!(),
        };
        if master.write_all(&answer).await.is_err() {
            return;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_devices_never_panic_or_hang_the_adapter() {
    let kinds = [
        Nonsense::Silence,
        Nonsense::RandomBytes,
        Nonsense::PartialFrame,
        Nonsense::WrongCrc,
        Nonsense::ShortAnswer,
        Nonsense::WrongUnit,
        Nonsense::Flood,
    ];
    for (seed, kind) in kinds.into_iter().enumerate() {
        let (master, slave) = SerialStream::pair().unwrap();
        let path = slave.name().unwrap();
        let device = tokio::spawn(hostile_device(master, kind, seed as u64));
        let (doors, mut events) = ModbusDoorController::open(&path, DoorMap::default()).unwrap();

        let fault = tokio::time::timeout(Duration::from_secs(5), async {
            while let Some(ev) = events.recv().await {
                match ev {
                    DoorEvent::LinkFault { .. } => return true,
                    DoorEvent::Connected(_) => return false,
                    _ => {}
                }
            }
            false
        })
        .await;
        assert_eq!(fault, Ok(true), "{kind:?}: expected a link fault");

        // Commands answer promptly with an error (link down), not hang.
        let res = tokio::time::timeout(
            Duration::from_secs(2),
            doors.execute(DoorCommand::Set(Output::RedLamp, true)),
        )
        .await
        .unwrap_or_else(|_| panic!("{kind:?}: command hung"));
        assert!(res.is_err(), "{kind:?}");

        // The task is alive and still polling.
        let before = doors.stats().requests;
        tokio::time::timeout(Duration::from_secs(5), async {
            while doors.stats().requests <= before {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{kind:?}: adapter stopped polling"));
        eprintln!("{kind:?}: {:?}", doors.stats());
        drop(doors);
        device.abort();
        drop(slave);
    }
}
