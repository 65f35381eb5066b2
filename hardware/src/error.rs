//! The error vocabulary shared by the adapters of this crate.
//!
//! Every adapter error maps to an [`ErrorKind`] so that the daemon's driver can choose between
//! retrying, referring the traveller or declaring a fault without knowing which adapter failed.

/// What kind of failure an adapter error is, for the driver's retry / refer / fault decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The device or its link is gone (port closed, cable cut, adapter stopped): fault.
    Disconnected,
    /// The device did not answer in time: retry, then fault.
    Timeout,
    /// The device answered something that breaks the protocol (bad frame, wrong function): retry.
    Protocol,
    /// The device answered, but reports a failure of its own (exception, jammed door): fault.
    Device,
    /// A safety interlock refused the command (e.g. closing a door on an occupied zone):
    /// nothing is wrong with the device; the driver may ask again later.
    Refused,
}

impl ErrorKind {
    /// A stable lower-case name, for logs, audit records and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Disconnected => "disconnected",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Protocol => "protocol",
            ErrorKind::Device => "device",
            ErrorKind::Refused => "refused",
        }
    }
}

impl std::fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
