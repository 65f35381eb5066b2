//! The traveller's side of the gate: the screen in the lane.
//!
//! - [`catalogue`]: the texts, one TOML file per language, checked key by key;
//! - [`language`]: the screen's language for a document's issuing state;
//! - [`screen`]: what one lane's screen shows, as values (sans-IO);
//! - [`server`]: the loopback web server a kiosk browser shows the screen from.
//!
//! Nothing here names a reason for a referral or holds personal data: the screen gets
//! message codes, guidance codes and a language tag.

pub mod catalogue;
pub mod language;
pub mod screen;
pub mod server;

pub use catalogue::{CatalogueError, Catalogues};
pub use server::{router, Feed, Screens, Settings};
