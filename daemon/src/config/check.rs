//! Strict reading of a TOML file against a schema: the annotated default file is the schema,
//! so a key it does not have is unknown and a value of another type is wrong. Every error is
//! reported at once, with its dotted key and line.

use std::fmt;
use std::ops::RangeInclusive;

use serde::de::DeserializeOwned;
use toml_edit::{ImDocument, Item, Value};

/// One problem found in a config file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Dotted key path, e.g. `server.listen`; empty for the whole file.
    pub key: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.line, self.key.is_empty()) {
            (Some(l), false) => write!(f, "line {l}: {}: {}", self.key, self.message),
            (Some(l), true) => write!(f, "line {l}: {}", self.message),
            (None, false) => write!(f, "{}: {}", self.key, self.message),
            (None, true) => write!(f, "{}", self.message),
        }
    }
}

/// Parses `text` against `schema` (a TOML text with every key and a value of each key's
/// type), deserialises it and runs `validate` on the result; on failure, returns every error
/// found, in file order.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    schema: &str,
    validate: impl FnOnce(&T) -> Vec<ConfigError>,
) -> Result<T, Vec<ConfigError>> {
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            return Err(vec![ConfigError {
                key: String::new(),
                line,
                message: format!("not valid TOML: {}", e.message()),
            }]);
        }
    };
    let schema = ImDocument::parse(schema).expect("the schema parses");
    let mut errors = Vec::new();
    check_table(
        text,
        schema.as_table(),
        doc.as_table(),
        &mut Vec::new(),
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(errors);
    }
    let (config, mut errors) = deserialize::<T>(text);
    let Some(config) = config else {
        return Err(errors);
    };
    for mut e in validate(&config) {
        e.line = e.line.or_else(|| key_line(text, &doc, &e.key));
        errors.push(e);
    }
    // In file order, whichever pass found them.
    errors.sort_by_key(|e| e.line.unwrap_or(usize::MAX));
    if errors.is_empty() {
        Ok(config)
    } else {
        Err(errors)
    }
}

/// Range and consistency problems of a parsed config, each under its dotted key.
#[derive(Debug, Default)]
pub struct Problems(pub Vec<ConfigError>);

impl Problems {
    /// `key` has a bad value.
    pub fn bad(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigError {
            key: key.into(),
            line: None,
            message: message.into(),
        });
    }

    /// `key` must lie within `range` (`unit` follows the upper bound in the message, e.g.
    /// " seconds").
    pub fn within<T: PartialOrd + fmt::Display>(
        &mut self,
        key: &str,
        value: T,
        range: RangeInclusive<T>,
        unit: &str,
    ) {
        if !range.contains(&value) {
            let message = format!(
                "must be between {} and {}{unit}",
                range.start(),
                range.end()
            );
            self.bad(key, message);
        }
    }
}

/// Deserialises the (well-typed) text. A value serde refuses — a choice
/// that does not exist (`layout = "three-step"`), a negative count — is reported with its key
/// and line, then blanked out (its default takes its place) and the rest tried again, so
/// that every such value is reported at once. `None` only if a value could not be blanked.
fn deserialize<T: DeserializeOwned>(text: &str) -> (Option<T>, Vec<ConfigError>) {
    let mut text = text.to_string();
    let mut errors = Vec::new();
    loop {
        let e = match toml::from_str::<T>(&text) {
            Ok(config) => return (Some(config), errors),
            Err(e) => e,
        };
        let line = e.span().map(|s| line_of(&text, s.start));
        let found = e.span().and_then(|at| {
            let doc = ImDocument::parse(text.as_str()).ok()?;
            locate(doc.as_table(), &at, &mut Vec::new())
        });
        errors.push(ConfigError {
            key: found.as_ref().map(|(k, _)| k.clone()).unwrap_or_default(),
            line,
            message: e.message().to_string(),
        });
        // Blank `key = value` (newlines kept, so lines stay where they are). Each round
        // blanks one more key, so this ends; stop if the result is no longer TOML (a key
        // inside an inline table, a dotted key).
        let Some((_, range)) = found else {
            return (None, errors);
        };
        let mut bytes = std::mem::take(&mut text).into_bytes();
        for b in &mut bytes[range] {
            if *b != b'\n' {
                *b = b' ';
            }
        }
        // Only ASCII bytes were written over whole UTF-8 sequences: still UTF-8.
        text = String::from_utf8_lossy(&bytes).into_owned();
        if ImDocument::parse(text.as_str()).is_err() {
            return (None, errors);
        }
    }
}

/// The dotted key (with `[i]` for an array element) of the value at `at`, and the byte
/// range of its whole `key = value`.
fn locate(
    table: &toml_edit::Table,
    at: &std::ops::Range<usize>,
    path: &mut Vec<String>,
) -> Option<(String, std::ops::Range<usize>)> {
    let within = |s: Option<std::ops::Range<usize>>| {
        s.is_some_and(|s| s.start <= at.start && at.end <= s.end)
    };
    for (key, item) in table.iter() {
        path.push(key.to_string());
        match item {
            Item::Table(t) => {
                if let Some(found) = locate(t, at, path) {
                    return Some(found);
                }
            }
            Item::Value(v) if within(v.span()) => {
                let mut dotted = path.join(".");
                if let Value::Array(a) = v {
                    if let Some(i) = a.iter().position(|e| within(e.span())) {
                        dotted.push_str(&format!("[{i}]"));
                    }
                }
                let start = table.key(key).and_then(|k| k.span())?.start;
                return Some((dotted, start..v.span()?.end));
            }
            _ => {}
        }
        path.pop();
    }
    None
}

/// Walks the user's table against the schema table, collecting unknown keys and type errors.
fn check_table(
    text: &str,
    schema: &toml_edit::Table,
    user: &toml_edit::Table,
    path: &mut Vec<String>,
    errors: &mut Vec<ConfigError>,
) {
    for (key, item) in user.iter() {
        path.push(key.to_string());
        let dotted = path.join(".");
        let line = item
            .span()
            .or_else(|| user.key(key).and_then(|k| k.span()))
            .map(|s| line_of(text, s.start));
        match schema.get(key) {
            None => {
                let known: Vec<&str> = schema.iter().map(|(k, _)| k).collect();
                errors.push(ConfigError {
                    key: dotted,
                    line,
                    message: format!("unknown key (known here: {})", known.join(", ")),
                });
            }
            Some(expected) => match (expected, item) {
                (Item::Table(s), Item::Table(u)) => check_table(text, s, u, path, errors),
                (Item::Table(s), Item::Value(Value::InlineTable(u))) => {
                    let u = u.clone().into_table();
                    check_table(text, s, &u, path, errors)
                }
                (Item::Value(s), Item::Value(u)) => {
                    if !same_type(s, u) {
                        errors.push(ConfigError {
                            key: dotted,
                            line,
                            message: format!("expected {}, found {}", type_name(s), type_name(u)),
                        });
                    }
                }
                (s, u) => errors.push(ConfigError {
                    key: dotted,
                    line,
                    message: format!("expected {}, found {}", item_type(s), item_type(u)),
                }),
            },
        }
        path.pop();
    }
}

fn same_type(a: &Value, b: &Value) -> bool {
    // An integer is accepted where the default is a float (e.g. `shutdown_grace_s = 2`).
    std::mem::discriminant(a) == std::mem::discriminant(b)
        || matches!((a, b), (Value::Float(_), Value::Integer(_)))
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a number",
        Value::Boolean(_) => "true or false",
        Value::Datetime(_) => "a date-time",
        Value::Array(_) => "an array",
        Value::InlineTable(_) => "a table",
    }
}

fn item_type(i: &Item) -> &'static str {
    match i {
        Item::None => "nothing",
        Item::Value(v) => type_name(v),
        Item::Table(_) => "a table",
        Item::ArrayOfTables(_) => "an array of tables",
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The line of a dotted key (`policy.nationalities[2]`: an array element) in the user's
/// document, if it is there.
fn key_line(text: &str, doc: &ImDocument<&str>, dotted: &str) -> Option<usize> {
    let mut item = doc.as_item();
    let mut span = None;
    for part in dotted.split('.') {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (part, None),
        };
        item = item.get(name)?;
        span = item.span();
        if let Some(i) = index {
            span = item.as_array()?.get(i)?.span();
        }
    }
    span.map(|s| line_of(text, s.start))
}
