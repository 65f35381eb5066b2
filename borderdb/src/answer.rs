//! What a border database answers: [`Answer`], its [`Hit`] with a [`Category`] and the
//! required [`Action`].

use std::fmt;

use zeroize::Zeroizing;

/// The answer of the border databases for one query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// No source holds the document or the person.
    Clear,
    /// A source holds the document or the person.
    Hit(Hit),
    /// A source could not be asked (and no other source had a hit).
    Unavailable {
        /// The configured name of the source that did not answer.
        source: String,
    },
}

/// A match in one source: which, of what kind, and what the officer must do.
///
/// `Debug` shows the source and the category, never the action: the action is for the
/// officer handling the referral only.
#[derive(Clone, PartialEq, Eq)]
pub struct Hit {
    /// The database that holds the record: a configured source's name, or the database an
    /// endpoint names in its answer (e.g. `sis`, `sltd`).
    pub source: String,
    /// What kind of record.
    pub category: Category,
    /// What the officer must do.
    pub action: Action,
}

impl fmt::Debug for Hit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hit")
            .field("source", &self.source)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

gate::named_enum! {
    /// The kind of record a hit found, after the record types national SIS interfaces and
    /// Interpol's SLTD answer with. The audit trail records it (with the source), never the
    /// record itself.
    pub enum Category {
        /// SLTD / SIS objects: a document reported stolen (Regulation (EU) 2018/1862 Art. 38(2)(j)).
        StolenDocument => "stolen_document",
        /// SLTD: a document reported lost.
        LostDocument => "lost_document",
        /// SLTD: a document revoked or invalidated by its issuer.
        RevokedDocument => "revoked_document",
        /// SIS: an alert for refusal of entry and stay (Regulation (EU) 2018/1861 Art. 24).
        RefusalOfEntry => "refusal_of_entry",
        /// SIS: a person wanted for arrest (Regulation (EU) 2018/1862 Art. 26).
        WantedPerson => "wanted_person",
        /// SIS: a missing or vulnerable person (Regulation (EU) 2018/1862 Art. 32).
        MissingPerson => "missing_person",
        /// SIS: discreet, inquiry or specific check (Regulation (EU) 2018/1862 Art. 36).
        Check => "check",
        /// A local list entry without a category of its own.
        Listed => "listed",
    }
}

impl Category {
    /// The action shown to the handling officer when the source gives none (a local list).
    pub fn default_action(self) -> &'static str {
        match self {
            Category::StolenDocument | Category::LostDocument | Category::RevokedDocument => {
                "Retain the document; check the holder's identity."
            }
            Category::RefusalOfEntry => "Refuse entry; inform the SIRENE bureau.",
            Category::WantedPerson => "Detain the person; inform the SIRENE bureau at once.",
            Category::MissingPerson => "Protect the person; inform the SIRENE bureau.",
            Category::Check => "Carry out the check the alert asks for; do not alert the person.",
            Category::Listed => "Second-line check.",
        }
    }
}

/// Longest action text kept, characters.
pub const MAX_ACTION: usize = 500;

/// The action a hit requires of the officer, as the source words it. Zeroized when dropped;
/// `Debug` shows no text.
#[derive(Clone, PartialEq, Eq)]
pub struct Action(Zeroizing<String>);

impl Action {
    /// An action text: printable characters only (others become spaces), at most
    /// [`MAX_ACTION`] characters.
    pub fn new(text: &str) -> Self {
        let mut s = Zeroizing::new(String::with_capacity(text.len().min(MAX_ACTION * 4)));
        for c in text.chars().take(MAX_ACTION) {
            s.push(if c.is_control() { ' ' } else { c });
        }
        Self(s)
    }

    /// The text, for the handling officer only.
    pub fn text(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Action(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_shows_no_action() {
        let hit = Hit {
            source: "sis".into(),
            category: Category::WantedPerson,
            action: Action::new("Arrest ERIKSSON"),
        };
        let shown = format!("{hit:?} {:?}", Answer::Hit(hit.clone()));
        assert!(!shown.contains("ERIKSSON"), "{shown}");
        assert!(
            shown.contains("sis") && shown.contains("WantedPerson"),
            "{shown}"
        );
    }

    #[test]
    fn actions_are_bounded_and_printable() {
        assert_eq!(Action::new("a\nb\u{7}c").text(), "a b c");
        assert_eq!(Action::new(&"x".repeat(900)).text().len(), MAX_ACTION);
    }

    #[test]
    fn every_category_has_a_default_action() {
        for c in Category::ALL {
            assert!(!c.default_action().is_empty(), "{c}");
            assert_eq!(Category::from_name(c.as_str()), Some(c));
        }
    }
}
