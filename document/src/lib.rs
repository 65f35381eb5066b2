//! ICAO Doc 9303 eMRTD reading and verification.
//!
//! Contract: everything between a reader's APDU transport and a verified document record —
//! MRZ, APDUs, BAC/PACE, secure messaging, LDS parsing, passive/active/chip authentication.
//! No I/O of its own: the chip is reached through [`transport::Transport`]. Every parser takes
//! untrusted bytes and returns a typed error, never panics. Verdicts (a failed passive
//! authentication, an expired document) are values, not errors.

pub mod aa;
pub mod apdu;
pub mod authenticity;
pub mod bac;
pub mod ca;
pub mod crypto;
pub mod deviation;
pub mod ecc;
pub mod lds;
pub mod mrz;
pub mod pa;
pub mod pace;
pub mod pki;
pub mod reader;
pub mod secinfo;
pub mod sm;
pub mod tlv;
pub mod transport;
