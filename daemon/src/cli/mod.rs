//! One module per subcommand of `egate`, named like the subcommand.

pub mod bench;
pub mod console;
pub mod doc;
pub mod hw;
pub mod mrz;
pub mod run;
pub mod sim;
pub mod vision;
