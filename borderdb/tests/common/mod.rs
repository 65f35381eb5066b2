//! What the border database tests share.

use borderdb::Answer;

/// The answer's kind, for comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Clear,
    Hit,
    Unavailable,
}

/// The kind of `a`.
pub fn kind(a: &Answer) -> Kind {
    match a {
        Answer::Clear => Kind::Clear,
        Answer::Hit(_) => Kind::Hit,
        Answer::Unavailable { .. } => Kind::Unavailable,
    }
}
