//! A transparent wrapper around the serial stream that keeps a copy of the bytes received
//! since the last request was written. tokio-modbus silently drops bytes that fail the CRC and
//! waits for more, so a corrupted answer looks like a timeout from above; the tap lets the
//! adapter tell "nothing came back" (timeout) from "garbage came back" (CRC error) for the
//! metrics.

use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::rtu::MAX_FRAME_LEN;

/// The shared capture buffer.
#[derive(Debug, Clone, Default)]
pub(crate) struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    /// The bytes received since the last write (at most two frames' worth).
    pub(crate) fn take(&self) -> Vec<u8> {
        match self.0.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(p) => std::mem::take(&mut *p.into_inner()),
        }
    }

    fn with(&self, f: impl FnOnce(&mut Vec<u8>)) {
        match self.0.lock() {
            Ok(mut v) => f(&mut v),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

/// The wrapped stream.
#[derive(Debug)]
pub(crate) struct Tap<T> {
    inner: T,
    capture: Capture,
}

impl<T> Tap<T> {
    pub(crate) fn new(inner: T, capture: Capture) -> Self {
        Tap { inner, capture }
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Tap<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = res {
            let new = &buf.filled()[before..];
            self.capture.with(|v| {
                let room = (2 * MAX_FRAME_LEN).saturating_sub(v.len());
                v.extend_from_slice(&new[..new.len().min(room)]);
            });
        }
        res
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tap<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        // A new request starts a new transaction: forget what came before.
        self.capture.with(Vec::clear);
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
