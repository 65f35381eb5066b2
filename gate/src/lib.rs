//! The gate's brain: a pure, deterministic passage state machine and its policy.
//!
//! Contract: no I/O, no clock, no async. Time is an argument (`now`), outputs are polled
//! (`poll_command`, `poll_timeout`). The daemon translates device events into [`Input`]s
//! and carries out the [`Command`]s. (Not built yet: issue #7.)
