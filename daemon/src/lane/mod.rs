//! One gate lane at run time: the driver loop around the sans-IO gate, its jobs (chip read,
//! watchlist, capture and match), the doors, the devices, the lane's clock, its metrics and
//! the health/metrics HTTP endpoint.

pub mod clock;
pub mod devices;
pub mod doors;
pub mod driver;
pub mod jobs;
pub mod metrics;
pub mod server;
