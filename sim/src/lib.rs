//! Everything that replaces hardware: the virtual passport chip, the simulated door
//! controller, MRZ scanner and traveller display on ptys, replayed cameras, travellers and
//! scenarios.
//!
//! Contract: the simulator plugs in at the real protocol boundary (vpcd, a pty, a video file)
//! so the production code path runs in tests. None of it is linked into a border build
//! (`egate --no-default-features --features production`).

pub mod chip;
pub mod controller;
pub mod display;
pub mod factory;
pub mod holder;
pub mod inprocess;
pub mod pad_sensor;
pub mod pty;
pub mod scanner;
pub mod throughput;
pub mod traveller;
pub mod vpcd;
