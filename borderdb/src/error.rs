//! Errors. None holds a document number, a name, an MRZ or a line of the list file: paths,
//! line numbers, config keys and fixed texts only.

use std::io;
use std::path::PathBuf;

use crate::endpoint::EndpointError;

/// Why the border databases could not be opened, or what went wrong during a query.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BorderDbError {
    /// Neither `[borderdb] file` nor `url` is set.
    #[error("no borderdb configured: [borderdb] file and url are both empty")]
    NotConfigured,
    /// A value of `[borderdb]` is out of range (see [`crate::BorderDbConfig::problems`]).
    #[error("{key}: {message}")]
    Config {
        /// Dotted config key, e.g. `borderdb.url`.
        key: String,
        /// What is wrong with it.
        message: String,
    },
    /// The list file cannot be read (missing, unreadable, removed).
    #[error("borderdb file {}: {kind}", path.display())]
    ReadFile {
        /// The list file.
        path: PathBuf,
        /// The operating system's error.
        kind: io::ErrorKind,
    },
    /// A line of the list file is not an entry, a comment or blank. The line's content is
    /// not repeated: it may hold a document number.
    #[error("borderdb file {}, line {line}: {problem}", path.display())]
    Malformed {
        /// The list file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong with the line.
        problem: LineProblem,
    },
    /// The token file cannot be read.
    #[error("borderdb token file {}: {kind}", path.display())]
    ReadToken {
        /// The token file.
        path: PathBuf,
        /// The operating system's error.
        kind: io::ErrorKind,
    },
    /// The token file does not hold one bearer token.
    #[error(
        "borderdb token file {}: must hold one token of visible ASCII characters \
         (RFC 6750 §2.1), optionally followed by a newline",
        path.display()
    )]
    BadToken {
        /// The token file.
        path: PathBuf,
    },
    /// The CA file cannot be read.
    #[error("borderdb CA file {}: {kind}", path.display())]
    ReadCa {
        /// The CA file.
        path: PathBuf,
        /// The operating system's error.
        kind: io::ErrorKind,
    },
    /// The CA file holds no PEM certificate, or a PEM block that does not parse.
    #[error("borderdb CA file {}: not a PEM bundle of CA certificates", path.display())]
    BadCa {
        /// The CA file.
        path: PathBuf,
    },
    /// The HTTP client for the endpoint cannot be set up.
    #[error("borderdb endpoint: the HTTP client cannot be set up: {0}")]
    Client(String),
    /// A source other than the file and the endpoint gave no answer.
    #[error("borderdb source {source_name}: {detail}")]
    SourceDown {
        /// The source's configured name.
        source_name: String,
        /// Why (no personal data).
        detail: String,
    },
    /// The endpoint did not answer `hit` or `no hit`: the result is `Unavailable`.
    #[error("borderdb endpoint: {0}")]
    Endpoint(#[from] EndpointError),
}

/// What is wrong with a line of the list file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LineProblem {
    /// Not printable ASCII (e.g. not UTF-8, a control character).
    #[error("not printable ASCII text")]
    NotText,
    /// Not an entry: a document entry is an issuing state, a document number and maybe a
    /// category; a person entry is `person`, a date of birth, a name and maybe a category.
    #[error(
        "expected an issuing state, a document number and maybe a category, or \
         'person', a date of birth (YYYY-MM-DD), a name (SURNAME<<GIVEN<NAMES) and maybe a category"
    )]
    Fields,
    /// The category is not one of the known names.
    #[error("unknown category (stolen_document, lost_document, revoked_document, refusal_of_entry, wanted_person, missing_person, check, listed)")]
    Category,
    /// A person entry's date of birth is not a date written YYYY-MM-DD.
    #[error("the date of birth must be a date written YYYY-MM-DD")]
    BirthDate,
    /// A person entry's name is not MRZ letters and fillers, or has no primary identifier.
    #[error("the name must be written as in the MRZ: SURNAME<<GIVEN<NAMES, letters and '<' only")]
    Name,
    /// The first field is not an ICAO 9303-3 code.
    #[error("the issuing state must be an ICAO 9303-3 code: 1 to 3 letters, '<' fillers allowed")]
    IssuingState,
    /// The second field is not a document number.
    #[error(
        "the document number must be 1 to {} letters or digits ('<' fillers ignored)",
        crate::query::MAX_DOCUMENT_NUMBER
    )]
    DocumentNumber,
}
