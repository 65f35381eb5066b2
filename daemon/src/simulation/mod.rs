//! The simulated bank of `egate run --sim`: lanes on simulated devices, and the HTTP routes
//! that inject faults into the simulated door controllers and cameras.

pub mod accept;
pub mod backends;
pub mod bank;
pub mod camera;
pub mod driven;
pub mod http;
