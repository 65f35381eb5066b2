//! The local list file through the public API: hits, normalisation, errors by line number,
//! re-reading on change and keeping the last good list.

mod common;

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use common::{kind, Kind};

use borderdb::{
    Answer, BorderDb, BorderDbConfig, BorderDbError, Category, LineProblem, Person, Query,
    QueryFields,
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

fn config(path: &Path) -> BorderDbConfig {
    BorderDbConfig {
        file: path.into(),
        ..BorderDbConfig::default()
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

fn result(list: &BorderDb, state: &str, number: &str) -> Kind {
    let checked = list.check(&query(state, number));
    assert_eq!(checked.errors, []);
    kind(&checked.answer)
}

/// No error of this crate may show a document number.
fn assert_no_document_data(errors: &[BorderDbError]) {
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
    let list = BorderDb::new(&config(&path)).unwrap();
    assert_eq!(result(&list, "UTO", NUMBER), Kind::Hit);
    assert_eq!(result(&list, "UTO", "L898902C4"), Kind::Clear);
    // Same number, other issuing state: another document.
    assert_eq!(result(&list, "D<<", NUMBER), Kind::Clear);
    assert_eq!(result(&list, "D<<", "C01X00T47"), Kind::Hit);
    let status = list.file_status().unwrap();
    assert_eq!((status.entries, status.stale), (2, None));
}

#[test]
fn fillers_and_case_are_ignored() {
    let (_dir, path) = list_file(
        "uto\tl898902c3<<   # reported 2025-05-01\r\nd<< c01x00t47\r\n",
        10,
    );
    let list = BorderDb::new(&config(&path)).unwrap();
    assert_eq!(result(&list, "UTO", "L898902C3<<<<<<"), Kind::Hit);
    assert_eq!(result(&list, "UTO", "l898902c3"), Kind::Hit);
    assert_eq!(result(&list, "D<<", "C01X00T47"), Kind::Hit);
}

#[test]
fn a_malformed_line_is_named_by_number_not_content() {
    let (_dir, path) = list_file(
        "UTO L898902C3\n# comment\nUTO L898902C3 lost_document C01X00T47\n",
        10,
    );
    let err = BorderDb::new(&config(&path)).unwrap_err();
    assert_eq!(
        err,
        BorderDbError::Malformed {
            path: path.clone(),
            line: 3,
            problem: LineProblem::Fields,
        }
    );
    assert!(err.to_string().contains("line 3"), "{err}");
    assert_no_document_data(&[err]);

    write(&path, "UTO L898902C3\nUTO L898-902C3\n", 10);
    let err = BorderDb::new(&config(&path)).unwrap_err();
    assert!(
        matches!(
            err,
            BorderDbError::Malformed {
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
    let err = BorderDb::new(&config(&dir.path().join("nope.txt"))).unwrap_err();
    assert!(
        matches!(err, BorderDbError::ReadFile { kind, .. } if kind == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
}

#[test]
fn a_changed_file_is_read_again() {
    let (dir, path) = list_file("UTO L898902C3\n", 20);
    let list = BorderDb::new(&config(&path)).unwrap();
    assert_eq!(result(&list, "UTO", "C01X00T47"), Kind::Clear);

    write(&path, "UTO C01X00T47\n", 10);
    assert_eq!(result(&list, "UTO", "C01X00T47"), Kind::Hit);
    assert_eq!(result(&list, "UTO", NUMBER), Kind::Clear);

    // Replaced atomically by a file of a different size.
    let next = dir.path().join("list.txt.new");
    write(&next, "UTO L898902C3\nUTO C01X00T47\n", 5);
    fs::rename(&next, &path).unwrap();
    assert_eq!(result(&list, "UTO", NUMBER), Kind::Hit);
    assert_eq!(list.file_status().unwrap().entries, 2);
}

#[test]
fn a_bad_reread_keeps_the_last_good_list_and_is_reported_once() {
    let (_dir, path) = list_file("UTO L898902C3\n", 30);
    let list = BorderDb::new(&config(&path)).unwrap();

    // An agency's tool writes a bad line: the old list stays in use.
    write(&path, "UTO C01X00T47\nUTO L898902C3 oops\n", 20);
    let checked = list.check(&query("UTO", NUMBER));
    let errors = checked.errors;
    assert_eq!(kind(&checked.answer), Kind::Hit);
    assert!(
        matches!(
            errors.as_slice(),
            [BorderDbError::Malformed {
                line: 2,
                problem: LineProblem::Category,
                ..
            }]
        ),
        "{errors:?}"
    );
    assert_no_document_data(&errors);
    // Reported once; the status keeps it.
    assert_eq!(result_of(&list, "UTO", "C01X00T47"), (Kind::Clear, 0));
    let status = list.file_status().unwrap();
    assert_eq!(status.entries, 1);
    assert!(matches!(
        status.stale,
        Some(BorderDbError::Malformed { line: 2, .. })
    ));

    // The file disappears: reported once, the last good list stays.
    fs::remove_file(&path).unwrap();
    let checked = list.check(&query("UTO", NUMBER));
    assert_eq!(kind(&checked.answer), Kind::Hit);
    assert!(
        matches!(checked.errors.as_slice(), [BorderDbError::ReadFile { .. }]),
        "{:?}",
        checked.errors
    );
    assert_eq!(result_of(&list, "UTO", NUMBER), (Kind::Hit, 0));

    // A good file again: in use, no longer stale.
    write(&path, "UTO C01X00T47\n", 10);
    assert_eq!(result_of(&list, "UTO", "C01X00T47"), (Kind::Hit, 0));
    assert_eq!(result_of(&list, "UTO", NUMBER), (Kind::Clear, 0));
    assert_eq!(list.file_status().unwrap().stale, None);
}

fn result_of(list: &BorderDb, state: &str, number: &str) -> (Kind, usize) {
    let checked = list.check(&query(state, number));
    (kind(&checked.answer), checked.errors.len())
}

#[test]
fn nothing_configured_answers_unavailable() {
    let db = BorderDb::new(&BorderDbConfig::default()).unwrap();
    assert!(db.is_empty());
    assert_eq!(
        db.check(&query("UTO", NUMBER)).answer,
        Answer::Unavailable {
            source: "none".into()
        }
    );
}

fn person_query(
    number: &str,
    primary: &str,
    secondary: &str,
    born: Option<(u16, u8, u8)>,
) -> Query {
    let born = born.map(|(y, m, d)| gate::CivilDate::new(y, m, d).unwrap());
    query("UTO", number).with_person(Person::new(primary, secondary, born).unwrap())
}

/// A person entry hits by names and date of birth, whatever the document; the hit carries
/// the entry's category and its default action, and the report names the source.
#[test]
fn a_person_is_hit_by_name_and_birth_date_with_a_clean_document() {
    let (_dir, path) = list_file(
        "UTO L898902C3 stolen_document\nperson 1974-08-12 ERIKSSON<<ANNA<MARIA wanted_person\n",
        10,
    );
    let db = BorderDb::new(&config(&path)).unwrap();
    let checked = db.check(&person_query(
        "X1234567",
        "ERIKSSON",
        "ANNA MARIA",
        Some((1974, 8, 12)),
    ));
    let Answer::Hit(hit) = &checked.answer else {
        panic!("{:?}", checked.answer);
    };
    assert_eq!(hit.category, Category::WantedPerson);
    assert_eq!(hit.source, borderdb::FILE_SOURCE);
    assert_eq!(hit.action.text(), Category::WantedPerson.default_action());
    assert_eq!(checked.reports.len(), 1);
    assert!(checked.reports[0].answered);
    // The document's own category when the document is listed.
    let checked = db.check(&person_query(NUMBER, "DOE", "JOHN", Some((1980, 1, 1))));
    assert!(matches!(&checked.answer, Answer::Hit(h) if h.category == Category::StolenDocument));
    // What must not hit: the same names born another day, the same day under another
    // name, names moved between the primary and secondary identifiers, an unknown birth
    // date (a partial DG1 date never matches a person entry).
    for (primary, secondary, born) in [
        ("ERIKSSON", "ANNA MARIA", Some((1974, 8, 13))),
        ("ERIKSSON", "ANNA", Some((1974, 8, 12))),
        ("ERIKSSON ANNA", "MARIA", Some((1974, 8, 12))),
        ("ERIKSSON", "ANNA MARIA", None),
    ] {
        let q = person_query("X1234567", primary, secondary, born);
        assert_eq!(
            kind(&db.check(&q).answer),
            Kind::Clear,
            "{primary} {secondary} {born:?}"
        );
    }
    // Case and fillers as the MRZ writes them are the same name.
    let q = person_query("X1234567", "eriksson", "ANNA<MARIA<<", Some((1974, 8, 12)));
    assert_eq!(kind(&db.check(&q).answer), Kind::Hit);
}

#[test]
fn debug_shows_no_entries() {
    let (_dir, path) = list_file("UTO L898902C3\n", 10);
    let list = BorderDb::new(&config(&path)).unwrap();
    let shown = format!("{list:?} {:?}", query("UTO", NUMBER));
    assert!(!shown.contains(NUMBER), "{shown}");
}
