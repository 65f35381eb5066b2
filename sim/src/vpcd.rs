//! The vpcd front end: connects the virtual chip to vpcd (vsmartcard's pcscd driver), so
//! pcscd presents it as a reader ("Virtual PCD 00 00") and real PC/SC code reads it.
//!
//! Protocol (vsmartcard vpcd): TCP to vpcd's port (35963 for the first reader); every
//! message both ways is a big-endian u16 length and that many bytes. A one-byte message from
//! vpcd is a control code — 0 power off, 1 power on, 2 reset, 4 get ATR (the only one
//! answered); anything longer is a command APDU answered with the response APDU. Connecting
//! inserts the card, closing the connection removes it.
//!
//! Link timing. vpcd writes each command as two `send` calls (the 2-byte length, then the
//! APDU) on a socket without TCP_NODELAY, so Nagle's algorithm holds the APDU back until the
//! length segment is acknowledged; a card side that delays that ACK (Linux: up to 40 ms, RFC
//! 1122 §4.2.3.2 allows 500 ms) adds that much to every APDU, ten times the modelled 5 ms. The
//! card side therefore (a) sets TCP_NODELAY, so its own one-write answers leave at once, and
//! (b) on Linux re-arms TCP_QUICKACK after every read and before every wait: the option is
//! not sticky (tcp(7): "subsequent operation of the TCP protocol will once again enter/leave
//! quickack mode"), and answering soon after a command puts the socket back into the
//! delayed-ACK ("pingpong") mode. [`VpcdSlot::socket_options`] reads both back.

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
    acks: Arc<AckCounters>,
}

/// How often the card side was in quick-ACK mode when vpcd's length prefix arrived.
#[derive(Default)]
struct AckCounters {
    messages: AtomicU64,
    quickack: AtomicU64,
}

/// Over a slot's life: the messages vpcd sent and at how many of them the card's socket
/// reported TCP_QUICKACK set (getsockopt, read as soon as the 2-byte length was in: vpcd's
/// Nagle holds the rest of the message back until that segment is acknowledged).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AckReport {
    /// Messages from vpcd (commands and control codes).
    pub messages: u64,
    /// Of those, how many found the socket in quick-ACK mode.
    pub quickack: u64,
}

struct Inserted {
    stop: Arc<AtomicBool>,
    thread: JoinHandle<VirtualChip>,
    /// The same socket as the serving thread's, for reading its options back.
    socket: TcpStream,
}

/// The TCP options of the card side of a vpcd connection, as the kernel reports them
/// (getsockopt).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkSocketOptions {
    /// TCP_NODELAY: the card's answers are sent at once, not held back by Nagle's algorithm.
    pub nodelay: bool,
    /// TCP_QUICKACK: the kernel acknowledges vpcd's segments at once. `None` where the option
    /// does not exist (not Linux); there the delayed-ACK cost remains.
    pub quickack: Option<bool>,
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
            acks: Arc::new(AckCounters::default()),
        })
    }

    /// Inserts `chip`: connects to vpcd and serves it on a thread. Fails when vpcd (pcscd with
    /// the vpcd driver) is not listening.
    pub fn insert(&mut self, chip: VirtualChip) -> io::Result<()> {
        self.remove();
        let stream = TcpStream::connect_timeout(&self.addr, Duration::from_secs(2))?;
        stream.set_nodelay(true)?;
        ack_at_once(&stream)?;
        stream.set_read_timeout(Some(Duration::from_millis(50)))?;
        let socket = stream.try_clone()?;
        let stop = Arc::new(AtomicBool::new(false));
        let options = self.options;
        let flag = stop.clone();
        let apdus = self.apdus.clone();
        let acks = self.acks.clone();
        let thread = std::thread::Builder::new()
            .name("vpcd-card".into())
            .spawn(move || {
                let mut chip = chip;
                let _ = serve(stream, &mut chip, options, &flag, &apdus, &acks);
                chip
            })?;
        self.current = Some(Inserted {
            stop,
            thread,
            socket,
        });
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

    /// The TCP options of the inserted card's connection, read back from the socket. Between
    /// two APDUs TCP_QUICKACK reads as set; while an answer is being sent the kernel may have
    /// just cleared it, until the serving thread re-arms it before its next wait.
    pub fn socket_options(&self) -> io::Result<LinkSocketOptions> {
        let inserted = self
            .current
            .as_ref()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotConnected, "no card inserted"))?;
        socket_options(&inserted.socket)
    }

    /// Whether the card side was in quick-ACK mode when vpcd's messages arrived, so far.
    pub fn ack_report(&self) -> AckReport {
        AckReport {
            messages: self.acks.messages.load(Ordering::Relaxed),
            quickack: self.acks.quickack.load(Ordering::Relaxed),
        }
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

/// Puts the socket into quick-ACK mode and sends an ACK that is pending, now (Linux; a no-op
/// elsewhere).
#[cfg(any(target_os = "linux", target_os = "android"))]
fn ack_at_once(s: &TcpStream) -> io::Result<()> {
    socket2::SockRef::from(s).set_tcp_quickack(true)
}

#[cfg(not(any(target_os = "linux", target_os = "android")))]
fn ack_at_once(_: &TcpStream) -> io::Result<()> {
    Ok(())
}

fn socket_options(s: &TcpStream) -> io::Result<LinkSocketOptions> {
    let sock = socket2::SockRef::from(s);
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let quickack = Some(sock.tcp_quickack()?);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let quickack = None;
    Ok(LinkSocketOptions {
        nodelay: sock.tcp_nodelay()?,
        quickack,
    })
}

/// Reads exactly `buf.len()` bytes, retrying read timeouts until `stop` is set, and
/// acknowledges each segment at once. Returns `Ok(false)` on a clean end of stream before the
/// first byte.
fn read_full(s: &mut TcpStream, buf: &mut [u8], stop: &AtomicBool) -> io::Result<bool> {
    let mut got = 0;
    while got < buf.len() {
        if stop.load(Ordering::SeqCst) {
            return Err(io::Error::new(io::ErrorKind::Interrupted, "card removed"));
        }
        match s.read(&mut buf[got..]) {
            Ok(0) if got == 0 => return Ok(false),
            Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
            Ok(n) => {
                got += n;
                // vpcd's next segment (the APDU after its length) waits for this ACK.
                ack_at_once(s)?;
            }
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
    acks: &AckCounters,
) -> io::Result<()> {
    loop {
        let mut hdr = [0u8; 2];
        if !read_full(&mut s, &mut hdr, stop)? {
            return Ok(());
        }
        acks.messages.fetch_add(1, Ordering::Relaxed);
        if socket_options(&s)?.quickack == Some(true) {
            acks.quickack.fetch_add(1, Ordering::Relaxed);
        }
        let len = usize::from(u16::from_be_bytes(hdr));
        let mut msg = vec![0u8; len];
        read_full(&mut s, &mut msg, stop)?;
        match msg[..] {
            [0] | [1] | [2] => chip.reset(),
            [4] => {
                send(&mut s, &ATR)?;
                ack_at_once(&s)?;
            }
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
                // Answering right after a command returned the socket to delayed-ACK mode.
                ack_at_once(&s)?;
            }
        }
    }
}
