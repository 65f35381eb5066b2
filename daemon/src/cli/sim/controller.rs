//! `egate sim controller`: the simulated door controller as a stand-alone Modbus RTU device on
//! a pty, driven by a line protocol on standard input (see [`HELP`]), so a production
//! `egate run` (or `egate hw door`) can be tested against it from a shell or a test.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;
use hardware::door::{DoorMap, Input, Output};
use sim::controller::{DeviceState, Fault, SimController, SimControllerConfig};
use sim::traveller::WalkTimes;

use super::session::{self, Session};

/// The protocol, for `--help` and `help`.
pub const HELP: &str = "\
Standard input: one command per line; each is answered by one line, `ok` or
`error: <why>` (`state` prints one `state: ...` line before its `ok`, `help` this text).
Blank lines and lines starting with # are ignored. End of input is `quit`.

  arrive                      a traveller steps into zone A and walks through as the doors
                              open (zones follow the body; gives up after --patience)
  turn-away                   every traveller leaves: at the entry at once, from the
                              mantrap back through the entry once it is open
  zone a|b|c on|off|auto      force a zone sensor, or hand it back to the travellers
  persons N|auto              force the person count register (N > 1 raises the
                              multiple_persons input), or count the travellers inside
  fire on|off                 fire alarm input
  mains on|off                mains present / lost (on battery)
  emergency on|off            emergency button
  tamper on|off               tamper contact
  fault NAME on|off           any fault: fire_alarm mains_lost emergency_button tamper
                              silence link_cut corrupt_replies noise_bursts jammed_entry
                              jammed_exit
  stuck INPUT on|off|auto     an input reads on/off whatever happens (auto: unstick);
                              INPUT: entry_closed exit_closed entry_open exit_open zone_a
                              zone_b zone_c multiple_persons fire_alarm emergency_button
                              tamper mains_lost
  state                       state: entry=closed|open|0.NN exit=... zones=a,b|-
                              persons=N travellers=PLACE,...|- through=N turned-away=N
                              coils=NAME,...|- faults=NAME,...|- overrides=...|-
                              link=up|lost fault-code=0xNNNN
  help                        this text
  quit                        stop (also on SIGINT/SIGTERM); exit status 0

Standard output, besides the answers: `controller: <pty path>` once, when the device
serves; then events as they happen, each one line starting with `event: `:
  event: entry door open|closed        event: exit door open|closed
  event: zone a|b|c occupied|free      event: persons N
  event: traveller PLACE               (at-entry entering-mantrap in-mantrap going-back
                                        exiting leaving)
  event: traveller through|turned-away (gone from the lane)
  event: link up|lost                  (a request arrived / none for the comms watchdog)";

/// Arguments of `egate sim controller`.
#[derive(Args)]
#[command(after_help = HELP)]
pub struct ControllerArgs {
    /// Also name the pty by this symlink (created at start, removed at exit)
    #[arg(long, value_name = "PATH")]
    link: Option<PathBuf>,
    /// Register map served (TOML, as `egate hw door --map`); default: egate's reference map
    #[arg(long, value_name = "FILE")]
    map: Option<PathBuf>,
    /// Time a door takes to travel fully open or closed, in milliseconds
    #[arg(long, value_name = "MS", default_value_t = 1500)]
    door_travel_ms: u64,
    /// How long an arriving traveller waits at a shut entry before giving up, in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 20)]
    patience: u64,
}

/// One command of the line protocol.
#[derive(Debug, Clone, PartialEq)]
enum Cmd {
    Arrive,
    TurnAway,
    Zone(Input, Option<bool>),
    Persons(Option<u16>),
    Fault(Fault, bool),
    Stuck(Input, Option<bool>),
    State,
    Help,
    Quit,
}

fn on_off(word: Option<&str>) -> Result<bool, String> {
    match word {
        Some("on") => Ok(true),
        Some("off") => Ok(false),
        _ => Err("expected on or off".into()),
    }
}

fn on_off_auto(word: Option<&str>) -> Result<Option<bool>, String> {
    match word {
        Some("auto") => Ok(None),
        w => on_off(w)
            .map(Some)
            .map_err(|_| "expected on, off or auto".into()),
    }
}

/// Parses one command line; `Ok(None)` for a blank or comment line.
fn parse(line: &str) -> Result<Option<Cmd>, String> {
    let mut words = line.split_whitespace();
    let Some(verb) = words.next() else {
        return Ok(None);
    };
    if verb.starts_with('#') {
        return Ok(None);
    }
    let arg = words.next();
    let arg2 = words.next();
    let cmd = match verb {
        "arrive" => Cmd::Arrive,
        "turn-away" => Cmd::TurnAway,
        "zone" => {
            let zone = match arg {
                Some("a") => Input::ZoneA,
                Some("b") => Input::ZoneB,
                Some("c") => Input::ZoneC,
                _ => return Err("zone: expected a, b or c".into()),
            };
            Cmd::Zone(zone, on_off_auto(arg2).map_err(|e| format!("zone: {e}"))?)
        }
        "persons" => Cmd::Persons(match arg {
            Some("auto") => None,
            Some(n) => Some(
                n.parse()
                    .map_err(|_| "persons: expected a number 0-65535 or auto".to_string())?,
            ),
            None => return Err("persons: expected a number or auto".into()),
        }),
        "fire" => Cmd::Fault(
            Fault::FireAlarm,
            on_off(arg).map_err(|e| format!("fire: {e}"))?,
        ),
        // `mains off` is the mains failing: the controller runs on battery.
        "mains" => Cmd::Fault(
            Fault::MainsLost,
            !on_off(arg).map_err(|e| format!("mains: {e}"))?,
        ),
        "emergency" => Cmd::Fault(
            Fault::EmergencyButton,
            on_off(arg).map_err(|e| format!("emergency: {e}"))?,
        ),
        "tamper" => Cmd::Fault(
            Fault::Tamper,
            on_off(arg).map_err(|e| format!("tamper: {e}"))?,
        ),
        "fault" => {
            let name = arg.ok_or("fault: expected a fault name")?;
            let fault =
                Fault::from_name(name).ok_or_else(|| format!("fault: unknown fault {name:?}"))?;
            Cmd::Fault(fault, on_off(arg2).map_err(|e| format!("fault: {e}"))?)
        }
        "stuck" => {
            let name = arg.ok_or("stuck: expected an input name")?;
            let input = Input::ALL
                .into_iter()
                .find(|i| i.as_str() == name)
                .ok_or_else(|| format!("stuck: unknown input {name:?}"))?;
            Cmd::Stuck(input, on_off_auto(arg2).map_err(|e| format!("stuck: {e}"))?)
        }
        "state" => Cmd::State,
        "help" => Cmd::Help,
        "quit" | "exit" => Cmd::Quit,
        other => return Err(format!("unknown command {other:?} (try help)")),
    };
    let expected = match &cmd {
        Cmd::Zone(..) | Cmd::Stuck(..) => 2,
        Cmd::Fault(..) if verb == "fault" => 2,
        Cmd::Persons(_) | Cmd::Fault(..) => 1,
        _ => 0,
    };
    let given = usize::from(arg.is_some()) + usize::from(arg2.is_some()) + words.count();
    if given != expected {
        return Err(format!("{verb}: expected {expected} argument(s)"));
    }
    Ok(Some(cmd))
}

fn output_name(o: Output) -> &'static str {
    match o {
        Output::OpenEntry => "open_entry",
        Output::OpenExit => "open_exit",
        Output::LockEntry => "lock_entry",
        Output::LockExit => "lock_exit",
        Output::AlarmSounder => "alarm_sounder",
        Output::GreenLamp => "green_lamp",
        Output::RedLamp => "red_lamp",
    }
}

fn door_word(position: f64) -> String {
    if position <= 0.0 {
        "closed".into()
    } else if position >= 1.0 {
        "open".into()
    } else {
        format!("{position:.2}")
    }
}

fn list(items: Vec<String>) -> String {
    if items.is_empty() {
        "-".into()
    } else {
        items.join(",")
    }
}

const ZONES: [(Input, &str); 3] = [
    (Input::ZoneA, "a"),
    (Input::ZoneB, "b"),
    (Input::ZoneC, "c"),
];

/// The one-line `state:` answer.
fn state_line(s: &DeviceState) -> String {
    let zones = ZONES
        .iter()
        .filter(|(i, _)| s.inputs.contains(*i))
        .map(|(_, n)| n.to_string())
        .collect();
    let travellers = s
        .travellers
        .iter()
        .map(|p| p.as_str().to_string())
        .collect();
    let coils = Output::ALL
        .into_iter()
        .filter(|o| s.coil(*o))
        .map(|o| output_name(o).to_string())
        .collect();
    let faults = s
        .faults
        .iter()
        .map(|f| match f {
            Fault::StuckSensor(i, v) => format!("stuck_{i}_{}", if *v { "on" } else { "off" }),
            f => f.name().unwrap_or("?").to_string(),
        })
        .collect();
    let mut overrides: Vec<String> = ZONES
        .iter()
        .zip(s.zone_override)
        .filter_map(|((_, n), o)| o.map(|v| format!("zone_{n}:{}", if v { "on" } else { "off" })))
        .collect();
    if s.person_count_forced {
        overrides.push(format!("persons:{}", s.person_count));
    }
    format!(
        "state: entry={} exit={} zones={} persons={} travellers={} through={} turned-away={} \
         coils={} faults={} overrides={} link={} fault-code={:#06x}",
        door_word(s.door_position[0]),
        door_word(s.door_position[1]),
        list(zones),
        s.person_count,
        list(travellers),
        s.through,
        s.turned_away,
        list(coils),
        list(faults),
        list(overrides),
        if s.comms_lost { "lost" } else { "up" },
        s.fault_code,
    )
}

/// The `event:` lines for what changed from `a` to `b`.
fn events(a: &DeviceState, b: &DeviceState) -> Vec<String> {
    let mut out = Vec::new();
    for (i, door) in ["entry", "exit"].iter().enumerate() {
        let (was, is) = (a.door_position[i], b.door_position[i]);
        if is >= 1.0 && was < 1.0 {
            out.push(format!("event: {door} door open"));
        } else if is <= 0.0 && was > 0.0 {
            out.push(format!("event: {door} door closed"));
        }
    }
    for (input, name) in ZONES {
        let is = b.inputs.contains(input);
        if a.inputs.contains(input) != is {
            let word = if is { "occupied" } else { "free" };
            out.push(format!("event: zone {name} {word}"));
        }
    }
    if a.person_count != b.person_count {
        out.push(format!("event: persons {}", b.person_count));
    }
    // Travellers keep their order of arrival; those gone are counted. The places of those
    // still in the lane are compared one to one when nobody left in between (with several
    // travellers leaving out of order, only the departures are reported).
    let left_through = b.through.saturating_sub(a.through);
    let left_back = b.turned_away.saturating_sub(a.turned_away);
    if left_through == 0 && left_back == 0 {
        for (i, place) in b.travellers.iter().enumerate() {
            if a.travellers.get(i) != Some(place) {
                out.push(format!("event: traveller {place}"));
            }
        }
    }
    for _ in 0..left_through {
        out.push("event: traveller through".into());
    }
    for _ in 0..left_back {
        out.push("event: traveller turned-away".into());
    }
    if a.comms_lost != b.comms_lost {
        out.push(format!(
            "event: link {}",
            if b.comms_lost { "lost" } else { "up" }
        ));
    }
    out
}

/// Applies a command; `None` means quit, else the answer lines.
fn apply(sim: &SimController, cmd: Cmd) -> Option<Vec<String>> {
    let ok = vec!["ok".to_string()];
    Some(match cmd {
        Cmd::Arrive => {
            sim.add_traveller();
            ok
        }
        Cmd::TurnAway => {
            sim.turn_away();
            ok
        }
        Cmd::Zone(zone, v) => {
            sim.set_zone(zone, v);
            ok
        }
        Cmd::Persons(n) => {
            sim.set_person_count(n);
            ok
        }
        Cmd::Fault(f, true) => {
            sim.inject(f);
            ok
        }
        Cmd::Fault(f, false) => {
            sim.clear(f);
            ok
        }
        Cmd::Stuck(input, Some(v)) => {
            sim.inject(Fault::StuckSensor(input, v));
            ok
        }
        Cmd::Stuck(input, None) => {
            sim.clear(Fault::StuckSensor(input, false));
            ok
        }
        Cmd::State => vec![state_line(&sim.state()), "ok".into()],
        Cmd::Help => HELP.lines().map(str::to_string).chain(ok).collect(),
        Cmd::Quit => return None,
    })
}

fn load_map(path: Option<&PathBuf>) -> Result<DoorMap, String> {
    let Some(path) = path else {
        return Ok(DoorMap::default());
    };
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
    DoorMap::from_toml(&text).map_err(|errors| {
        errors
            .iter()
            .map(|e| format!("{}: {e}", path.display()))
            .collect::<Vec<_>>()
            .join("\n")
    })
}

/// Runs `egate sim controller`.
pub fn main(args: ControllerArgs) -> ExitCode {
    let map = match load_map(args.map.as_ref()) {
        Ok(m) => m,
        Err(e) => {
            session::fail("controller", e);
            return ExitCode::from(crate::cli::EXIT_BAD_CONFIG);
        }
    };
    let config = SimControllerConfig {
        map,
        door_travel: Duration::from_millis(args.door_travel_ms.max(1)),
        walk: WalkTimes {
            patience: Duration::from_secs(args.patience),
            ..WalkTimes::default()
        },
        ..SimControllerConfig::default()
    };
    session::run("controller", serve(config, args.link))
}

async fn serve(config: SimControllerConfig, link: Option<PathBuf>) -> ExitCode {
    let started = Session::start(
        "controller",
        SimController::spawn(config),
        |s| s.path(),
        link.as_deref(),
    );
    let (sim, mut io) = match started {
        Ok(started) => started,
        Err(code) => return code,
    };
    let out = &io.out;
    let mut states = sim.subscribe();
    let mut last = states.borrow_and_update().clone();
    loop {
        tokio::select! {
            line = io.input.recv() => {
                let Some(line) = line else { break };
                match parse(&line) {
                    Ok(None) => {}
                    Ok(Some(cmd)) => match apply(&sim, cmd) {
                        Some(answer) => answer.into_iter().for_each(|l| out.line(l)),
                        None => break,
                    },
                    Err(e) => out.line(format!("error: {e}")),
                }
            }
            changed = states.changed() => {
                if changed.is_err() {
                    out.line("error: the device stopped");
                    break;
                }
                let now = states.borrow_and_update().clone();
                for e in events(&last, &now) {
                    out.line(e);
                }
                last = now;
            }
            _ = &mut io.stop => break,
        }
    }
    drop(sim);
    io.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_commands() {
        assert_eq!(parse("arrive"), Ok(Some(Cmd::Arrive)));
        assert_eq!(parse("  # a comment"), Ok(None));
        assert_eq!(parse(""), Ok(None));
        assert_eq!(
            parse("zone b on"),
            Ok(Some(Cmd::Zone(Input::ZoneB, Some(true))))
        );
        assert_eq!(
            parse("zone c auto"),
            Ok(Some(Cmd::Zone(Input::ZoneC, None)))
        );
        assert_eq!(parse("persons 2"), Ok(Some(Cmd::Persons(Some(2)))));
        assert_eq!(parse("persons auto"), Ok(Some(Cmd::Persons(None))));
        assert_eq!(
            parse("mains off"),
            Ok(Some(Cmd::Fault(Fault::MainsLost, true)))
        );
        assert_eq!(
            parse("fault jammed_exit on"),
            Ok(Some(Cmd::Fault(
                Fault::JammedDoor(hardware::door::DoorId::Exit),
                true
            )))
        );
        assert_eq!(
            parse("stuck entry_closed off"),
            Ok(Some(Cmd::Stuck(Input::EntryClosed, Some(false))))
        );
        for bad in [
            "zone d on",
            "zone a",
            "zone a on now",
            "persons -1",
            "fire maybe",
            "fault nonsense on",
            "stuck zone_q on",
            "arrive twice",
            "dance",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn every_fault_name_parses_and_every_help_command_exists() {
        for f in Fault::NAMED {
            let name = f.name().unwrap();
            assert!(HELP.contains(name), "{name} missing from the help");
            assert_eq!(
                parse(&format!("fault {name} on")),
                Ok(Some(Cmd::Fault(f, true)))
            );
        }
        for i in Input::ALL {
            assert!(HELP.contains(i.as_str()), "{i} missing from the help");
        }
    }
}
