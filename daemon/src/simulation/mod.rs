//! The simulated bank of `egate run --sim`: lanes on simulated devices, and the HTTP routes
//! that inject faults into the simulated door controllers.

pub mod accept;
pub mod backends;
pub mod bank;
mod camera;
pub mod http;
