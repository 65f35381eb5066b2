//! Device traits and the real adapters behind them: PC/SC chip reader, Modbus RTU door
//! controller, serial MRZ scanner, traveller display (the camera is `vision`'s, which owns
//! OpenCV).
//!
//! Contract: each device is a small trait with typed errors exposing a `kind()`
//! (Disconnected, Timeout, Protocol, Device, Refused).

pub mod display;
pub mod door;
pub mod error;
pub mod pad_sensor;
pub mod pcsc_reader;
pub mod scanner;
