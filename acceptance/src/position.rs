//! Where a key is in a TOML text: the dotted key at a byte offset (for the parser's own
//! errors, which carry a span) and the line of a dotted key (for the checks that run on the
//! parsed scenario). Paths name array elements by 1-based index: `faults[2].kind`.

use toml_edit::{ImDocument, Item, Table};

/// 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()
        .iter()
        .take(offset.min(text.len()))
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// The deepest dotted key whose key or value covers `offset`.
pub fn key_at(doc: &ImDocument<&str>, offset: usize) -> Option<String> {
    let mut best = None;
    walk_table(doc.as_table(), "", offset, &mut best);
    best
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_string()
    } else {
        format!("{prefix}.{key}")
    }
}

fn covers(span: Option<std::ops::Range<usize>>, offset: usize) -> bool {
    span.is_some_and(|s| s.start <= offset && offset <= s.end)
}

fn walk_table(t: &Table, prefix: &str, offset: usize, best: &mut Option<String>) {
    for (k, item) in t.iter() {
        let path = join(prefix, k);
        let key_span = t.key(k).and_then(|key| key.span());
        if covers(key_span, offset) || covers(item.span(), offset) {
            *best = Some(path.clone());
        }
        walk_item(item, &path, offset, best);
    }
}

fn walk_item(item: &Item, path: &str, offset: usize, best: &mut Option<String>) {
    match item {
        Item::Table(t) => walk_table(t, path, offset, best),
        Item::ArrayOfTables(a) => {
            for (i, t) in a.iter().enumerate() {
                let p = format!("{path}[{}]", i + 1);
                if covers(t.span(), offset) {
                    *best = Some(p.clone());
                }
                walk_table(t, &p, offset, best);
            }
        }
        Item::Value(toml_edit::Value::InlineTable(t)) => {
            for (k, v) in t.iter() {
                let p = join(path, k);
                if covers(v.span(), offset) {
                    *best = Some(p);
                }
            }
        }
        _ => {}
    }
}

/// The 1-based line of the dotted key `path` (its key, or its table's header), or of the
/// nearest enclosing key that exists.
pub fn line_of_key(text: &str, doc: &ImDocument<&str>, path: &str) -> Option<usize> {
    let mut table = doc.as_table();
    let mut line = None;
    for part in split(path) {
        let (name, index) = part;
        let Some((key, item)) = table.get_key_value(name) else {
            return line;
        };
        line = key
            .span()
            .or_else(|| item.span())
            .map(|s| line_of(text, s.start))
            .or(line);
        match (item, index) {
            (Item::ArrayOfTables(a), Some(i)) => match a.get(i.saturating_sub(1)) {
                Some(t) => {
                    line = t.span().map(|s| line_of(text, s.start)).or(line);
                    table = t;
                }
                None => return line,
            },
            (Item::Table(t), None) => table = t,
            _ => return line,
        }
    }
    line
}

/// `a.b[2].c` → `[("a", None), ("b", Some(2)), ("c", None)]`.
fn split(path: &str) -> Vec<(&str, Option<usize>)> {
    path.split('.')
        .map(|p| match p.split_once('[') {
            Some((name, rest)) => (name, rest.trim_end_matches(']').parse().ok()),
            None => (p, None),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "seed = 1\n\n[travellers]\ncount = 3\n\n[travellers.mix]\nimpostor = 5\n\n[[faults]]\nat_s = 1\n\n[[faults]]\nat_s = 2\nkind = \"x\"\n";

    #[test]
    fn keys_are_found_by_offset_and_lines_by_key() {
        let doc = ImDocument::parse(TEXT).unwrap();
        let off = TEXT.find("impostor").unwrap();
        assert_eq!(
            key_at(&doc, off).as_deref(),
            Some("travellers.mix.impostor")
        );
        let off = TEXT.find("kind").unwrap();
        assert_eq!(key_at(&doc, off).as_deref(), Some("faults[2].kind"));
        assert_eq!(line_of_key(TEXT, &doc, "travellers.mix.impostor"), Some(7));
        assert_eq!(line_of_key(TEXT, &doc, "faults[2].kind"), Some(14));
        assert_eq!(line_of_key(TEXT, &doc, "travellers.count"), Some(4));
        // A key that is not there: the nearest enclosing one.
        assert_eq!(line_of_key(TEXT, &doc, "travellers.faces"), Some(3));
        assert_eq!(line_of_key(TEXT, &doc, "nothing"), None);
    }
}
