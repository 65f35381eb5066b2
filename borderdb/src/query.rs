//! One passage's question — the document and the person — and the keyed tags the list file
//! is held as.

use std::fmt;

use gate::{CivilDate, CountryCode};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;
use zeroize::Zeroizing;

/// Longest document number accepted, fillers removed: TD1 spreads a long number over its
/// 9-character field and the optional data that follows (ICAO 9303-5), so allow more than 9.
pub(crate) const MAX_DOCUMENT_NUMBER: usize = 24;

/// Why a [`Query`] could not be made. Says which field, never its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum QueryError {
    /// The issuing state is not 1 to 3 letters (then `<` fillers).
    #[error("the issuing state must be an ICAO 9303-3 code: 1 to 3 letters, '<' fillers allowed")]
    IssuingState,
    /// The nationality is not 1 to 3 letters (then `<` fillers).
    #[error("the nationality must be an ICAO 9303-3 code: 1 to 3 letters, '<' fillers allowed")]
    Nationality,
    /// Not 1 to 24 letters or digits once fillers are removed.
    #[error(
        "the document number must be 1 to {} letters or digits ('<' fillers ignored)",
        MAX_DOCUMENT_NUMBER
    )]
    DocumentNumber,
    /// The document code does not start with a letter.
    #[error("the document code must start with a letter (P, I, A, C, V, ...)")]
    DocumentCode,
}

/// The question for one passage: the document (number, issuing state, type), as a
/// lost-and-stolen-document check needs it, and, once [`Query::with_person`] added them, the
/// person (names and date of birth from DG1), as a check for persons needs them.
///
/// Zeroized when dropped; `Debug` shows no field (not even the states: they narrow down who
/// the traveller is).
pub struct Query {
    issuing_state: CountryCode,
    nationality: CountryCode,
    document_type: char,
    document_number: Zeroizing<String>,
    person: Option<Person>,
}

/// The person of a [`Query`]: the names and date of birth of DG1 (ICAO 9303-4 §4.2.2 /
/// 9303-10 §4.7.1), normalised. Zeroized when dropped; `Debug` shows no field.
pub struct Person {
    /// Primary identifier (surname), upper case, one space between its parts.
    primary: Zeroizing<String>,
    /// Secondary identifier (given names), upper case, one space between names; may be empty.
    secondary: Zeroizing<String>,
    /// Date of birth; `None` when DG1 gives a partial date (`<` for unknown parts).
    birth_date: Option<CivilDate>,
}

impl Person {
    /// The person from DG1's name fields and date of birth. Names: ICAO 9303-3 §4.6 — letters
    /// and fillers only; fillers (`<` or spaces) separate the parts. `None` when the primary
    /// identifier is empty or holds something else than letters.
    pub fn new(primary: &str, secondary: &str, birth_date: Option<CivilDate>) -> Option<Self> {
        let primary = normalize_name(primary)?;
        if primary.is_empty() {
            return None;
        }
        let secondary = normalize_name(secondary)?;
        Some(Self {
            primary,
            secondary,
            birth_date,
        })
    }

    /// The primary identifier, normalised.
    pub(crate) fn primary(&self) -> &str {
        &self.primary
    }

    /// The secondary identifier, normalised (maybe empty).
    pub(crate) fn secondary(&self) -> &str {
        &self.secondary
    }

    /// The date of birth, when complete.
    pub fn birth_date(&self) -> Option<CivilDate> {
        self.birth_date
    }

    /// Whether the person's names are `primary` and `secondary` once both are normalised
    /// (for a source that matches names itself).
    pub fn is_named(&self, primary: &str, secondary: &str) -> bool {
        normalize_name(primary).is_some_and(|p| *p == *self.primary)
            && normalize_name(secondary).is_some_and(|s| *s == *self.secondary)
    }
}

impl fmt::Debug for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Person { <redacted> }")
    }
}

/// Longest name part accepted (a TD3 name field is 39 characters, DG1 no longer).
const MAX_NAME: usize = 64;

/// Upper case, `<` and spaces as one space between parts, no leading or trailing space;
/// `None` if anything but ASCII letters and fillers, or longer than [`MAX_NAME`].
pub(crate) fn normalize_name(text: &str) -> Option<Zeroizing<String>> {
    let mut name = Zeroizing::new(String::with_capacity(text.len().min(MAX_NAME)));
    let mut gap = false;
    for c in text.chars() {
        if c == '<' || c == ' ' {
            gap = !name.is_empty();
            continue;
        }
        if !c.is_ascii_alphabetic() || name.len() + 2 > MAX_NAME {
            return None;
        }
        if gap {
            name.push(' ');
            gap = false;
        }
        name.push(c.to_ascii_uppercase());
    }
    Some(name)
}

/// The MRZ fields a [`Query`] is made from, as read: `<` fillers and case are ignored.
/// Named fields, so that two strings cannot be swapped unseen. `Debug` shows no field.
#[derive(Clone, Copy)]
pub struct QueryFields<'a> {
    /// Document code (`P`, `PD`, `I<`, …); its first letter is the document type.
    pub document_code: &'a str,
    /// Issuing state, ICAO 9303-3 (`UTO`, `D<<` or `D`).
    pub issuing_state: &'a str,
    /// Document number; a TD1 number that overflows into the optional data, given whole.
    pub document_number: &'a str,
    /// The holder's nationality, ICAO 9303-3.
    pub nationality: &'a str,
}

impl fmt::Debug for QueryFields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("QueryFields { <redacted> }")
    }
}

impl Query {
    /// A query from the document's MRZ fields, normalised: states as three-character codes
    /// (`D` becomes `D<<`), the document number in upper case without fillers, the document
    /// type as the code's first letter.
    pub fn new(fields: QueryFields<'_>) -> Result<Self, QueryError> {
        let issuing_state =
            normalize_state(fields.issuing_state).ok_or(QueryError::IssuingState)?;
        let nationality = normalize_state(fields.nationality).ok_or(QueryError::Nationality)?;
        let document_number =
            normalize_document_number(fields.document_number).ok_or(QueryError::DocumentNumber)?;
        let document_type = fields
            .document_code
            .chars()
            .next()
            .filter(char::is_ascii_alphabetic)
            .ok_or(QueryError::DocumentCode)?
            .to_ascii_uppercase();
        Ok(Self {
            issuing_state,
            nationality,
            document_type,
            document_number,
            person: None,
        })
    }

    /// The same query, asking about the person too.
    pub fn with_person(mut self, person: Person) -> Self {
        self.person = Some(person);
        self
    }

    /// The person, when the query asks about one.
    pub fn person(&self) -> Option<&Person> {
        self.person.as_ref()
    }

    /// The issuing state.
    pub fn issuing_state(&self) -> CountryCode {
        self.issuing_state
    }

    /// The holder's nationality.
    pub fn nationality(&self) -> CountryCode {
        self.nationality
    }

    /// The document type: the first letter of the document code.
    pub fn document_type(&self) -> char {
        self.document_type
    }

    /// The document number, upper case, without fillers. Crate-private: it leaves the crate
    /// only in the body of the endpoint request and in a source's own matching.
    pub fn document_number(&self) -> &str {
        &self.document_number
    }
}

impl fmt::Debug for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Query { <redacted> }")
    }
}

/// Upper case, fillers `<` removed; `None` unless 1 to [`MAX_DOCUMENT_NUMBER`] letters or
/// digits remain. The result is zeroized when dropped.
pub(crate) fn normalize_document_number(text: &str) -> Option<Zeroizing<String>> {
    let mut number = Zeroizing::new(String::with_capacity(text.len()));
    for c in text.chars().filter(|&c| c != '<') {
        if !c.is_ascii_alphanumeric() || number.len() == MAX_DOCUMENT_NUMBER {
            return None;
        }
        number.push(c.to_ascii_uppercase());
    }
    (!number.is_empty()).then_some(number)
}

/// An issuing state as written in a list: 1 to 3 letters, any case, `<` fillers anywhere
/// after them (`D`, `D<<`, `d` are all Germany's `D<<`, ICAO 9303-3).
pub(crate) fn normalize_state(text: &str) -> Option<CountryCode> {
    let letters = text.trim_end_matches('<');
    if letters.is_empty() || letters.len() > 3 || !letters.bytes().all(|b| b.is_ascii_alphabetic())
    {
        return None;
    }
    let mut code = [b'<'; 3];
    for (slot, b) in code.iter_mut().zip(letters.bytes()) {
        *slot = b.to_ascii_uppercase();
    }
    CountryCode::new(std::str::from_utf8(&code).ok()?).ok()
}

/// An entry's tag: HMAC-SHA-256 over the issuing state's three characters and the
/// normalised document number, under a key drawn at start. The list is held as tags so the
/// process holds no readable list of document numbers; a new key each start means the tags
/// mean nothing outside this process.
pub(crate) type Tag = [u8; 32];

/// The key of the tags.
#[derive(Clone)]
pub(crate) struct TagKey(Zeroizing<[u8; 32]>);

impl TagKey {
    /// A fresh key from the operating system's random source.
    pub(crate) fn random() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rngs::OsRng.fill_bytes(key.as_mut());
        Self(key)
    }

    /// The tag of (issuing state, normalised document number).
    pub(crate) fn tag(&self, state: CountryCode, document_number: &str) -> Tag {
        // HMAC accepts keys of any length; 32 bytes cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        // The state is always three characters, so (state, number) pairs cannot collide by
        // shifting characters between the fields.
        mac.update(state.as_str().as_bytes());
        mac.update(document_number.as_bytes());
        mac.finalize().into_bytes().into()
    }

    /// The tag of a person: (date of birth, normalised primary and secondary identifiers).
    /// Domain-separated from document tags by a leading `P` and a fixed-length date, which no
    /// state code (letters then fillers) can produce.
    pub(crate) fn person_tag(&self, birth_date: CivilDate, primary: &str, secondary: &str) -> Tag {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.0.as_ref())
            .unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
        mac.update(b"P\x00");
        mac.update(birth_date.to_string().as_bytes());
        // A separator no normalised name holds, so the split between the parts is fixed.
        mac.update(primary.as_bytes());
        mac.update(b"\x00");
        mac.update(secondary.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cc(s: &str) -> CountryCode {
        CountryCode::new(s).unwrap()
    }

    #[test]
    fn document_numbers_are_normalised() {
        assert_eq!(
            normalize_document_number("l898902c3")
                .as_deref()
                .map(String::as_str),
            Some("L898902C3")
        );
        assert_eq!(
            normalize_document_number("AB12<<<<<")
                .as_deref()
                .map(String::as_str),
            Some("AB12")
        );
        assert!(normalize_document_number("<<<").is_none());
        assert!(normalize_document_number("").is_none());
        assert!(normalize_document_number("AB 12").is_none());
        assert!(normalize_document_number("ÄB12").is_none());
        assert!(normalize_document_number(&"1".repeat(MAX_DOCUMENT_NUMBER)).is_some());
        assert!(normalize_document_number(&"1".repeat(MAX_DOCUMENT_NUMBER + 1)).is_none());
    }

    #[test]
    fn states_are_normalised() {
        assert_eq!(normalize_state("uto"), Some(cc("UTO")));
        assert_eq!(normalize_state("D"), Some(cc("D<<")));
        assert_eq!(normalize_state("d<<"), Some(cc("D<<")));
        assert_eq!(normalize_state("D<<<"), Some(cc("D<<")));
        for bad in ["", "<<<", "ABCD", "A1B", "<D", "D<E"] {
            assert_eq!(normalize_state(bad), None, "{bad}");
        }
    }

    fn fields<'a>(number: &'a str, code: &'a str) -> QueryFields<'a> {
        QueryFields {
            document_code: code,
            issuing_state: "uto",
            document_number: number,
            nationality: "D",
        }
    }

    #[test]
    fn queries_are_normalised() {
        let q = Query::new(fields("l898902c3<<", "P<")).unwrap();
        assert_eq!(q.document_number(), "L898902C3");
        assert_eq!(q.document_type(), 'P');
        assert_eq!(q.issuing_state(), cc("UTO"));
        assert_eq!(q.nationality(), cc("D<<"));
        let bad_state = QueryFields {
            issuing_state: "U1O",
            ..fields("L898902C3", "P")
        };
        assert_eq!(Query::new(bad_state).unwrap_err(), QueryError::IssuingState);
        let bad_nationality = QueryFields {
            nationality: "",
            ..fields("L898902C3", "P")
        };
        assert_eq!(
            Query::new(bad_nationality).unwrap_err(),
            QueryError::Nationality
        );
        assert_eq!(
            Query::new(fields("L898902C3", "<")).unwrap_err(),
            QueryError::DocumentCode
        );
    }

    #[test]
    fn query_debug_and_errors_hold_no_document_data() {
        let q = Query::new(fields("L898902C3", "P<")).unwrap();
        let debug = format!("{q:?} {q:#?} {:?}", fields("L898902C3", "P"));
        assert!(
            !debug.contains("L898902C3") && !debug.contains("UTO"),
            "{debug}"
        );
        let err = Query::new(fields("L898 902C3", "P")).unwrap_err();
        assert_eq!(err, QueryError::DocumentNumber);
        assert!(!format!("{err} {err:?}").contains("L898"));
    }

    #[test]
    fn names_are_normalised() {
        let n = |s: &str| normalize_name(s).map(|z| z.to_string());
        assert_eq!(n("ERIKSSON"), Some("ERIKSSON".into()));
        assert_eq!(n("anna<maria<<<<"), Some("ANNA MARIA".into()));
        assert_eq!(n(" Anna  Maria "), Some("ANNA MARIA".into()));
        assert_eq!(n("<<<"), Some(String::new()));
        assert_eq!(n("ANNA1"), None);
        assert_eq!(n("ÅSA"), None);
        assert_eq!(n(&"A".repeat(MAX_NAME + 1)), None);
        assert!(Person::new("<<", "ANNA", None).is_none());
        let p = Person::new("ERIKSSON", "ANNA<MARIA", None).unwrap();
        assert_eq!(format!("{p:?}"), "Person { <redacted> }");
    }

    #[test]
    fn person_tags_depend_on_every_part() {
        let key = TagKey::random();
        let d = CivilDate::new(1974, 8, 12).unwrap();
        let t = key.person_tag(d, "ERIKSSON", "ANNA MARIA");
        assert_eq!(t, key.person_tag(d, "ERIKSSON", "ANNA MARIA"));
        assert_ne!(t, key.person_tag(d, "ERIKSSON ANNA", "MARIA"));
        assert_ne!(
            t,
            key.person_tag(
                CivilDate::new(1974, 8, 13).unwrap(),
                "ERIKSSON",
                "ANNA MARIA"
            )
        );
        assert_ne!(t, key.tag(cc("UTO"), "ERIKSSON"));
    }

    #[test]
    fn tags_depend_on_key_state_and_number() {
        let key = TagKey::random();
        let t = key.tag(cc("UTO"), "L898902C3");
        assert_eq!(t, key.tag(cc("UTO"), "L898902C3"));
        assert_ne!(t, key.tag(cc("D<<"), "L898902C3"));
        assert_ne!(t, key.tag(cc("UTO"), "L898902C4"));
        assert_ne!(t, TagKey::random().tag(cc("UTO"), "L898902C3"));
    }
}
