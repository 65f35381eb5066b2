//! `egate sim ...`: simulated devices, each a stand-alone process on the device's real
//! boundary, so the production `egate run` (or any other program) can be tested against
//! them. `egate sim passport` serves a virtual passport chip to pcscd through vpcd, so any
//! PC/SC application (pcsc_scan, `egate doc read`) sees a reader with a card in it;
//! `controller`, `scanner` and `display` serve a Modbus RTU door controller, a serial MRZ
//! scanner and a traveller display on ptys. All take commands on standard input, one per
//! line, and stop at its end.

mod accept;
mod controller;
mod display;
mod realtime;
mod scanner;
mod session;

use std::io::BufRead;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};
use sim::chip::VirtualChip;
use sim::factory::{self, pki::TestPki};
use sim::vpcd::{VpcdOptions, VpcdSlot};

/// `egate sim` subcommands.
#[derive(Subcommand)]
pub enum SimCommand {
    /// Serve a virtual passport chip to pcscd through vpcd (vsmartcard).
    ///
    /// Without --profile it serves the built-in specimen passport (TD3, BAC and PACE-GM on
    /// brainpoolP256r1 with AES-128, AA, CA) and prints its MRZ and CAN.
    ///
    /// Once running, type `remove`, `insert` or `quit` (one per line) on standard input to pull
    /// the card out, put it back (a fresh power-up) or stop; the end of standard input stops
    /// it too (so keep it open when starting it in the background).
    ///
    /// --print-mrz prints only the document's MRZ lines and exits, for piping into
    /// `egate sim scanner`.
    ///
    /// Profiles are TOML files, every field optional (default: the specimen); see
    /// sim/profiles/README.md. Sections and fields:
    ///
    ///   [document] type = "td3"|"td1", issuing_state, number, surname, given_names,
    ///   nationality, birth/expiry/issued = "YYYY-MM-DD", sex = "M"|"F"|"X",
    ///   face = "file.jpg", face_format = "jpeg"|"jpeg2000", face_width, face_height
    ///
    ///   [chip] can = "123456", bac = true|false,
    ///   pace = [{ mapping = "gm"|"im"|"cam", cipher = "3des"|"aes128"|"aes192"|"aes256",
    ///   param_id = 0-2|8-18 }], active_auth, chip_auth, dg11_dg12, key_seed,
    ///   defect = "tampered-dg1"|"tampered-dg2"|"broken-sod-signature"|"expired-ds"|
    ///   "revoked-ds"|"unknown-csca"|"clone"|"mrz-mismatch"|"expired-document"|
    ///   "wrong-issuing-state"|"clone-hides-dg14-dg15"|"clone-aa-signature-wrong"|
    ///   "clone-aa-other-key"|"clone-cam-wrong-proof"|"clone-card-security-resigned"|
    ///   "clone-dg2-not-found"
    ///
    ///   [quirks] max_le, oversize_read_sw = "6700", refuse_le_on_select_mse,
    ///   require_param_id, extended_length, answer_delay_ms
    ///
    ///   [pki] seed, country (two letters)      [link] bit_rate, turnaround_ms
    #[command(verbatim_doc_comment)]
    Passport(PassportArgs),
    /// Serve a simulated door controller (Modbus RTU) on a pty, driven from standard input
    ///
    /// Prints `controller: <pty path>` when it serves; point `egate hw door --port` or the
    /// gate's [doors] port at that path (or at --link). Travellers, zones, person count,
    /// fire alarm, mains and faults are set by commands on standard input (below).
    Controller(controller::ControllerArgs),
    /// Serve a serial MRZ scanner on a pty: MRZs typed on standard input are "scanned"
    ///
    /// Prints `scanner: <pty path>`; each document (its MRZ lines, then an empty line) is
    /// written to the pty as an OCR reader sends it: STX, each line ended by CR, ETX.
    Scanner(scanner::ScannerArgs),
    /// Serve a traveller display on a pty and print every line the gate sends it
    Display(display::DisplayArgs),
    /// Check an acceptance scenario file: every problem with its line and key (exit 64)
    Check(accept::CheckArgs),
    /// Run an acceptance scenario and write its reports (JSON, JUnit, HTML)
    ///
    /// In virtual time (the default) the gates, the door controller's Modbus frames, the chip
    /// reads and the face models are the real ones; walking, door travel and the chip link
    /// follow the modelled durations of docs/passage-timing.md. With --real-time the scenario
    /// drives an `egate run --sim` daemon against the wall clock instead. A progress bar goes
    /// to standard error. Exit 1 when a pass criterion fails, 64 when the scenario is wrong
    /// (or asks real time for what it cannot do).
    Run(accept::RunArgs),
    /// Run the built-in acceptance suite (classic cases and the Frontex exception cases)
    Suite(accept::SuiteArgs),
}

/// Arguments of `egate sim passport`.
#[derive(Args)]
pub struct PassportArgs {
    /// vpcd address of the virtual reader (pcscd with vsmartcard-vpcd)
    #[arg(long, value_name = "HOST:PORT", default_value = sim::vpcd::DEFAULT_ADDR)]
    vpcd: String,
    /// Document profile (TOML); default: the built-in specimen passport
    #[arg(long, value_name = "FILE")]
    profile: Option<PathBuf>,
    /// Delay answers by the profile's link model (bit rate and turnaround) and quirks
    #[arg(long)]
    realtime: bool,
    /// Write the test PKI here (csca*.der, link.der, ds.der, crl.der, masterlist.ml, and
    /// deviationlist.dl declaring DG11's hash wrong for ds.der's documents) for
    /// `egate doc read --csca ... --crl ...` and `egate pki import-...`
    #[arg(long, value_name = "DIR")]
    pki_out: Option<PathBuf>,
    /// Print only the document's MRZ lines (what an OCR scanner reads) and exit
    #[arg(long)]
    print_mrz: bool,
}

/// Runs `egate sim ...`.
pub fn main(cmd: SimCommand) -> ExitCode {
    match cmd {
        SimCommand::Passport(args) => passport(args),
        SimCommand::Controller(args) => controller::main(args),
        SimCommand::Scanner(args) => scanner::main(args),
        SimCommand::Display(args) => display::main(args),
        SimCommand::Check(args) => accept::check(args),
        SimCommand::Run(args) => accept::run(args),
        SimCommand::Suite(args) => accept::suite(args),
    }
}

fn passport(args: PassportArgs) -> ExitCode {
    let profile = match session::profile("passport", args.profile.as_deref()) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let pki = TestPki::generate(&profile.pki_seed, &profile.pki_country);
    let doc = factory::build(&profile.document, &pki);
    if args.print_mrz {
        // A synthetic specimen or test profile, printed on request (see below).
        println!("{}", doc.printed_mrz);
        return ExitCode::SUCCESS;
    }
    if let Some(dir) = &args.pki_out {
        if let Err(e) = write_pki(dir, &pki) {
            eprintln!(
                "egate sim passport: cannot write PKI to {}: {e}",
                dir.display()
            );
            return ExitCode::from(1);
        }
        println!("test PKI written to {}", dir.display());
    }
    // Printing the MRZ and CAN is a deliberate exception to "never log personal data": this
    // is a synthetic specimen (or a test profile), so a technician can point a reader at it.
    println!("SPECIMEN (synthetic test document, not personal data):");
    println!("MRZ:");
    for line in doc.printed_mrz.lines() {
        println!("  {line}");
    }
    match &doc.can {
        Some(can) => println!("CAN: {can}"),
        None => println!("CAN: (none)"),
    }
    let options = VpcdOptions {
        realtime: args.realtime.then_some(profile.link),
    };
    let mut slot = match VpcdSlot::new(args.vpcd.as_str(), options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("egate sim passport: bad --vpcd {}: {e}", args.vpcd);
            return ExitCode::from(crate::cli::EXIT_USAGE);
        }
    };
    let chip_spec = doc.chip;
    if let Err(e) = slot.insert(VirtualChip::new(chip_spec.clone())) {
        eprintln!(
            "egate sim passport: cannot connect to vpcd at {}: {e} (is pcscd with vsmartcard-vpcd running?)",
            args.vpcd
        );
        return ExitCode::from(1);
    }
    println!(
        "card inserted into vpcd at {}; commands on stdin: remove | insert | quit",
        args.vpcd
    );
    let stdin = std::io::stdin();
    let mut lines = stdin.lock().lines();
    // The end of standard input (or a read error) stops the passport, like `quit`.
    while let Some(Ok(line)) = lines.next() {
        match line.trim() {
            "remove" => {
                slot.remove();
                println!("card removed");
            }
            "insert" => match slot.insert(VirtualChip::new(chip_spec.clone())) {
                Ok(()) => println!("card inserted"),
                Err(e) => println!("insert failed: {e}"),
            },
            "quit" | "exit" => break,
            "" => {}
            other => println!("unknown command {other:?}: remove | insert | quit"),
        }
    }
    slot.remove();
    ExitCode::SUCCESS
}

fn write_pki(dir: &std::path::Path, pki: &TestPki) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("csca.der"), &pki.csca.der)?;
    std::fs::write(dir.join("csca-old.der"), &pki.csca_old.der)?;
    std::fs::write(dir.join("link.der"), &pki.link.der)?;
    std::fs::write(dir.join("ds.der"), &pki.ds.der)?;
    std::fs::write(dir.join("crl.der"), &pki.crl)?;
    std::fs::write(dir.join("masterlist.ml"), &pki.master_list)?;
    std::fs::write(dir.join("deviationlist.dl"), pki.sample_deviation_list())?;
    Ok(())
}
