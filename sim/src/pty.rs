//! A pty pair for a simulated serial device: the device works the master side, the program
//! under test opens the slave's path as if it were `/dev/ttyUSB0`.

use tokio_serial::{SerialPort, SerialStream};

/// A pty pair whose slave side stays open as long as this value lives.
#[derive(Debug)]
pub struct Pty {
    /// The device's side.
    pub master: SerialStream,
    /// One descriptor of the slave side, held for the device's lifetime so the master never
    /// sees a hang-up while the program under test closes and reopens the port. `pair()`
    /// takes neither TIOCEXCL nor a flock on it, so the program's exclusive open still
    /// succeeds.
    _slave: SerialStream,
    path: String,
}

impl Pty {
    /// Opens a pty pair (raw mode). Must be called inside a tokio runtime.
    pub fn open() -> Result<Pty, crate::controller::SimError> {
        use crate::controller::SimError;
        let (master, slave) = SerialStream::pair().map_err(|e| SimError::Pty(e.to_string()))?;
        let path = slave
            .name()
            .ok_or_else(|| SimError::Pty("the pty has no path".into()))?;
        Ok(Pty {
            master,
            _slave: slave,
            path,
        })
    }

    /// The slave's path, for the program under test.
    pub fn path(&self) -> &str {
        &self.path
    }
}
