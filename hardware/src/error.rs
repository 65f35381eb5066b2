//! The error vocabulary shared by the adapters of this crate.
//!
//! Every adapter error maps to an [`ErrorKind`] so that the daemon's driver can choose between
//! retrying, referring the traveller or declaring a fault without knowing which adapter failed.

gate::named_enum! {
    /// What kind of failure an adapter error is, for the driver's retry / refer / fault decision.
    #[non_exhaustive]
    pub enum ErrorKind {
        /// The device or its link is gone (port closed, cable cut, adapter stopped): fault.
        Disconnected => "disconnected",
        /// The device did not answer in time: retry, then fault.
        Timeout => "timeout",
        /// The device answered something that breaks the protocol (bad frame, wrong function): retry.
        Protocol => "protocol",
        /// The device answered, but reports a failure of its own (exception, jammed door): fault.
        Device => "device",
        /// A safety interlock refused the command (e.g. closing a door on an occupied zone):
        /// nothing is wrong with the device; the driver may ask again later.
        Refused => "refused",
    }
}
