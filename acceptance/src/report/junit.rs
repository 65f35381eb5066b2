//! The report as JUnit XML: one test case per criterion and per suite case, so a CI system
//! shows which requirement failed.

use std::fmt::Write;

use super::Report;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The JUnit XML text of `r`.
pub fn junit(r: &Report) -> String {
    let failures = r.criteria.iter().filter(|c| !c.passed).count();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"egate acceptance\" tests=\"{}\" failures=\"{failures}\">",
        r.criteria.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\">",
        esc(&r.name),
        r.criteria.len()
    );
    for c in &r.criteria {
        let (class, name) = match c.criterion.strip_prefix("case ") {
            Some(id) => ("suite", id.to_string()),
            None => ("criteria", c.criterion.clone()),
        };
        let _ = write!(
            out,
            "    <testcase classname=\"{class}\" name=\"{}\">",
            esc(&name)
        );
        if c.passed {
            let _ = writeln!(
                out,
                "<system-out>{}</system-out></testcase>",
                esc(&c.detail)
            );
        } else {
            let _ = writeln!(
                out,
                "<failure message=\"{}\">{}</failure></testcase>",
                esc(&c.detail),
                esc(&c.detail)
            );
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
