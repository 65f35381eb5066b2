//! The local list file through the public API: hits, normalisation, errors by line number,
//! re-reading on change and keeping the last good list.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use watchlist::{
    Checked, LineProblem, Query, QueryFields, Watchlist, WatchlistConfig, WatchlistError,
    WatchlistResult,
};

const NUMBER: &str = "L898902C3";

fn query(state: &str, number: &str) -> Query {
    Query::new(QueryFields {
        document_code: "P",
        issuing_state: state,
        document_number: number,
        nationality: state,
    })
    .unwrap()
}

fn config(path: &Path) -> WatchlistConfig {
    WatchlistConfig {
        file: path.into(),
        ..WatchlistConfig::default()
    }
}

/// Writes `text` and gives the file a modification time of its own, so that a change is
/// seen even on a filesystem with coarse timestamps.
fn write(path: &Path, text: &str, age_s: u64) {
    fs::write(path, text).unwrap();
    let modified = SystemTime::now() - Duration::from_secs(age_s);
    File::options()
        .write(true)
        .open(path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
}

/// A list file holding `text`, `age_s` seconds old, in a directory of its own.
fn list_file(text: &str, age_s: u64) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.txt");
    write(&path, text, age_s);
    (dir, path)
}

fn result(list: &Watchlist, state: &str, number: &str) -> WatchlistResult {
    let checked = list.check(&query(state, number));
    assert_eq!(checked.errors, []);
    checked.result
}

/// No error of this crate may show a document number.
fn assert_no_document_data(errors: &[WatchlistError]) {
    for e in errors {
        let shown = format!("{e} {e:?}");
        assert!(
            !shown.contains(NUMBER) && !shown.contains("C01X00T47"),
            "{shown}"
        );
    }
}

#[test]
fn hit_and_miss() {
    let (_dir, path) = list_file("# lost and stolen\nUTO L898902C3\n\nD C01X00T47\n", 10);
    let list = Watchlist::new(&config(&path)).unwrap();
    assert_eq!(result(&list, "UTO", NUMBER), WatchlistResult::Hit);
    assert_eq!(result(&list, "UTO", "L898902C4"), WatchlistResult::Clear);
    // Same number, other issuing state: another document.
    assert_eq!(result(&list, "D<<", NUMBER), WatchlistResult::Clear);
    assert_eq!(result(&list, "D<<", "C01X00T47"), WatchlistResult::Hit);
    let status = list.file_status().unwrap();
    assert_eq!((status.entries, status.stale), (2, None));
}

#[test]
fn fillers_and_case_are_ignored() {
    let (_dir, path) = list_file(
        "uto\tl898902c3<<   # reported 2025-05-01\r\nd<< c01x00t47\r\n",
        10,
    );
    let list = Watchlist::new(&config(&path)).unwrap();
    assert_eq!(
        result(&list, "UTO", "L898902C3<<<<<<"),
        WatchlistResult::Hit
    );
    assert_eq!(result(&list, "UTO", "l898902c3"), WatchlistResult::Hit);
    assert_eq!(result(&list, "D<<", "C01X00T47"), WatchlistResult::Hit);
}

#[test]
fn a_malformed_line_is_named_by_number_not_content() {
    let (_dir, path) = list_file("UTO L898902C3\n# comment\nUTO L898902C3 C01X00T47\n", 10);
    let err = Watchlist::new(&config(&path)).unwrap_err();
    assert_eq!(
        err,
        WatchlistError::Malformed {
            path: path.clone(),
            line: 3,
            problem: LineProblem::Fields,
        }
    );
    assert!(err.to_string().contains("line 3"), "{err}");
    assert_no_document_data(&[err]);

    write(&path, "UTO L898902C3\nUTO L898-902C3\n", 10);
    let err = Watchlist::new(&config(&path)).unwrap_err();
    assert!(
        matches!(
            err,
            WatchlistError::Malformed {
                line: 2,
                problem: LineProblem::DocumentNumber,
                ..
            }
        ),
        "{err:?}"
    );
    assert_no_document_data(&[err]);
}

#[test]
fn a_missing_file_is_an_error_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let err = Watchlist::new(&config(&dir.path().join("nope.txt"))).unwrap_err();
    assert!(
        matches!(err, WatchlistError::ReadFile { kind, .. } if kind == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
}

#[test]
fn a_changed_file_is_read_again() {
    let (dir, path) = list_file("UTO L898902C3\n", 20);
    let list = Watchlist::new(&config(&path)).unwrap();
    assert_eq!(result(&list, "UTO", "C01X00T47"), WatchlistResult::Clear);

    write(&path, "UTO C01X00T47\n", 10);
    assert_eq!(result(&list, "UTO", "C01X00T47"), WatchlistResult::Hit);
    assert_eq!(result(&list, "UTO", NUMBER), WatchlistResult::Clear);

    // Replaced atomically by a file of a different size.
    let next = dir.path().join("list.txt.new");
    write(&next, "UTO L898902C3\nUTO C01X00T47\n", 5);
    fs::rename(&next, &path).unwrap();
    assert_eq!(result(&list, "UTO", NUMBER), WatchlistResult::Hit);
    assert_eq!(list.file_status().unwrap().entries, 2);
}

#[test]
fn a_bad_reread_keeps_the_last_good_list_and_is_reported_once() {
    let (_dir, path) = list_file("UTO L898902C3\n", 30);
    let list = Watchlist::new(&config(&path)).unwrap();

    // An agency's tool writes a bad line: the old list stays in use.
    write(&path, "UTO C01X00T47\nUTO L898902C3 oops\n", 20);
    let Checked { result, errors } = list.check(&query("UTO", NUMBER));
    assert_eq!(result, WatchlistResult::Hit);
    assert!(
        matches!(
            errors.as_slice(),
            [WatchlistError::Malformed {
                line: 2,
                problem: LineProblem::Fields,
                ..
            }]
        ),
        "{errors:?}"
    );
    assert_no_document_data(&errors);
    // Reported once; the status keeps it.
    assert_eq!(
        result_of(&list, "UTO", "C01X00T47"),
        (WatchlistResult::Clear, 0)
    );
    let status = list.file_status().unwrap();
    assert_eq!(status.entries, 1);
    assert!(matches!(
        status.stale,
        Some(WatchlistError::Malformed { line: 2, .. })
    ));

    // The file disappears: reported once, the last good list stays.
    fs::remove_file(&path).unwrap();
    let checked = list.check(&query("UTO", NUMBER));
    assert_eq!(checked.result, WatchlistResult::Hit);
    assert!(
        matches!(checked.errors.as_slice(), [WatchlistError::ReadFile { .. }]),
        "{:?}",
        checked.errors
    );
    assert_eq!(result_of(&list, "UTO", NUMBER), (WatchlistResult::Hit, 0));

    // A good file again: in use, no longer stale.
    write(&path, "UTO C01X00T47\n", 10);
    assert_eq!(
        result_of(&list, "UTO", "C01X00T47"),
        (WatchlistResult::Hit, 0)
    );
    assert_eq!(result_of(&list, "UTO", NUMBER), (WatchlistResult::Clear, 0));
    assert_eq!(list.file_status().unwrap().stale, None);
}

fn result_of(list: &Watchlist, state: &str, number: &str) -> (WatchlistResult, usize) {
    let checked = list.check(&query(state, number));
    (checked.result, checked.errors.len())
}

#[test]
fn nothing_configured_is_an_error() {
    assert_eq!(
        Watchlist::new(&WatchlistConfig::default()).unwrap_err(),
        WatchlistError::NotConfigured
    );
}

#[test]
fn debug_shows_no_entries() {
    let (_dir, path) = list_file("UTO L898902C3\n", 10);
    let list = Watchlist::new(&config(&path)).unwrap();
    let shown = format!("{list:?} {:?}", query("UTO", NUMBER));
    assert!(!shown.contains(NUMBER), "{shown}");
}
