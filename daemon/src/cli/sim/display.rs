//! `egate sim display`: a traveller display on a pty that prints every line the gate sends
//! it (`MSG <code> <lamp> <lang>=<text>|...`, the protocol of `hardware::display`), for demos
//! and tests. The protocol carries message codes and fixed texts, never personal data.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;
use sim::display::SimDisplay;

use super::session::{self, Session};

/// The protocol, for `--help`.
pub const HELP: &str = "\
Standard output: `display: <pty path>` once, when the pty is ready, then every line received
on it, as received (CR LF stripped; control characters shown as `?`), e.g.
`MSG present-passport off en=Place your passport on the reader`.
Standard input: `quit` (or end of input, SIGINT, SIGTERM) stops; exit status 0.";

/// Arguments of `egate sim display`.
#[derive(Args)]
#[command(after_help = HELP)]
pub struct DisplayArgs {
    /// Also name the pty by this symlink (created at start, removed at exit)
    #[arg(long, value_name = "PATH")]
    link: Option<PathBuf>,
}

/// Runs `egate sim display`.
pub fn main(args: DisplayArgs) -> ExitCode {
    session::run("display", serve(args.link))
}

async fn serve(link: Option<PathBuf>) -> ExitCode {
    let started = Session::start(
        "display",
        SimDisplay::open(),
        |(d, _)| d.path(),
        link.as_deref(),
    );
    let ((display, mut lines), mut io) = match started {
        Ok(started) => started,
        Err(code) => return code,
    };
    let out = &io.out;
    loop {
        tokio::select! {
            line = lines.recv() => match line {
                Some(l) => out.line(l.chars().map(|c| if c.is_control() { '?' } else { c }).collect::<String>()),
                None => break,
            },
            cmd = io.input.recv() => match cmd.as_deref().map(|c| c.trim()) {
                None | Some("quit" | "exit") => break,
                Some("") => {}
                Some(other) => out.line(format!("error: unknown command {other:?}: quit")),
            },
            _ = &mut io.stop => break,
        }
    }
    drop(display);
    io.finish()
}
