//! `egate config`: print the annotated default configuration, or check a file.

use std::path::PathBuf;
use std::process::ExitCode;

/// `egate config`.
#[derive(clap::Subcommand)]
pub enum ConfigCommand {
    /// Print the annotated default configuration
    Default,
    /// Validate a TOML configuration file: every error with its key and line
    Check {
        /// The configuration file
        file: PathBuf,
    },
}

/// Entry point of `egate config`.
pub fn main(cmd: ConfigCommand) -> ExitCode {
    match cmd {
        ConfigCommand::Default => {
            print!("{}", crate::config::DEFAULT_CONFIG);
            ExitCode::SUCCESS
        }
        ConfigCommand::Check { file } => match super::load_config_file(&file) {
            Ok(_) => {
                println!("{}: valid", file.display());
                ExitCode::SUCCESS
            }
            Err(code) => code,
        },
    }
}
