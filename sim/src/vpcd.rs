//! The vpcd front end: connects the virtual chip to vpcd (vsmartcard's pcscd driver), so
//! pcscd presents it as a reader ("Virtual PCD 00 00") and real PC/SC code reads it.
//!
//! Protocol (vsmartcard vpcd): TCP to vpcd's port (35963 for the first reader); every
//! message both ways is a big-endian u16 length and that many bytes. A one-byte message from
//! vpcd is a control code — 0 power off, 1 power on, 2 reset, 4 get ATR (the only one
//! answered); anything longer is a command APDU answered with the response APDU. Connecting
//! inserts the card, closing the connection removes it. TCP_NODELAY avoids ~45 ms of delayed
//! ACK per APDU.

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::chip::{LinkModel, VirtualChip};

/// ATR of the virtual card: T=1, no historical bytes of meaning (as vsmartcard's examples).
pub const ATR: [u8; 13] = [
    0x3B, 0x88, 0x80, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x09,
];

/// Default vpcd address of the first virtual reader.
pub const DEFAULT_ADDR: &str = "127.0.0.1:35963";

/// Options of the vpcd front end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct VpcdOptions {
    /// When set, each answer is delayed by the link model's time (and the chip's answer
    /// delay), so a reader sees realistic timing; otherwise answers are immediate.
    pub realtime: Option<LinkModel>,
}

/// A card slot on one vpcd reader: insert a chip (connect) and remove it (disconnect).
pub struct VpcdSlot {
    addr: SocketAddr,
    options: VpcdOptions,
    current: Option<Inserted>,
    apdus: Arc<AtomicU64>,
}

struct Inserted {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<VirtualChip>,
}

impl VpcdSlot {
    /// A slot for vpcd at `addr` (e.g. "127.0.0.1:35963"); nothing is connected yet.
    pub fn new(addr: impl ToSocketAddrs, options: VpcdOptions) -> io::Result<Self> {
        let addr = addr
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address"))?;
        Ok(Self {
            addr,
            options,
            current: None,
            apdus: Arc::new(AtomicU64::new(0)),
        })
    }

    /// Inserts `chip`: connects to vpcd and serves it on a thread. Fails when vpcd (pcscd with
    /// the vpcd driver) is not listening.
    pub fn insert(&mut self, chip: VirtualChip) -> io::Result<()> {
        self.remove();
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_millis(50)))?;
        let stop = Arc::new(AtomicBool::new(false));
        let options = self.options;
        let flag = stop.clone();
        let apdus = self.apdus.clone();
        let thread = std::thread::Builder::new()
            .name("vpcd-card".into())
            .spawn(move || {
                let mut chip = chip;
                let _ = serve(stream, &mut chip, options, &flag, &apdus);
                chip
            })?;
        self.current = Some(Inserted { stop, thread });
        Ok(())
    }

    /// Removes the card (closes the connection) and returns the chip, if one was inserted.
    pub fn remove(&mut self) -> Option<VirtualChip> {
        let inserted = self.current.take()?;
        inserted.stop.store(true, Ordering::SeqCst);
        inserted.thread.join().ok()
    }

    /// Whether a card is inserted and its connection still open.
    pub fn is_inserted(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| !c.thread.is_finished())
    }

    /// APDUs answered through this slot.
    pub fn apdu_count(&self) -> u64 {
        self.apdus.load(Ordering::Relaxed)
    }
}

impl Drop for VpcdSlot {
    fn drop(&mut self) {
        self.remove();
    }
}

/// Reads exactly `buf.len()` bytes, retrying read timeouts until `stop` is set. Returns
/// `Ok(false)` on a clean end of stream before the first byte.
fn read_full(s: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        if stop.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "card removed"));
        }
        match s.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock
                        | io::ErrorKind::TimedOut
                        | io::ErrorKind::Interrupted
                ) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(true)
}

fn send(s: &mut TcpStream, payload: &[u8]) -> io::Result<()> {
    let len = u16::try_from(payload.len())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "response too long"))?;
    let mut msg = len.to_be_bytes().to_vec();
    msg.extend_from_slice(payload);
    s.write_all(&msg)
}

/// Serves one connection until vpcd closes it or `stop` is set.
fn serve(
    mut s: TcpStream,
    chip: &mut VirtualChip,
    options: VpcdOptions,
    stop: &AtomicBool,
    apdus: &AtomicU64,
) -> io::Result<()> {
    loop {
        let mut hdr = [0u8; 2];
        if !read_full(&mut s, &mut hdr, stop)? {
            return Ok(());
        }
        let len = usize::from(u16::from_be_bytes(hdr));
        let mut msg = vec![0u8; len];
        read_full(&mut s, &mut msg, stop)?;
        match msg[..] {
            [0] | [1] | [2] => chip.reset(),
            [4] => send(&mut s, &ATR)?,
            [_] | [] => {}
            _ => {
                let r = chip.process(&msg);
                apdus.fetch_add(1, Ordering::Relaxed);
                if let Some(link) = options.realtime {
                    let t =
                        link.exchange_time(msg.len(), r.len()) + chip.spec().quirks.answer_delay;
                    std::thread::sleep(t);
                }
                send(&mut s, &r)?;
            }
        }
    }
}
