//! The local list file: a text file an agency can produce with any tool.
//!
//! Format (ASCII, one entry per line):
//!
//! ```text
//! # Lost and stolen documents, 2025-06-01
//! UTO L898902C3
//! D<< C01X00T47 stolen_document   # '<' fillers are ignored: "D" is "D<<"
//! uto l898902c4                   # so is case; a comment may end a line
//! person 1974-08-12 ERIKSSON<<ANNA<MARIA refusal_of_entry
//! ```
//!
//! - a document entry: the issuing state, the document number, optionally a category,
//!   separated by spaces or tabs;
//! - issuing state: an ICAO 9303-3 code, 1 to 3 letters, `<` fillers after them allowed;
//! - document number: letters and digits, `<` fillers anywhere ignored (so the MRZ field can
//!   be pasted as it is), at most 24 once they are removed;
//! - a person entry: the word `person`, the date of birth (`YYYY-MM-DD`), the name as the MRZ
//!   writes it (`PRIMARY<<SECONDARY<NAMES`, ICAO 9303-3 §4.6), optionally a category;
//! - category: one of [`crate::Category`]'s names; without one, `listed`;
//! - case is ignored; blank lines and comment-only lines are skipped; `\r\n` line ends are
//!   fine.
//!
//! Anything else is an error naming the file and the line number, never the line's content.
//! One bad line rejects the whole file: a list that is partly read is not the agency's list.
//!
//! The file is re-read when its modification time or size changes, which is checked (one
//! `stat`) at every query. A re-read that fails keeps the last good list in use; the failure
//! is reported once (in [`crate::Checked::errors`]) and stays visible in
//! [`crate::BorderDb::file_status`] until the file changes to something that reads well.
//! Replace the file atomically (write a new file beside it, then rename it over the old one),
//! so a query never sees half a file.

use std::collections::HashMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::SystemTime;

use zeroize::Zeroizing;

use crate::error::{BorderDbError, LineProblem};
use crate::query::{normalize_document_number, normalize_name, normalize_state, Tag, TagKey};
use crate::{Action, Category, FileStatus, Hit, Query};

/// Checks a list file's content without keeping it: the number of entry lines, or the
/// first bad line (1-based) and what is wrong with it. Never panics, whatever the bytes
/// (fuzzed).
pub fn validate(text: &[u8]) -> Result<usize, (usize, LineProblem)> {
    let mut entries = 0;
    parse(text, |_, _| entries += 1)?;
    Ok(entries)
}

/// One entry of the file, normalised.
enum Entry<'a> {
    /// (issuing state, document number).
    Document(gate::CountryCode, &'a str),
    /// (date of birth, primary identifier, secondary identifier).
    Person(gate::CivilDate, &'a str, &'a str),
}

/// `YYYY-MM-DD`.
fn parse_date(text: &str) -> Option<gate::CivilDate> {
    let b = text.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let part = text.get(r)?;
        part.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    gate::CivilDate::new(y, u8::try_from(m).ok()?, u8::try_from(d).ok()?).ok()
}

/// Calls `entry` with each entry and its category, in file order.
fn parse(
    text: &[u8],
    mut entry: impl FnMut(Entry<'_>, Category),
) -> Result<(), (usize, LineProblem)> {
    for (index, line) in text.split(|&b| b == b'\n').enumerate() {
        let number = index + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if !line
            .iter()
            .all(|&b| b == b'\t' || (b' '..=b'~').contains(&b))
        {
            return Err((number, LineProblem::NotText));
        }
        // Printable ASCII, so this cannot fail.
        let line = std::str::from_utf8(line).map_err(|_| (number, LineProblem::NotText))?;
        let line = line.split('#').next().unwrap_or_default();
        let fields: Vec<&str> = line.split_ascii_whitespace().take(5).collect();
        let category = |f: Option<&&str>| match f {
            None => Ok(Category::Listed),
            Some(name) => Category::from_name(&name.to_ascii_lowercase())
                .ok_or((number, LineProblem::Category)),
        };
        match fields.as_slice() {
            [] => continue,
            [word, date, name, rest @ ..]
                if word.eq_ignore_ascii_case("person") && rest.len() <= 1 =>
            {
                let category = category(rest.first())?;
                let date = parse_date(date).ok_or((number, LineProblem::BirthDate))?;
                let (primary, secondary) = name.split_once("<<").unwrap_or((name, ""));
                let primary = normalize_name(primary)
                    .filter(|p| !p.is_empty())
                    .ok_or((number, LineProblem::Name))?;
                let secondary = normalize_name(secondary).ok_or((number, LineProblem::Name))?;
                entry(Entry::Person(date, &primary, &secondary), category);
            }
            [state, document_number, rest @ ..] if rest.len() <= 1 => {
                let category = category(rest.first())?;
                let state = normalize_state(state).ok_or((number, LineProblem::IssuingState))?;
                let document_number = normalize_document_number(document_number)
                    .ok_or((number, LineProblem::DocumentNumber))?;
                entry(Entry::Document(state, &document_number), category);
            }
            _ => return Err((number, LineProblem::Fields)),
        }
    }
    Ok(())
}

/// What identifies one version of the file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Version {
    modified: SystemTime,
    len: u64,
}

impl Version {
    fn of(path: &Path) -> Result<Self, io::ErrorKind> {
        let meta = fs::metadata(path).map_err(|e| e.kind())?;
        Ok(Self {
            // Filesystems without modification times: the size alone then decides.
            modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            len: meta.len(),
        })
    }
}

/// The list in use and what was last seen on disk.
struct State {
    tags: HashMap<Tag, Category>,
    /// The version `tags` were read from.
    loaded: Version,
    /// The last version looked at (a read attempt was made for it), or why `stat` failed.
    seen: Result<Version, io::ErrorKind>,
    /// Why `seen` could not be read, while the list in use is older than the file.
    stale: Option<BorderDbError>,
}

/// The list file, re-read when it changes.
pub(crate) struct ListFile {
    path: PathBuf,
    key: TagKey,
    state: Mutex<State>,
}

impl ListFile {
    /// Reads and parses the file; fails on the first problem.
    pub(crate) fn open(path: &Path, key: TagKey) -> Result<Self, BorderDbError> {
        let (tags, loaded) = load(path, &key)?;
        Ok(Self {
            path: path.to_path_buf(),
            key,
            state: Mutex::new(State {
                tags,
                loaded,
                seen: Ok(loaded),
                stale: None,
            }),
        })
    }

    /// The file's path.
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The entry of the query's document, else of its person, after re-reading the file if
    /// it changed; plus the re-read's failure when this query is the first to see it.
    pub(crate) fn find(&self, query: &Query) -> (Option<Hit>, Option<BorderDbError>) {
        let document = self.key.tag(query.issuing_state(), query.document_number());
        let person = query.person().and_then(|p| {
            let date = p.birth_date()?;
            Some(self.key.person_tag(date, p.primary(), p.secondary()))
        });
        let (tags, error) = self.lookup(&[Some(document), person]);
        let hit = tags.into_iter().flatten().next().map(|category| Hit {
            source: crate::FILE_SOURCE.into(),
            category,
            action: Action::new(category.default_action()),
        });
        (hit, error)
    }

    /// The categories of `tags` (in order), after re-reading the file if it changed.
    fn lookup(&self, tags: &[Option<Tag>]) -> (Vec<Option<Category>>, Option<BorderDbError>) {
        let mut state = self.lock();
        let mut reported = None;
        let now = Version::of(&self.path);
        if now != state.seen {
            state.seen = now;
            let reread = match now {
                Err(kind) => Err(BorderDbError::ReadFile {
                    path: self.path.clone(),
                    kind,
                }),
                Ok(_) => load(&self.path, &self.key),
            };
            match reread {
                Ok((tags, loaded)) => {
                    state.tags = tags;
                    state.loaded = loaded;
                    // The version actually read (the file may have changed after `stat`).
                    state.seen = Ok(loaded);
                    state.stale = None;
                }
                Err(e) => {
                    state.stale = Some(e.clone());
                    reported = Some(e);
                }
            }
        }
        let found = tags
            .iter()
            .map(|t| t.as_ref().and_then(|t| state.tags.get(t).copied()))
            .collect();
        (found, reported)
    }

    /// Entries, version and staleness of the list in use.
    pub(crate) fn status(&self) -> FileStatus {
        let state = self.lock();
        FileStatus {
            entries: state.tags.len(),
            modified: state.loaded.modified,
            stale: state.stale.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Nothing panics while the lock is held; were it poisoned, the state is still whole
        // (every update replaces fields with complete values).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Reads and parses the file: its tags and the version read (taken before reading, so a
/// change during the read shows up as a new version at the next query).
fn load(path: &Path, key: &TagKey) -> Result<(HashMap<Tag, Category>, Version), BorderDbError> {
    let read_error = |kind| BorderDbError::ReadFile {
        path: path.to_path_buf(),
        kind,
    };
    let version = Version::of(path).map_err(read_error)?;
    let text = Zeroizing::new(fs::read(path).map_err(|e| read_error(e.kind()))?);
    let mut tags = HashMap::new();
    parse(&text, |entry, category| {
        let tag = match entry {
            Entry::Document(state, number) => key.tag(state, number),
            Entry::Person(date, primary, secondary) => key.person_tag(date, primary, secondary),
        };
        // The first entry of a document or person decides its category.
        tags.entry(tag).or_insert(category);
    })
    .map_err(|(line, problem)| BorderDbError::Malformed {
        path: path.to_path_buf(),
        line,
        problem,
    })?;
    Ok((tags, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_comments_blanks_and_line_ends() {
        let text =
            b"# list\n\nUTO L898902C3\r\n  d<<\tc01x00t47   # reported 2025-05-01\nUTO AB12<<<<<\n";
        assert_eq!(validate(text), Ok(3));
        assert_eq!(validate(b""), Ok(0));
        assert_eq!(validate(b"\n\n# only comments\n"), Ok(0));
    }

    #[test]
    fn bad_lines_are_reported_by_number() {
        assert_eq!(validate(b"UTO\n"), Err((1, LineProblem::Fields)));
        assert_eq!(
            validate(b"# ok\nUTO L898902C3 extra\n"),
            Err((2, LineProblem::Category))
        );
        assert_eq!(
            validate(b"UTO L898902C3 stolen_document extra\n"),
            Err((1, LineProblem::Fields))
        );
        assert_eq!(
            validate(b"person 1974-02-30 ERIKSSON<<ANNA\n"),
            Err((1, LineProblem::BirthDate))
        );
        assert_eq!(
            validate(b"person 1974-08-12 <<ANNA\n"),
            Err((1, LineProblem::Name))
        );
        assert_eq!(
            validate(b"person 1974-08-12 ERIKSSON<<ANNA wanted_person\nUTO A1 LOST_DOCUMENT\n"),
            Ok(2)
        );
        assert_eq!(
            validate(b"\n\nUT0 L898902C3\n"),
            Err((3, LineProblem::IssuingState))
        );
        assert_eq!(
            validate(b"UTO L898-902C3\n"),
            Err((1, LineProblem::DocumentNumber))
        );
        assert_eq!(
            validate("UTO L898902C3\nUTO ÄB12\n".as_bytes()),
            Err((2, LineProblem::NotText))
        );
        assert_eq!(
            validate(b"UTO L89\x008902C3"),
            Err((1, LineProblem::NotText))
        );
    }
}
