//! `egate sim scanner`: a serial MRZ scanner on a pty. Each document typed on standard input
//! is sent the way an OCR reader sends it (`sim::scanner::frame`: STX, lines each ended by CR,
//! ETX), so the production `hardware::scanner::SerialMrzScanner` reads it.
//!
//! MRZ text is personal data in principle (specimen data here): it goes to the pty and
//! nowhere else — never echoed, never logged — and its buffers are zeroized.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use sim::factory::profile::Profile;
use sim::scanner::SimScanner;
use zeroize::Zeroizing;

use super::session::{self, Session};

/// The protocol, for `--help`.
pub const HELP: &str = "\
Standard input: the lines of one document's MRZ, top to bottom, then an empty line: the
document is sent to the pty as STX, each line followed by CR, ETX, and answered `ok` (or
`error: <why>`). Lines go out as typed (trimmed), unchecked, so a misprinted MRZ can be sent
on purpose; a line with control characters is refused. With no lines pending, a line in
lower case is a command:

  scan      send the MRZ of --profile (default: the built-in specimen passport)
  quit      stop (also on SIGINT/SIGTERM); exit status 0

End of input sends a pending document, then quits. Standard output: `scanner: <pty path>`
once, when the pty is ready, then one answer per document or command; the MRZ itself is
never printed. Documents sent while no program has the port open wait in the pty's buffer
for the next program that opens it.

Shell demo: (egate sim passport --print-mrz; echo; cat) | egate sim scanner --link /tmp/scanner";

/// Arguments of `egate sim scanner`.
#[derive(Args)]
#[command(after_help = HELP)]
pub struct ScannerArgs {
    /// Also name the pty by this symlink (created at start, removed at exit)
    #[arg(long, value_name = "PATH")]
    link: Option<PathBuf>,
    /// Document profile whose printed MRZ `scan` sends (see `egate sim passport --help`)
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
}

/// How long one document may wait for room in the pty before the send is given up.
const SEND_TIMEOUT: Duration = Duration::from_secs(5);

/// Runs `egate sim scanner`.
pub fn main(args: ScannerArgs) -> ExitCode {
    let profile = match session::profile("scanner", args.profile.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    session::run("scanner", serve(profile, args.link))
}

/// The profile's printed MRZ lines (what is on the data page, defects included).
fn printed_mrz(profile: &Profile) -> Zeroizing<Vec<String>> {
    let pki = sim::factory::pki::TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let doc = sim::factory::build(&profile.document, &pki);
    Zeroizing::new(doc.printed_mrz.lines().map(str::to_string).collect())
}

async fn send(scanner: &mut SimScanner, lines: &[String]) -> String {
    let bytes = Zeroizing::new(sim::scanner::frame(lines));
    match tokio::time::timeout(SEND_TIMEOUT, scanner.send(&bytes)).await {
        Ok(Ok(())) => "ok".into(),
        Ok(Err(e)) => format!("error: cannot write to the pty: {e}"),
        Err(_) => "error: the pty is full: no program reads the scanner port".into(),
    }
}

async fn serve(profile: Profile, link: Option<PathBuf>) -> ExitCode {
    let started = Session::start("scanner", SimScanner::open(), |s| s.path(), link.as_deref());
    let (mut scanner, mut io) = match started {
        Ok(started) => started,
        Err(code) => return code,
    };
    let out = &io.out;
    let mut pending: Zeroizing<Vec<String>> = Zeroizing::new(Vec::new());
    loop {
        let line = tokio::select! {
            line = io.input.recv() => line,
            _ = &mut io.stop => break,
        };
        let Some(line) = line else {
            if !pending.is_empty() {
                out.line(send(&mut scanner, &pending).await);
            }
            break;
        };
        let text = line.trim();
        if text.is_empty() {
            if !pending.is_empty() {
                out.line(send(&mut scanner, &pending).await);
                pending.clear();
            }
            continue;
        }
        if pending.is_empty() && text.starts_with(|c: char| c.is_ascii_lowercase()) {
            match text {
                "scan" => {
                    let mrz = printed_mrz(&profile);
                    out.line(send(&mut scanner, &mrz).await);
                }
                "quit" | "exit" => break,
                other => out.line(format!("error: unknown command {other:?}: scan | quit")),
            }
            continue;
        }
        if text.chars().any(|c| c.is_control()) {
            out.line("error: a line with control characters; document dropped");
            pending.clear();
            continue;
        }
        pending.push(text.to_string());
    }
    io.finish()
}
