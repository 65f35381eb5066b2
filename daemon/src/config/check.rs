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
///
/// The tables named in `free` (dotted paths) take keys the file chooses, each with a value
/// of the type of the schema's first value there. An array of tables (`[[a.b]]`) is checked
/// element by element against every key its elements have in the schema.
pub fn parse<T: DeserializeOwned>(
    text: &str,
    schema: &str,
    free: &[&str],
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
    let walk = Walk { text, free };
    walk.table(
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
    // A value serde refused was replaced by its default: its key is not reported twice (but
    // one key may carry several problems of its own, e.g. one per catalogue file).
    let refused: Vec<String> = errors.iter().map(|x| x.key.clone()).collect();
    for mut e in validate(&config) {
        if !e.key.is_empty() && refused.contains(&e.key) {
            continue;
        }
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
            Item::ArrayOfTables(a) => {
                let key = path.pop().unwrap_or_default();
                for (i, t) in a.iter().enumerate() {
                    path.push(format!("{key}[{i}]"));
                    if let Some(found) = locate(t, at, path) {
                        return Some(found);
                    }
                    path.pop();
                }
                path.push(key);
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

/// The strict walk of a user's file against the schema.
struct Walk<'a> {
    text: &'a str,
    free: &'a [&'a str],
}

impl Walk<'_> {
    /// Walks the user's table against the schema table, collecting unknown keys and type
    /// errors.
    fn table(
        &self,
        schema: &toml_edit::Table,
        user: &toml_edit::Table,
        path: &mut Vec<String>,
        errors: &mut Vec<ConfigError>,
    ) {
        let free = self.free.contains(&path.join(".").as_str());
        for (key, item) in user.iter() {
            path.push(key.to_string());
            let dotted = path.join(".");
            let line = item
                .span()
                .or_else(|| user.key(key).and_then(|k| k.span()))
                .map(|s| line_of(self.text, s.start));
            let expected = if free {
                schema.iter().next().map(|(_, v)| v)
            } else {
                schema.get(key)
            };
            match expected {
                None if free => errors.push(ConfigError {
                    key: dotted,
                    line,
                    message: "no value of this kind belongs here".into(),
                }),
                None => {
                    let known: Vec<&str> = schema.iter().map(|(k, _)| k).collect();
                    errors.push(ConfigError {
                        key: dotted,
                        line,
                        message: format!("unknown key (known here: {})", known.join(", ")),
                    });
                }
                Some(expected) => self.item(expected, item, &dotted, line, path, errors),
            }
            path.pop();
        }
    }

    /// Checks one user item against the schema's item for its key.
    fn item(
        &self,
        expected: &Item,
        item: &Item,
        dotted: &str,
        line: Option<usize>,
        path: &mut Vec<String>,
        errors: &mut Vec<ConfigError>,
    ) {
        match (expected, item) {
            (Item::Table(s), Item::Table(u)) => self.table(s, u, path, errors),
            (Item::Table(s), Item::Value(Value::InlineTable(u))) => {
                let u = u.clone().into_table();
                self.table(s, &u, path, errors)
            }
            (Item::ArrayOfTables(s), Item::ArrayOfTables(u)) => {
                let schema = union(s.iter());
                let key = path.pop().unwrap_or_default();
                for (i, t) in u.iter().enumerate() {
                    path.push(format!("{key}[{i}]"));
                    self.table(&schema, t, path, errors);
                    path.pop();
                }
                path.push(key);
            }
            (Item::Value(s), Item::Value(u)) => {
                if !same_type(s, u) {
                    errors.push(ConfigError {
                        key: dotted.to_string(),
                        line,
                        message: format!("expected {}, found {}", type_name(s), type_name(u)),
                    });
                }
            }
            (s, u) => errors.push(ConfigError {
                key: dotted.to_string(),
                line,
                message: format!("expected {}, found {}", item_type(s), item_type(u)),
            }),
        }
    }
}

/// One table with every key of `tables` (the first value of each key).
fn union<'t>(tables: impl Iterator<Item = &'t toml_edit::Table>) -> toml_edit::Table {
    let mut all = toml_edit::Table::new();
    for t in tables {
        for (k, v) in t.iter() {
            if !all.contains_key(k) {
                all.insert(k, v.clone());
            }
        }
    }
    all
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

/// The line of a dotted key (`policy.nationalities[2]`: an array element;
/// `eligibility.rule[1].age`: a key of an element of an array of tables; `eligibility.rule[1]`:
/// the element's header) in the user's document, if it is there.
fn key_line(text: &str, doc: &ImDocument<&str>, dotted: &str) -> Option<usize> {
    let mut table: &toml_edit::Table = doc.as_table();
    let mut span = None;
    let parts: Vec<&str> = dotted.split('.').collect();
    for (n, part) in parts.iter().enumerate() {
        let (name, index) = match part.split_once('[') {
            Some((name, rest)) => (name, rest.strip_suffix(']')?.parse::<usize>().ok()),
            None => (*part, None),
        };
        // A key the file leaves out: the line of the table it would be in.
        let Some(item) = table.get(name) else {
            break;
        };
        span = item
            .span()
            .or_else(|| table.key(name).and_then(|k| k.span()));
        let last = n + 1 == parts.len();
        match (item, index) {
            (Item::ArrayOfTables(a), Some(i)) => {
                let t = a.get(i)?;
                span = t.span().or_else(|| {
                    t.iter()
                        .next()
                        .and_then(|(k, _)| t.key(k).and_then(|k| k.span()))
                });
                table = t;
            }
            (Item::Value(Value::Array(a)), Some(i)) => {
                span = a.get(i)?.span();
                if !last {
                    return None;
                }
            }
            (Item::Table(t), None) => table = t,
            // A key inside an inline table: the table's own line.
            (Item::Value(Value::InlineTable(_)), None) => break,
            (_, None) if last => {}
            _ => return None,
        }
    }
    span.map(|s| line_of(text, s.start))
}
