//! Message catalogues: one TOML file per language (`<lang>.toml`), every file with the same
//! keys. English (`en`) is the fallback and must be present. Each problem is reported with
//! its file, line and dotted key, all at once.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use gate::MessageCode;
use serde::Serialize;
use toml_edit::{ImDocument, Item};

/// The language every other falls back to.
pub const FALLBACK: &str = "en";

/// The catalogues built into the binary (the `messages/` folder of the source tree).
pub const BUILT_IN: [(&str, &str); 6] = [
    ("en", include_str!("../../messages/en.toml")),
    ("fr", include_str!("../../messages/fr.toml")),
    ("de", include_str!("../../messages/de.toml")),
    ("es", include_str!("../../messages/es.toml")),
    ("ar", include_str!("../../messages/ar.toml")),
    ("zh", include_str!("../../messages/zh.toml")),
];

/// The guidance codes of the face pipeline (`vision::quality::Guidance::code`).
pub const GUIDANCE: [&str; 8] = [
    "no_face",
    "step_closer",
    "step_back",
    "look_at_camera",
    "one_person_only",
    "more_light",
    "less_light",
    "hold_still",
];

/// The liveness challenge's prompts (`vision::pad::challenge::Action::as_str`).
pub const CHALLENGE: [&str; 3] = ["turn_left", "turn_right", "step_closer"];

/// Every key a catalogue must have, with the placeholders its text may use.
fn schema() -> Vec<(String, &'static [&'static str])> {
    let mut keys: Vec<(String, &'static [&'static str])> =
        vec![("language".into(), &[]), ("direction".into(), &[])];
    keys.extend(
        MessageCode::ALL
            .iter()
            .map(|m| (format!("messages.{}", m.as_str()), &[] as &[&str])),
    );
    keys.extend(
        GUIDANCE
            .iter()
            .map(|g| (format!("guidance.{g}"), &[] as &[&str])),
    );
    keys.extend(
        CHALLENGE
            .iter()
            .map(|c| (format!("challenge.{c}"), &[] as &[&str])),
    );
    keys.push(("labels.challenge".into(), &["step", "steps"]));
    keys.push(("notice.title".into(), &[]));
    keys.push(("notice.body".into(), &[]));
    keys.push(("notice.more".into(), &["url"]));
    keys.push(("labels.progress".into(), &["step", "steps"]));
    keys.push(("labels.language".into(), &[]));
    keys.push(("labels.consent_yes".into(), &[]));
    keys.push(("labels.consent_no".into(), &[]));
    keys.push(("labels.accessible".into(), &[]));
    keys
}

/// One problem in a catalogue file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogueError {
    /// The file (for a built-in catalogue, `messages/<lang>.toml`).
    pub file: PathBuf,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// Dotted key (`messages.lane_closed`); empty for the whole file.
    pub key: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CatalogueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(l) = self.line {
            write!(f, ": line {l}")?;
        }
        if !self.key.is_empty() {
            write!(f, ": {}", self.key)?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Text direction of a language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Left to right.
    Ltr,
    /// Right to left (Arabic, Hebrew, ...).
    Rtl,
}

/// One language's texts, by dotted key.
#[derive(Debug, Clone, Serialize)]
pub struct Catalogue {
    /// Language tag (the file name): `en`, `ar`, ...
    pub lang: String,
    /// The language's name in itself, for the language buttons.
    pub name: String,
    /// Text direction.
    pub direction: Direction,
    /// Every text by dotted key (`messages.present_document`, `notice.body`, ...).
    pub texts: BTreeMap<String, String>,
}

/// Every language the screen can show.
#[derive(Debug, Clone, Default)]
pub struct Catalogues {
    by_lang: BTreeMap<String, Catalogue>,
}

impl Catalogues {
    /// The catalogues built into the binary.
    pub fn built_in() -> Result<Self, Vec<CatalogueError>> {
        Self::from_texts(
            BUILT_IN
                .iter()
                .map(|(lang, text)| (PathBuf::from(format!("messages/{lang}.toml")), *text)),
        )
    }

    /// Every `<lang>.toml` in `dir`.
    pub fn load_dir(dir: &Path) -> Result<Self, Vec<CatalogueError>> {
        let whole = |message: String| {
            vec![CatalogueError {
                file: dir.to_path_buf(),
                line: None,
                key: String::new(),
                message,
            }]
        };
        let entries = std::fs::read_dir(dir).map_err(|e| whole(format!("cannot read: {e}")))?;
        let mut files = Vec::new();
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().and_then(|e| e.to_str()) == Some("toml") {
                let text = std::fs::read_to_string(&path).map_err(|e| {
                    vec![CatalogueError {
                        file: path.clone(),
                        line: None,
                        key: String::new(),
                        message: format!("cannot read: {e}"),
                    }]
                })?;
                files.push((path, text));
            }
        }
        files.sort();
        Self::from_texts(files.iter().map(|(p, t)| (p.clone(), t.as_str())))
    }

    /// Parses and checks `(file, text)` pairs; the language is the file's stem.
    pub fn from_texts<'a>(
        files: impl IntoIterator<Item = (PathBuf, &'a str)>,
    ) -> Result<Self, Vec<CatalogueError>> {
        let mut errors = Vec::new();
        let mut by_lang = BTreeMap::new();
        let mut dir = PathBuf::from("messages");
        for (file, text) in files {
            if let Some(parent) = file.parent() {
                dir = parent.to_path_buf();
            }
            let lang = file
                .file_stem()
                .and_then(|s| s.to_str())
                .unwrap_or_default()
                .to_string();
            if !is_language_tag(&lang) {
                errors.push(CatalogueError {
                    file,
                    line: None,
                    key: String::new(),
                    message: "the file name must be a language tag: two or three lower-case letters, e.g. de.toml".into(),
                });
                continue;
            }
            match parse(&file, &lang, text) {
                Ok(c) => {
                    by_lang.insert(lang, c);
                }
                Err(mut e) => errors.append(&mut e),
            }
        }
        if !by_lang.contains_key(FALLBACK) && errors.is_empty() {
            errors.push(CatalogueError {
                file: dir.join(format!("{FALLBACK}.toml")),
                line: None,
                key: String::new(),
                message: "missing: English is every language's fallback".into(),
            });
        }
        if errors.is_empty() {
            Ok(Self { by_lang })
        } else {
            Err(errors)
        }
    }

    /// The catalogue of `lang`, or English.
    pub fn get(&self, lang: &str) -> &Catalogue {
        self.by_lang
            .get(lang)
            .or_else(|| self.by_lang.get(FALLBACK))
            .expect("the fallback catalogue is checked at load")
    }

    /// Whether `lang` has a catalogue of its own.
    pub fn has(&self, lang: &str) -> bool {
        self.by_lang.contains_key(lang)
    }

    /// Every language, with its name in itself.
    pub fn languages(&self) -> Vec<(String, String)> {
        self.by_lang
            .values()
            .map(|c| (c.lang.clone(), c.name.clone()))
            .collect()
    }
}

fn is_language_tag(s: &str) -> bool {
    (2..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase())
}

fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

fn parse(file: &Path, lang: &str, text: &str) -> Result<Catalogue, Vec<CatalogueError>> {
    let err = |line: Option<usize>, key: &str, message: String| CatalogueError {
        file: file.to_path_buf(),
        line,
        key: key.to_string(),
        message,
    };
    let doc = ImDocument::parse(text).map_err(|e| {
        vec![err(
            e.span().map(|s| line_of(text, s.start)),
            "",
            format!("not valid TOML: {}", e.message().trim()),
        )]
    })?;
    let schema = schema();
    let mut errors = Vec::new();
    let mut texts = BTreeMap::new();
    // Unknown keys first, in file order.
    for (k, item) in doc.as_table().iter() {
        let line = item.span().map(|s| line_of(text, s.start));
        match item {
            Item::Table(t) => {
                for (k2, v) in t.iter() {
                    let dotted = format!("{k}.{k2}");
                    if !schema.iter().any(|(s, _)| *s == dotted) {
                        let line = v.span().map(|s| line_of(text, s.start));
                        errors.push(err(line, &dotted, "unknown key".into()));
                    }
                }
                if !schema.iter().any(|(s, _)| s.starts_with(&format!("{k}."))) {
                    errors.push(err(line, k, "unknown table".into()));
                }
            }
            _ if !schema.iter().any(|(s, _)| s == k) => {
                errors.push(err(line, k, "unknown key".into()));
            }
            _ => {}
        }
    }
    for (key, allowed) in &schema {
        let (table, leaf) = match key.split_once('.') {
            Some((t, l)) => (Some(t), l),
            None => (None, key.as_str()),
        };
        let parent = match table {
            Some(t) => doc.as_table().get(t).and_then(Item::as_table),
            None => Some(doc.as_table()),
        };
        let item = parent.and_then(|p| p.get(leaf));
        let Some(item) = item else {
            let line = table
                .and_then(|t| doc.as_table().get(t))
                .and_then(Item::span)
                .map(|s| line_of(text, s.start));
            errors.push(err(line, key, "missing".into()));
            continue;
        };
        let line = item.span().map(|s| line_of(text, s.start));
        let Some(value) = item.as_str() else {
            errors.push(err(line, key, "must be a string".into()));
            continue;
        };
        if value.trim().is_empty() {
            errors.push(err(line, key, "must not be empty".into()));
            continue;
        }
        if let Err(m) = check_placeholders(value, allowed) {
            errors.push(err(line, key, m));
            continue;
        }
        texts.insert(key.clone(), value.to_string());
    }
    let direction = match texts.get("direction").map(String::as_str) {
        Some("ltr") | None => Direction::Ltr,
        Some("rtl") => Direction::Rtl,
        Some(other) => {
            let line = doc
                .as_table()
                .get("direction")
                .and_then(Item::span)
                .map(|s| line_of(text, s.start));
            errors.push(err(
                line,
                "direction",
                format!("\"{other}\" is not a direction: \"ltr\" or \"rtl\""),
            ));
            Direction::Ltr
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let name = texts.remove("language").unwrap_or_default();
    texts.remove("direction");
    Ok(Catalogue {
        lang: lang.to_string(),
        name,
        direction,
        texts,
    })
}

/// Placeholders are `{name}` with a name from `allowed`; a brace that opens no placeholder
/// or closes none is an error (a translator's typo would otherwise show raw on the screen).
fn check_placeholders(text: &str, allowed: &[&str]) -> Result<(), String> {
    let mut rest = text;
    while let Some(i) = rest.find(['{', '}']) {
        if rest.as_bytes()[i] == b'}' {
            return Err("bad placeholder: a \"}\" closes nothing".into());
        }
        let after = &rest[i + 1..];
        let Some(end) = after.find('}') else {
            return Err("bad placeholder: a \"{\" is never closed".into());
        };
        let name = &after[..end];
        if !allowed.contains(&name) {
            let allowed = if allowed.is_empty() {
                "none".to_string()
            } else {
                allowed
                    .iter()
                    .map(|a| format!("{{{a}}}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            return Err(format!(
                "bad placeholder {{{name}}}: this text may use {allowed}"
            ));
        }
        rest = &after[end + 1..];
    }
    Ok(())
}

/// `template` with each `{name}` replaced by its value.
pub fn fill(template: &str, values: &[(&str, &str)]) -> String {
    let mut out = template.to_string();
    for (k, v) in values {
        out = out.replace(&format!("{{{k}}}"), v);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_catalogues_are_complete() {
        let c = Catalogues::built_in().unwrap_or_else(|e| panic!("{e:?}"));
        let langs: Vec<String> = c.languages().into_iter().map(|(l, _)| l).collect();
        assert_eq!(langs, ["ar", "de", "en", "es", "fr", "zh"]);
        assert_eq!(c.get("ar").direction, Direction::Rtl);
        assert_eq!(
            c.get("de").texts["messages.please_proceed"],
            "Danke. Bitte gehen Sie weiter"
        );
        // Unknown languages fall back to English.
        assert_eq!(c.get("xx").lang, "en");
    }

    fn one(text: &str) -> Vec<CatalogueError> {
        let en = BUILT_IN[0].1;
        Catalogues::from_texts([
            (PathBuf::from("m/en.toml"), en),
            (PathBuf::from("m/de.toml"), text),
        ])
        .unwrap_err()
    }

    #[test]
    fn a_missing_key_is_named_with_its_file_and_table_line() {
        let de = BUILT_IN[2].1.replace(
            "lane_closed = \"Diese Spur ist geschlossen. Bitte nutzen Sie eine andere Spur\"\n",
            "",
        );
        let errors = one(&de);
        assert_eq!(errors.len(), 1, "{errors:?}");
        let e = &errors[0];
        assert_eq!(
            (e.key.as_str(), e.message.as_str()),
            ("messages.lane_closed", "missing")
        );
        assert_eq!(e.file, PathBuf::from("m/de.toml"));
        let table = de.lines().position(|l| l == "[messages]").unwrap() + 1;
        assert_eq!(e.line, Some(table));
        assert_eq!(
            e.to_string(),
            format!("m/de.toml: line {table}: messages.lane_closed: missing")
        );
    }

    #[test]
    fn bad_placeholders_and_unknown_keys_are_reported_with_their_line() {
        let de = BUILT_IN[2]
            .1
            .replace(
                "Schritt {step} von {steps}",
                "Schritt {schritt} von {steps}",
            )
            .replace("Mehr dazu: {url}", "Mehr dazu: {url")
            .replace("[labels]\n", "[labels]\nfarewell = \"Tschüss\"\n");
        let errors = one(&de);
        let line = |needle: &str| de.lines().position(|l| l.contains(needle)).map(|i| i + 1);
        let found: Vec<(String, Option<usize>, bool)> = errors
            .iter()
            .map(|e| (e.key.clone(), e.line, e.message.contains("placeholder")))
            .collect();
        assert!(
            found.contains(&("labels.farewell".into(), line("farewell"), false)),
            "{errors:?}"
        );
        assert!(
            found.contains(&("notice.more".into(), line("Mehr dazu"), true)),
            "{errors:?}"
        );
        assert!(
            found.contains(&("labels.progress".into(), line("{schritt}"), true)),
            "{errors:?}"
        );
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors.iter().any(|e| e.message.contains("{step}, {steps}")));
    }

    #[test]
    fn english_must_be_there_and_names_must_be_tags() {
        let e = Catalogues::from_texts([(PathBuf::from("m/de.toml"), BUILT_IN[2].1)]).unwrap_err();
        assert_eq!(e[0].file, PathBuf::from("m/en.toml"));
        let e = Catalogues::from_texts([
            (PathBuf::from("m/en.toml"), BUILT_IN[0].1),
            (PathBuf::from("m/German.toml"), BUILT_IN[2].1),
        ])
        .unwrap_err();
        assert!(e[0].message.contains("language tag"), "{e:?}");
        let e = one("language = \"x\"\ndirection = \"up\"\n[messages\n");
        assert!(e[0].message.starts_with("not valid TOML"), "{e:?}");
        assert_eq!(e[0].line, Some(3));
    }

    #[test]
    fn fill_replaces_placeholders() {
        assert_eq!(
            fill("Step {step} of {steps}", &[("step", "2"), ("steps", "5")]),
            "Step 2 of 5"
        );
    }
}
