//! The watchlist check: is this document on the list?
//!
//! Contract: one [`Query`] per passage (issuing state, document number, nationality, document
//! type) in, one [`gate::WatchlistResult`] out — `Clear`, `Hit` or `Unavailable` — plus the
//! errors worth logging, in a [`Checked`]. The list is a local file ([`list_file`]), an HTTP
//! endpoint ([`endpoint`]), or both; a hit in either is a hit. What a hit does is the gate's
//! business (it refers the traveller without telling them why).
//!
//! Data protection: a [`Query`] is zeroized when dropped and its `Debug` shows no field; no
//! error, `Debug` or `Display` of this crate ever holds a document number, name or MRZ; a
//! malformed list line is reported by its number, never its content. The list file's entries
//! are kept in memory only as HMAC-SHA-256 tags under a key drawn at start, not as text.
//!
//! Failure behaviour (see `README.md`):
//! - file: re-read when its modification time or size changes (checked at every query, one
//!   `stat`); a re-read that fails keeps the last good list, reports the error once in
//!   [`Checked::errors`] and keeps it in [`Watchlist::file_status`] until a good re-read;
//! - endpoint: a timeout, a refused connection, a TLS failure, a non-2xx status, a redirect
//!   or an answer that is not `{"hit": true|false}` within 64 KiB is `Unavailable`, with an
//!   [`EndpointError`] saying why;
//! - both: a file hit is a `Hit` at once (the endpoint is not asked); otherwise the endpoint
//!   decides, so an endpoint failure is `Unavailable` even though the file said clear.
//!
//! Queries block (file `stat`, HTTP): the daemon runs them on a blocking thread.
//!
//! ```no_run
//! # fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use watchlist::{Query, QueryFields, Watchlist, WatchlistConfig, WatchlistResult};
//! let config = WatchlistConfig {
//!     file: "/etc/egate/watchlist.txt".into(), // the `[watchlist]` table of egate.toml
//!     ..WatchlistConfig::default()
//! };
//! let list = Watchlist::new(&config)?; // once, at start
//!
//! // Per passage, from the verified DG1:
//! let query = Query::new(QueryFields {
//!     document_code: "P<",
//!     issuing_state: "UTO",
//!     document_number: "L898902C3",
//!     nationality: "UTO",
//! })?;
//! let checked = list.check(&query);
//! for error in &checked.errors {
//!     eprintln!("watchlist: {error}"); // safe to log: no document data
//! }
//! assert!(matches!(checked.result, WatchlistResult::Clear | WatchlistResult::Hit));
//! # Ok(()) }
//! ```

mod config;
pub mod endpoint;
mod error;
pub mod list_file;
mod query;

use std::fmt;
use std::time::SystemTime;

pub use gate::WatchlistResult;

pub use config::{WatchlistConfig, ANNOTATED_DEFAULT};
pub use endpoint::EndpointError;
pub use error::{LineProblem, WatchlistError};
pub use query::{Query, QueryError, QueryFields};

use endpoint::Endpoint;
use list_file::ListFile;
use query::TagKey;

/// A configured watchlist: the local file, the endpoint, or both. `Send + Sync`: share it
/// between blocking threads behind an `Arc`.
pub struct Watchlist {
    key: TagKey,
    file: Option<ListFile>,
    endpoint: Option<Endpoint>,
}

/// The answer to one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// What the gate decides on.
    pub result: WatchlistResult,
    /// Problems to log (none holds document data): why the result is `Unavailable`, and a
    /// list file re-read that just failed (reported once; the last good list was used).
    pub errors: Vec<WatchlistError>,
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
    pub stale: Option<WatchlistError>,
}

impl Watchlist {
    /// Opens the configured list: reads and parses the file, reads the token and CA files
    /// and prepares the HTTP client (no network traffic yet).
    ///
    /// Errors: [`WatchlistError::NotConfigured`] when neither `file` nor `url` is set, the
    /// first of [`WatchlistConfig::problems`] as [`WatchlistError::Config`], or the first
    /// file that cannot be read or parsed.
    pub fn new(config: &WatchlistConfig) -> Result<Self, WatchlistError> {
        if !config.is_configured() {
            return Err(WatchlistError::NotConfigured);
        }
        if let Some((key, message)) = config.problems().into_iter().next() {
            return Err(WatchlistError::Config { key, message });
        }
        let key = TagKey::random();
        let file = if config.file.as_os_str().is_empty() {
            None
        } else {
            Some(ListFile::open(&config.file, key.clone())?)
        };
        let endpoint = if config.url.is_empty() {
            None
        } else {
            Some(Endpoint::new(config)?)
        };
        Ok(Self {
            key,
            file,
            endpoint,
        })
    }

    /// Is the document of `query` on the list? Blocks for at most about the configured
    /// `timeout_s` when an endpoint is configured.
    pub fn check(&self, query: &Query) -> Checked {
        let mut errors = Vec::new();
        if let Some(file) = &self.file {
            let tag = self.key.tag(query.issuing_state(), query.document_number());
            let (hit, reload_error) = file.contains(&tag);
            errors.extend(reload_error);
            if hit {
                return Checked {
                    result: WatchlistResult::Hit,
                    errors,
                };
            }
        }
        let result = match &self.endpoint {
            None => WatchlistResult::Clear,
            Some(endpoint) => match endpoint.query(query) {
                Ok(true) => WatchlistResult::Hit,
                Ok(false) => WatchlistResult::Clear,
                Err(e) => {
                    errors.push(WatchlistError::Endpoint(e));
                    WatchlistResult::Unavailable
                }
            },
        };
        Checked { result, errors }
    }

    /// The local list file's state; `None` when no file is configured.
    pub fn file_status(&self) -> Option<FileStatus> {
        self.file.as_ref().map(ListFile::status)
    }
}

impl fmt::Debug for Watchlist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Neither the key, the entries nor the bearer token.
        f.debug_struct("Watchlist")
            .field("file", &self.file.as_ref().map(ListFile::path))
            .field("url", &self.endpoint.as_ref().map(Endpoint::url))
            .finish_non_exhaustive()
    }
}
