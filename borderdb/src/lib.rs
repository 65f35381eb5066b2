//! The border database check: is this document, or this person, in a border database?
//!
//! Contract: one [`Query`] per passage — the document (number, issuing state, type) and the
//! person (names and date of birth from DG1) — in, one [`Answer`] out: `Clear`,
//! `Hit { source, category, action }` or `Unavailable { source }`, plus one [`SourceReport`]
//! per source asked (its name, how long it took, whether it answered) and the errors worth
//! logging, in a [`Checked`]. The sources are configured adapters behind [`Source`]: a local
//! list file ([`list_file`]), an HTTPS endpoint speaking the JSON contract of
//! `docs/borderdb-http.md` ([`endpoint`]), and whatever else the daemon adds with
//! [`BorderDb::with_source`] (the simulator's back end). What a hit does is the gate's
//! business (it refers the traveller without telling them why).
//!
//! The EES step (Regulation (EU) 2017/2226) is the other border database a lane asks: its
//! adapter trait and the authorised-stay arithmetic are in [`ees`].
//!
//! Data protection: a [`Query`] is zeroized when dropped and its `Debug` shows no field; a
//! hit's [`Action`] likewise; no error, `Debug` or `Display` of this crate ever holds a
//! document number, name, date of birth or MRZ; a malformed list line is reported by its
//! number, never its content. The list file's entries are kept in memory only as
//! HMAC-SHA-256 tags under a key drawn at start, not as text.
//!
//! Failure behaviour (see `README.md`): every source is asked in order until one has a hit;
//! a hit wins at once; otherwise a source that did not answer makes the answer
//! `Unavailable` naming it, even though the others said clear.
//!
//! Queries block (file `stat`, HTTP): the daemon runs them on a blocking thread.
//!
//! ```no_run
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use borderdb::{Answer, BorderDb, BorderDbConfig, Person, Query, QueryFields};
//! let config = BorderDbConfig {
//!     file: "/etc/egate/borderdb.txt".into(), // the `[borderdb]` table of egate.toml
//!     ..BorderDbConfig::default()
//! };
//! let db = BorderDb::new(&config)?; // once, at start
//!
//! // Per passage, from the verified DG1:
//! let query = Query::new(QueryFields {
//!     document_code: "P<",
//!     issuing_state: "UTO",
//!     document_number: "L898902C3",
//!     nationality: "UTO",
//! })?
//! .with_person(Person::new("ERIKSSON", "ANNA<MARIA", None).ok_or("bad name")?);
//! let checked = db.check(&query);
//! for error in &checked.errors {
//!     eprintln!("borderdb: {error}"); // safe to log: no document data
//! }
//! assert!(matches!(checked.answer, Answer::Clear | Answer::Hit(_)));
//! # Ok(()) }
//! ```

mod answer;
mod config;
pub mod ees;
pub mod endpoint;
mod error;
pub mod list_file;
mod query;

use std::fmt;
use std::time::{Duration, Instant, SystemTime};

pub use answer::{Action, Answer, Category, Hit, MAX_ACTION};
pub use config::{BorderDbConfig, ANNOTATED_DEFAULT};
pub use endpoint::EndpointError;
pub use error::{BorderDbError, LineProblem};
pub use query::{Person, Query, QueryError, QueryFields};

use endpoint::Endpoint;
use list_file::ListFile;
use query::TagKey;

/// One source of the border databases: asked once per query, on a blocking thread.
pub trait Source: Send + Sync {
    /// The configured name (alarms, metrics and audit records name it): a few lower-case
    /// letters, digits or `_`.
    fn name(&self) -> &str;
    /// `Ok(None)` for no record, `Ok(Some(hit))` for a record, `Err` when the source gave no
    /// usable answer (the check's answer is then `Unavailable` unless another source hits).
    fn query(&self, query: &Query) -> Result<Option<Hit>, BorderDbError>;
}

impl<T: Source + ?Sized> Source for std::sync::Arc<T> {
    fn name(&self) -> &str {
        (**self).name()
    }
    fn query(&self, query: &Query) -> Result<Option<Hit>, BorderDbError> {
        (**self).query(query)
    }
}

/// How one source fared with one query: for metrics (latency per source) and for the
/// alarm of a source that stopped answering. Holds no query data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceReport {
    /// The source's name.
    pub source: String,
    /// How long it took.
    pub took: Duration,
    /// Whether it answered (hit or no hit).
    pub answered: bool,
}

/// The configured border databases: the local file, the endpoint, added sources, in that
/// order. `Send + Sync`: share it between blocking threads behind an `Arc`.
pub struct BorderDb {
    file: Option<ListFile>,
    sources: Vec<Box<dyn Source>>,
}

/// The answer to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What the gate decides on.
    pub answer: Answer,
    /// Each source asked, in order.
    pub reports: Vec<SourceReport>,
    /// Problems to log (none holds document data): why a source gave no answer, and a
    /// list file re-read that just failed (reported once; the last good list was used).
    pub errors: Vec<BorderDbError>,
}

/// The state of the local list file, for the console, `/ready` and metrics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileStatus {
    /// Entries in the list in use.
    pub entries: usize,
    /// Modification time of the file the list in use was read from.
    pub modified: SystemTime,
    /// Why the file could not be re-read since it changed: the list in use is then older
    /// than the file. `None` when the list in use is the file's current content.
    pub stale: Option<BorderDbError>,
}

/// The name of the local list file's source.
pub const FILE_SOURCE: &str = "list_file";
/// The name of the HTTPS endpoint's source.
pub const ENDPOINT_SOURCE: &str = "endpoint";

impl BorderDb {
    /// Opens the configured sources: reads and parses the file, reads the token and CA files
    /// and prepares the HTTP client (no network traffic yet).
    ///
    /// Errors: the first of [`BorderDbConfig::problems`] as [`BorderDbError::Config`], or the
    /// first file that cannot be read or parsed. With neither `file` nor `url` set, there
    /// are no sources yet: add one with [`BorderDb::with_source`], or the check answers
    /// `Unavailable` (see [`BorderDb::is_empty`]).
    pub fn new(config: &BorderDbConfig) -> Result<Self, BorderDbError> {
        if let Some((key, message)) = config.problems().into_iter().next() {
            return Err(BorderDbError::Config { key, message });
        }
        let file = if config.file.as_os_str().is_empty() {
            None
        } else {
            Some(ListFile::open(&config.file, TagKey::random())?)
        };
        let mut sources: Vec<Box<dyn Source>> = Vec::new();
        if !config.url.is_empty() {
            sources.push(Box::new(Endpoint::new(config)?));
        }
        Ok(Self { file, sources })
    }

    /// Adds a source, asked after those already configured.
    pub fn with_source(mut self, source: Box<dyn Source>) -> Self {
        self.sources.push(source);
        self
    }

    /// Whether no source is configured.
    pub fn is_empty(&self) -> bool {
        self.file.is_none() && self.sources.is_empty()
    }

    /// The names of the sources, in the order they are asked.
    pub fn source_names(&self) -> Vec<String> {
        let file = self.file.as_ref().map(|_| FILE_SOURCE.to_string());
        file.into_iter()
            .chain(self.sources.iter().map(|s| s.name().to_string()))
            .collect()
    }

    /// Asks each source in turn until one has a hit. Blocks for at most about the sum of the
    /// sources' timeouts.
    pub fn check(&self, query: &Query) -> Checked {
        let mut errors = Vec::new();
        let mut reports = Vec::new();
        let mut unavailable: Option<String> = None;
        if let Some(file) = &self.file {
            let started = Instant::now();
            let (hit, reload_error) = file.find(query);
            errors.extend(reload_error);
            reports.push(SourceReport {
                source: FILE_SOURCE.into(),
                took: started.elapsed(),
                answered: true,
            });
            if let Some(hit) = hit {
                return Checked {
                    answer: Answer::Hit(hit),
                    reports,
                    errors,
                };
            }
        }
        for source in &self.sources {
            let started = Instant::now();
            let result = source.query(query);
            reports.push(SourceReport {
                source: source.name().to_string(),
                took: started.elapsed(),
                answered: result.is_ok(),
            });
            match result {
                Ok(Some(hit)) => {
                    return Checked {
                        answer: Answer::Hit(hit),
                        reports,
                        errors,
                    }
                }
                Ok(None) => {}
                Err(e) => {
                    errors.push(e);
                    unavailable.get_or_insert_with(|| source.name().to_string());
                }
            }
        }
        let answer = match unavailable {
            Some(source) => Answer::Unavailable { source },
            None if self.is_empty() => Answer::Unavailable {
                source: "none".into(),
            },
            None => Answer::Clear,
        };
        Checked {
            answer,
            reports,
            errors,
        }
    }

    /// The local list file's state; `None` when no file is configured.
    pub fn file_status(&self) -> Option<FileStatus> {
        self.file.as_ref().map(ListFile::status)
    }
}

impl fmt::Debug for BorderDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither the key, the entries nor the bearer token.
        f.debug_struct("BorderDb")
            .field("file", &self.file.as_ref().map(ListFile::path))
            .field("sources", &self.source_names())
            .finish_non_exhaustive()
    }
}
