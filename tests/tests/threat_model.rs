//! `docs/THREAT_MODEL.md` names, for each defence, the tests that show it (issue #17,
//! must-show 6). This reads the file and checks that every test it names exists in the source
//! tree as a test function, and that every row of its defences table names at least one.

use std::path::Path;

use egate_tests::repo;

/// The `path::function` references in `text` (inside backticks, path ending in `.rs`).
fn references(text: &str) -> Vec<(String, String)> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .filter_map(|r| r.split_once(".rs::"))
        .map(|(path, f)| (format!("{path}.rs"), f.to_string()))
        .collect()
}

/// Why `function` is not a test in `file` under `root`, if it is not.
fn missing(root: &Path, file: &str, function: &str) -> Option<String> {
    let Ok(src) = std::fs::read_to_string(root.join(file)) else {
        return Some(format!("{file}: no such file"));
    };
    let Some(at) = src.find(&format!("fn {function}(")) else {
        return Some(format!("{file}: no fn {function}"));
    };
    // The attribute or the proptest! block that makes it a test sits just before it.
    let before = &src[..at];
    let head = &before[before.len().saturating_sub(160)..];
    if head.contains("test]") || head.contains("#[tokio::test") || before.contains("proptest!") {
        None
    } else {
        Some(format!("{file}: fn {function} is not a test"))
    }
}

/// The rows of the table under `## Defences`.
fn defence_rows(text: &str) -> Vec<&str> {
    let section = text
        .split("\n## ")
        .find(|s| s.starts_with("Defences"))
        .expect("a ## Defences section");
    section
        .lines()
        .filter(|l| l.starts_with('|'))
        .skip(2) // header and separator
        .collect()
}

#[test]
fn every_defence_names_a_test_that_exists() {
    let root = repo();
    let text = std::fs::read_to_string(root.join("docs/THREAT_MODEL.md")).unwrap();
    for section in [
        "## Assets",
        "## Attackers",
        "## Defences",
        "## Residual risks",
    ] {
        assert!(text.contains(section), "no {section}");
    }
    let rows = defence_rows(&text);
    assert!(rows.len() >= 10, "{} defences", rows.len());
    for row in &rows {
        assert!(
            !references(row).is_empty(),
            "a defence names no test: {row}"
        );
    }
    let refs = references(&text);
    let problems: Vec<String> = refs
        .iter()
        .filter_map(|(file, f)| missing(&root, file, f))
        .collect();
    assert!(problems.is_empty(), "{problems:#?}");
}

#[test]
fn the_check_finds_a_named_test_that_does_not_exist() {
    let root = repo();
    let refs = references(
        "| a | b | `tests/tests/threat_model.rs::no_such_test`, `nowhere/x.rs::t` |\n\
         | c | d | `tests/tests/threat_model.rs::references` |",
    );
    assert_eq!(refs.len(), 3);
    assert!(missing(&root, &refs[0].0, &refs[0].1).is_some());
    assert!(missing(&root, &refs[1].0, &refs[1].1).is_some());
    // A function that exists but is not a test.
    assert!(missing(&root, &refs[2].0, &refs[2].1).is_some());
    assert!(missing(
        &root,
        "tests/tests/threat_model.rs",
        "every_defence_names_a_test_that_exists"
    )
    .is_none());
}
