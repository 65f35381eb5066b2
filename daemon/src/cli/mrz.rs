//! `egate mrz parse LINE...`: parses a machine-readable zone (TD1, TD2, TD3, MRV-A, MRV-B),
//! prints its fields and every check digit as JSON, and exits 1 when a check digit is wrong
//! (naming the field on stderr) or the lines are not an MRZ.
//!
//! This command prints the MRZ content on purpose: an officer or technician asked for it.
//! Nothing is logged.

use std::process::ExitCode;

use document::mrz::{Mrz, MrzError};
use serde_json::{json, Value};

/// Arguments of `egate mrz`.
#[derive(clap::Args)]
pub struct MrzArgs {
    #[command(subcommand)]
    command: MrzCommand,
}

#[derive(clap::Subcommand)]
enum MrzCommand {
    /// Parse MRZ lines and check their check digits; prints JSON; exit 1 on a wrong digit
    Parse {
        /// The MRZ lines (quote each: they contain '<'), or the whole MRZ as one string
        #[arg(required = true, num_args = 1..)]
        lines: Vec<String>,
    },
}

/// Runs `egate mrz`.
pub fn main(args: MrzArgs) -> ExitCode {
    match args.command {
        MrzCommand::Parse { lines } => parse(&lines),
    }
}

fn parse(lines: &[String]) -> ExitCode {
    let mrz = match Mrz::parse(lines) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("egate mrz parse: {e}");
            return ExitCode::from(1);
        }
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&to_json(&mrz)).unwrap_or_default()
    );
    match mrz.validate() {
        Ok(()) => ExitCode::SUCCESS,
        Err(MrzError::CheckDigit(field)) => {
            eprintln!("egate mrz parse: wrong check digit: {field}");
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("egate mrz parse: {e}");
            ExitCode::from(1)
        }
    }
}

/// The JSON view of an MRZ: every field and every check digit with its verdict.
pub fn to_json(m: &Mrz) -> Value {
    let checks: Vec<Value> = m
        .check_digits()
        .iter()
        .map(|c| {
            json!({
                "field": c.field.name(),
                "printed": c.printed.to_string(),
                "computed": c.computed,
                "ok": c.ok,
            })
        })
        .collect();
    json!({
        "format": m.format().name(),
        "document_code": m.document_code(),
        "issuing_state": m.issuing_state(),
        "document_number": m.document_number(),
        "nationality": m.nationality(),
        "birth_date": m.birth_date(),
        "sex": m.sex(),
        "expiry_date": m.expiry_date(),
        "primary_identifier": m.primary_identifier(),
        "secondary_identifier": m.secondary_identifier(),
        "optional_data": m.optional_data(),
        "optional_data_2": m.optional_data_2(),
        "check_digits": checks,
        "valid": m.validate().is_ok(),
    })
}
