//! The stand-alone simulated devices through the real binary, each at its real boundary
//! with a production client on the other side: `egate sim controller` answers `egate hw door`
//! (the production Modbus RTU adapter) on its pty and walks a traveller through as the doors
//! open; `egate sim scanner` feeds `hardware::scanner::SerialMrzScanner`; `egate sim display`
//! shows what `hardware::display::LineDisplay` writes; `egate sim passport` stops at the end
//! of its input. Every device stops when its standard input closes.
//!
//! Waits are generous and nothing asserts a duration: the machine may be loaded.

use std::path::Path;
use std::time::Duration;

use egate_tests::{egate, SimDevice};

/// Time for something the device does by itself (a door travelling, a traveller walking).
const EVENTUALLY: Duration = Duration::from_secs(30);
/// Time for a process to stop once its input is closed.
const STOPS: Duration = Duration::from_secs(20);

fn hw_door(port: &str, action: &[&str]) -> String {
    let mut args = vec!["hw", "door", "--port", port];
    args.extend_from_slice(action);
    let (code, out, err) = egate(&args);
    assert_eq!(code, 0, "egate hw door {action:?} failed:\n{out}\n{err}");
    out
}

fn stops_on_eof(dev: &mut SimDevice) {
    dev.close_stdin();
    let status = dev.wait_exit(STOPS).unwrap_or_else(|| {
        panic!(
            "still running after end of input; stdout:\n{}",
            dev.log.join("\n")
        )
    });
    assert!(status.success(), "exit status {status:?}");
}

#[test]
fn controller_answers_the_production_modbus_client_and_walks_a_traveller() {
    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("doors");
    let link_s = link.to_str().unwrap();
    let mut ctl = SimDevice::start(
        &[
            "sim",
            "controller",
            "--link",
            link_s,
            "--door-travel-ms",
            "300",
            "--patience",
            "600",
        ],
        "controller: ",
    );
    assert!(ctl.path.starts_with("/dev/"), "{}", ctl.path);
    assert_eq!(std::fs::read_link(&link).unwrap(), Path::new(&ctl.path));

    // The production adapter sees a closed, empty lane.
    let status = hw_door(&ctl.path, &["status"]);
    assert!(status.contains("entry door: closed"), "{status}");
    assert!(status.contains("exit door: closed"), "{status}");
    assert!(
        status.contains("zone A: free, zone B: free, zone C: free"),
        "{status}"
    );

    // Forced sensors show through Modbus, and go back to the travellers with `auto`. (Not
    // the fire alarm here: the adapter would answer it by driving the doors open.)
    ctl.command("zone a on").unwrap();
    ctl.command("persons 2").unwrap();
    ctl.command("mains off").unwrap();
    let status = hw_door(link_s, &["status"]);
    assert!(
        status.contains("zone A: occupied, zone B: free"),
        "{status}"
    );
    assert!(status.contains("more than one person: yes"), "{status}");
    assert!(status.contains("mains lost: yes"), "{status}");
    let mark = ctl.mark();
    for cmd in ["zone a auto", "persons auto", "mains on"] {
        ctl.command(cmd).unwrap();
    }
    ctl.wait_line_since(mark, "event: zone a free", EVENTUALLY);
    assert!(ctl.command("zone d on").unwrap_err().starts_with("error: "));
    assert!(ctl.state().contains("zones=- "), "{}", ctl.state());

    // A traveller arrives: zone A occupied for the adapter too.
    let mark = ctl.mark();
    ctl.command("arrive").unwrap();
    ctl.wait_line_since(mark, "event: zone a occupied", EVENTUALLY);
    let status = hw_door(&ctl.path, &["status"]);
    assert!(
        status.contains("zone A: occupied, zone B: free"),
        "{status}"
    );
    assert!(ctl.state().contains("travellers=at-entry "));

    // The adapter opens the entry: the traveller walks into the mantrap. (When `hw door`
    // exits, the controller's comms watchdog drives the doors closed; the entry closes
    // behind them once zone A is free.)
    let mark = ctl.mark();
    let opened = hw_door(&ctl.path, &["open", "entry"]);
    assert!(opened.contains("entry door open"), "{opened}");
    ctl.wait_line_since(mark, "event: entry door open", EVENTUALLY);
    ctl.wait_line_since(mark, "event: traveller in-mantrap", EVENTUALLY);
    ctl.wait_line_since(mark, "event: entry door closed", EVENTUALLY);
    let status = hw_door(&ctl.path, &["status"]);
    assert!(
        status.contains("zone A: free, zone B: occupied"),
        "{status}"
    );
    assert!(status.contains("person count: 1"), "{status}");

    // Sent back: they leave through the entry when it opens again, and are gone.
    let mark = ctl.mark();
    ctl.command("turn-away").unwrap();
    hw_door(&ctl.path, &["open", "entry"]);
    ctl.wait_line_since(mark, "event: traveller going-back", EVENTUALLY);
    ctl.wait_line_since(mark, "event: traveller turned-away", EVENTUALLY);
    let state = ctl.state();
    assert!(
        state.contains("travellers=- ") && state.contains("turned-away=1 "),
        "{state}"
    );

    stops_on_eof(&mut ctl);
    assert!(
        std::fs::symlink_metadata(&link).is_err(),
        "the link is removed at exit"
    );
}

#[test]
fn scanner_feeds_the_production_mrz_adapter() {
    use hardware::scanner::{MrzFormat, ScanEvent, SerialMrzScanner};

    let dir = tempfile::tempdir().unwrap();
    let link = dir.path().join("scanner");
    let mut scanner = SimDevice::start(
        &["sim", "scanner", "--link", link.to_str().unwrap()],
        "scanner: ",
    );
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    let (_adapter, mut events) =
        SerialMrzScanner::open(link.to_str().unwrap(), 9600).expect("open the scanner pty");
    let mut next_read = |what: &str| -> Vec<String> {
        rt.block_on(async {
            match tokio::time::timeout(EVENTUALLY, events.recv()).await {
                Ok(Some(ScanEvent::Read(r))) => {
                    assert_eq!(r.format(), MrzFormat::Td3);
                    r.lines().to_vec()
                }
                Ok(Some(ScanEvent::Rejected(why))) => panic!("{what}: rejected {why:?}"),
                other => panic!("{what}: no read: {other:?}"),
            }
        })
    };

    // ICAO Doc 9303-4 Appendix specimen, typed line by line, then an empty line.
    let td3 = [
        "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
        "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
    ];
    scanner.send(td3[0]);
    scanner.send(td3[1]);
    assert_eq!(scanner.command("").unwrap(), ["ok"]);
    assert_eq!(next_read("typed MRZ"), td3);
    assert!(
        !scanner.log.iter().any(|l| l.contains("ERIKSSON")),
        "the MRZ is never echoed"
    );

    // `scan` sends the specimen passport's printed MRZ, the one `sim passport` serves.
    let (code, printed, _) = egate(&["sim", "passport", "--print-mrz"]);
    assert_eq!(code, 0);
    let printed: Vec<String> = printed.lines().map(str::to_string).collect();
    assert_eq!(printed.len(), 2, "{printed:?}");
    assert_eq!(scanner.command("scan").unwrap(), ["ok"]);
    assert_eq!(next_read("scan"), printed);

    stops_on_eof(&mut scanner);
    assert!(std::fs::symlink_metadata(&link).is_err());
}

#[test]
fn display_prints_what_the_production_line_display_writes() {
    use hardware::display::{DisplayConfig, Lamp, LineDisplay, MessageCode, TravellerDisplay};

    let mut display = SimDevice::start(&["sim", "display"], "display: ");
    let mut out = LineDisplay::open(&display.path, 9600, DisplayConfig::default())
        .expect("open the display pty");
    out.show(MessageCode::PresentDocument, Lamp::Off).unwrap();
    out.show(MessageCode::SeeOfficer, Lamp::Red).unwrap();
    display.wait_line(
        "MSG present-passport off en=Place your passport on the reader",
        EVENTUALLY,
    );
    display.wait_line("MSG see-officer red en=Please see an officer", EVENTUALLY);
    stops_on_eof(&mut display);
}

#[test]
fn passport_stops_at_the_end_of_its_input() {
    // A stand-in for vpcd: the passport connects (the card is "inserted") and is never asked
    // anything.
    let vpcd = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = vpcd.local_addr().unwrap().to_string();
    let mut passport = SimDevice::start(&["sim", "passport", "--vpcd", &addr], "card inserted");
    let _conn = vpcd.accept().unwrap();
    stops_on_eof(&mut passport);
}
