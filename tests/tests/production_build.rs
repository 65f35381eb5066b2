//! The border build (`cargo build -p egate --no-default-features --features production`)
//! holds no simulator: no `egate sim`, no `egate run --sim`, no fault routes, no test PKI, and
//! no dependency on the `sim` crate. `scripts/test.sh` builds it first and copies it to
//! `<target>/production/egate`; [`egate_tests::production_bin`] finds it there.

use std::path::Path;
use std::process::Command;

use egate_tests::{egate_bin, production_bin, run};

/// Strings that only the simulator puts into the binary: a fault route of the simulated
/// controllers, and the seed of the simulated bank's test PKI.
const SIM_MARKERS: [&str; 2] = ["/sim/gates/{gate}/faults/{fault}", "egate-sim"];

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

/// The names in `egate --help`'s command list.
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

#[test]
fn the_production_binary_has_no_sim_subcommand() {
    let bin = production_bin();
    let (code, out, err) = run(&bin, &["--help"]);
    assert_eq!(code, 0, "{err}");
    let commands = subcommands(&out);
    assert!(commands.contains(&"run".to_string()), "{out}");
    assert!(!commands.contains(&"sim".to_string()), "{out}");
    // The default build has it: the check above looks at the right list.
    let (_, out, _) = run(&egate_bin(), &["--help"]);
    assert!(subcommands(&out).contains(&"sim".to_string()), "{out}");

    let (code, _, err) = run(&bin, &["sim", "passport"]);
    assert_eq!(code, 2, "egate sim: {err}");
    assert!(err.contains("unrecognized subcommand 'sim'"), "{err}");
}

#[test]
fn the_production_binary_refuses_run_sim() {
    let bin = production_bin();
    let (code, _, err) = run(&bin, &["run", "--sim"]);
    assert_eq!(code, 2, "egate run --sim: {err}");
    assert!(err.contains("unexpected argument '--sim'"), "{err}");
    // The benchmarks that need the simulator's test PKI are not there either.
    let (code, _, err) = run(&bin, &["bench", "doc"]);
    assert_eq!(code, 2, "egate bench doc: {err}");
}

#[test]
fn the_production_binary_refuses_the_simulation_switch_in_a_config() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("egate.toml");
    std::fs::write(&file, "[dangerous]\nsimulation = true\n").unwrap();
    let path = file.to_str().unwrap();
    let (code, _, err) = run(&production_bin(), &["config", "check", path]);
    assert_eq!(code, 64, "{err}");
    assert!(
        err.contains("line 2: dangerous.simulation") && err.contains("without the simulator"),
        "{err}"
    );
    let (code, _, err) = run(&production_bin(), &["run", "--config", path]);
    assert_eq!(code, 64, "{err}");
    assert!(err.contains("dangerous.simulation"), "{err}");
}

#[test]
fn the_production_binary_holds_no_simulator_code() {
    let production = std::fs::read(production_bin()).unwrap();
    let default = std::fs::read(egate_bin()).unwrap();
    for marker in SIM_MARKERS {
        assert!(
            contains(&default, marker),
            "the default build lacks {marker:?}"
        );
        assert!(
            !contains(&production, marker),
            "the production build holds {marker:?}"
        );
    }
}

#[test]
fn the_production_dependency_tree_names_no_sim_crate() {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let tree = |features: &[&str]| {
        let out = Command::new(&cargo)
            .current_dir(&workspace)
            .args(["tree", "--offline", "-p", "egate", "-e", "normal"])
            .args(["--prefix", "none", "--format", "{p}"])
            .args(features)
            .output()
            .expect("run cargo tree");
        assert!(
            out.status.success(),
            "cargo tree: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let names = |text: &str| -> Vec<String> {
        text.lines()
            .filter_map(|l| l.split_whitespace().next().map(str::to_string))
            .collect()
    };
    let production = tree(&["--no-default-features", "--features", "production"]);
    assert!(
        names(&production).contains(&"egate".to_string()),
        "{production}"
    );
    assert!(
        !names(&production).contains(&"sim".to_string()),
        "{production}"
    );
    let default = tree(&[]);
    assert!(names(&default).contains(&"sim".to_string()), "{default}");
}
