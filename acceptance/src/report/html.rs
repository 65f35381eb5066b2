//! The report as one self-contained, printable HTML page: tables and inline SVG plots, no
//! scripts, no external files.

use std::fmt::Write;

use super::svg::{bars, lines};
use super::Report;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:sans-serif;max-width:60rem;margin:1rem auto;color:#111}\
h1{font-size:1.5rem}h2{font-size:1.15rem;border-bottom:1px solid #999;margin-top:1.6rem}\
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #bbb;padding:.15rem .45rem;\
font-size:.85rem;text-align:left}th{background:#eee}.pass{color:#1b5e20;font-weight:bold}\
.fail{color:#b71c1c;font-weight:bold}figure{margin:.6rem 0;page-break-inside:avoid}\
pre{white-space:pre-wrap;font-size:.75rem;background:#f6f6f6;padding:.5rem}\
@media print{body{max-width:none}h2{page-break-after:avoid}}";

fn verdict(passed: bool) -> &'static str {
    if passed {
        "<span class=\"pass\">pass</span>"
    } else {
        "<span class=\"fail\">fail</span>"
    }
}

fn clock_name(clock: &str) -> &'static str {
    match clock {
        "real_time" => "real time (the wall clock, against a running egate run --sim daemon)",
        _ => "virtual time",
    }
}

fn figure(out: &mut String, id: &str, svg: String) {
    let _ = write!(out, "<figure id=\"plot-{id}\">{svg}</figure>");
}

/// The HTML text of `r`.
pub fn html(r: &Report) -> String {
    let mut o = String::new();
    let _ = write!(
        o,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>egate acceptance: {}</title><style>{STYLE}</style></head><body>",
        esc(&r.name)
    );
    let _ = write!(
        o,
        "<h1>egate acceptance report: {}</h1><p id=\"verdict\">Verdict: {}</p>\
         <p id=\"clock\"><b>Clock: {}.</b> {}</p>",
        esc(&r.name),
        verdict(r.verdict == "pass"),
        clock_name(r.clock),
        esc(&r.clock_note)
    );
    let time_axis = match r.clock {
        "real_time" => "wall-clock time (s)",
        _ => "virtual time (s)",
    };
    let s = &r.summary;
    let _ = write!(
        o,
        "<table id=\"summary\"><tr><th>travellers</th><td>{}</td><th>gates</th><td>{}</td></tr>\
         <tr><th>passages</th><td>{}</td><th>{}</th><td>{:.0} s</td></tr>\
         <tr><th>through the exit</th><td>{}</td><th>trapped</th><td>{}</td></tr>\
         <tr><th>attacks</th><td>{}</td><th>attacks through</th><td>{}</td></tr>\
         <tr><th>throughput per gate</th><td>{} /h</td><th>capacity per gate</th><td>{} /h</td></tr>\
         <tr><th>ended as expected</th><td>{}</td><th>generated</th><td>{}</td></tr></table>",
        s.travellers,
        s.gates,
        s.passages,
        if r.clock == "real_time" {
            "wall-clock time"
        } else {
            "virtual time"
        },
        s.virtual_s,
        s.through,
        s.trapped,
        s.attacks,
        s.attacks_through,
        s.throughput_per_gate_h,
        s.capacity_per_gate_h,
        s.as_expected,
        esc(&r.generated_at)
    );
    o.push_str("<h2>Pass criteria</h2><table id=\"criteria\"><tr><th>criterion</th><th>value</th><th>result</th><th>detail</th></tr>");
    for c in &r.criteria {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&c.criterion),
            c.value.map_or("—".into(), |v| v.to_string()),
            verdict(c.passed),
            esc(&c.detail)
        );
    }
    o.push_str("</table>");
    if !r.cases.is_empty() {
        o.push_str("<h2>Suite cases</h2><table id=\"cases\"><tr><th>case</th><th>requirement</th><th>expected</th><th>actual</th><th>verdict</th></tr>");
        for c in &r.cases {
            let _ = write!(
                o,
                "<tr><td>{}: {}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&c.id),
                esc(&c.title),
                esc(&c.requirement),
                esc(&c.expected),
                esc(&c.actual),
                verdict(c.passed)
            );
        }
        o.push_str("</table>");
    }
    // Transaction times.
    let t = &r.transaction_s;
    let _ = write!(
        o,
        "<h2>Transaction time</h2><table id=\"percentiles\"><tr><th>n</th><th>mean</th><th>median</th><th>p90</th><th>p95</th><th>p99</th><th>max</th></tr>\
         <tr><td>{}</td><td>{:.2} s</td><td>{:.2} s</td><td>{:.2} s</td><td>{:.2} s</td><td>{:.2} s</td><td>{:.2} s</td></tr></table>",
        t.n, t.mean, t.p50, t.p90, t.p95, t.p99, t.max
    );
    let labels: Vec<String> = t.histogram.iter().map(|(s, _)| format!("{s:.0}")).collect();
    let counts: Vec<f64> = t.histogram.iter().map(|(_, c)| f64::from(*c)).collect();
    figure(
        &mut o,
        "transaction",
        bars(
            "Transaction time",
            "seconds (1 s bins)",
            "passages",
            &labels,
            &[("passages", counts)],
        ),
    );
    o.push_str("<h2>Throughput and queue</h2>");
    figure(
        &mut o,
        "throughput",
        lines(
            "Throughput over time",
            time_axis,
            "travellers / h / gate",
            &[("5-minute windows", r.throughput.clone())],
            false,
        ),
    );
    figure(
        &mut o,
        "queue",
        lines(
            "Queue length",
            time_axis,
            "travellers waiting",
            &[(
                "queue",
                r.queue
                    .iter()
                    .map(|q| (q.t_s, f64::from(q.queue)))
                    .collect(),
            )],
            false,
        ),
    );
    // Biometrics.
    let b = &r.biometrics;
    let _ = write!(
        o,
        "<h2>Face comparisons</h2><p>{} genuine and {} impostor comparisons; threshold in use {}.</p><p>{}</p>",
        b.genuine,
        b.impostor,
        b.threshold.map_or("—".into(), |t| format!("{t:.4}")),
        esc(&b.note)
    );
    let det: Vec<(f64, f64)> = b
        .det
        .iter()
        .map(|&(_, fmr, fnmr)| (fmr.max(1e-4), fnmr.max(1e-4)))
        .collect();
    figure(
        &mut o,
        "det",
        lines(
            "DET curve (zeros drawn at 1e-4)",
            "FMR",
            "FNMR",
            &[("run", det)],
            true,
        ),
    );
    let hl: Vec<String> = b
        .histogram
        .iter()
        .map(|(s, _, _)| format!("{s:.2}"))
        .collect();
    figure(
        &mut o,
        "scores",
        bars(
            "Score histograms",
            "similarity score (0.05 bins)",
            "comparisons",
            &hl,
            &[
                (
                    "genuine",
                    b.histogram.iter().map(|h| f64::from(h.1)).collect(),
                ),
                (
                    "impostor",
                    b.histogram.iter().map(|h| f64::from(h.2)).collect(),
                ),
            ],
        ),
    );
    // Outcomes by type.
    o.push_str("<h2>Outcomes by traveller type</h2><table id=\"outcomes\"><tr><th>type</th><th>outcomes</th></tr>");
    for (ty, m) in &r.outcomes_by_type {
        let cells: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(ty),
            esc(&cells.join(", "))
        );
    }
    o.push_str("</table>");
    let types: Vec<String> = r.outcomes_by_type.keys().cloned().collect();
    let series: Vec<(&str, Vec<f64>)> = ["accepted", "referred", "aborted", "no_passage"]
        .iter()
        .map(|k| {
            (
                *k,
                r.outcomes_by_type
                    .values()
                    .map(|m| f64::from(m.get(*k).copied().unwrap_or(0)))
                    .collect(),
            )
        })
        .collect();
    figure(
        &mut o,
        "outcomes",
        bars(
            "Outcomes by traveller type",
            "",
            "travellers",
            &types,
            &series,
        ),
    );
    let reasons: Vec<String> = r.referral_reasons.keys().cloned().collect();
    figure(
        &mut o,
        "reasons",
        bars(
            "Referral reasons",
            "",
            "passages",
            &reasons,
            &[(
                "passages",
                r.referral_reasons.values().map(|v| f64::from(*v)).collect(),
            )],
        ),
    );
    // Faults.
    o.push_str("<h2>Faults and recovery</h2><table id=\"faults\"><tr><th>fault</th><th>gate</th><th>at</th><th>cleared</th><th>recovered</th><th>recovery</th><th>passages affected</th></tr>");
    let opt = |v: Option<f64>| v.map_or("—".to_string(), |v| format!("{v:.1} s"));
    for f in &r.faults {
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td><td>{:.1} s</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&f.kind),
            f.gate,
            f.at_s,
            opt(f.cleared_s),
            opt(f.recovered_s),
            opt(f.recovery_s),
            f.passages_affected
        );
    }
    o.push_str("</table>");
    let fl: Vec<String> = r
        .faults
        .iter()
        .map(|f| format!("{} (gate {})", f.kind, f.gate))
        .collect();
    figure(
        &mut o,
        "recovery",
        bars(
            "Recovery after each fault",
            "",
            "seconds",
            &fl,
            &[(
                "recovery",
                r.faults
                    .iter()
                    .map(|f| f.recovery_s.unwrap_or(0.0))
                    .collect(),
            )],
        ),
    );
    // PAD.
    o.push_str("<h2>Presentation attack detection by species</h2><table id=\"pad\"><tr><th>species</th><th>results</th></tr>");
    for (sp, m) in &r.pad {
        let cells: Vec<String> = m.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        let _ = write!(
            o,
            "<tr><td>{}</td><td>{}</td></tr>",
            esc(sp),
            esc(&cells.join(", "))
        );
    }
    o.push_str("</table>");
    let sp: Vec<String> = r.pad.keys().cloned().collect();
    let pad_series: Vec<(&str, Vec<f64>)> = ["pad_live", "pad_attack", "pad_inconclusive"]
        .iter()
        .map(|k| {
            (
                *k,
                r.pad
                    .values()
                    .map(|m| f64::from(m.get(*k).copied().unwrap_or(0)))
                    .collect(),
            )
        })
        .collect();
    figure(
        &mut o,
        "pad",
        bars("PAD verdicts by species", "", "captures", &sp, &pad_series),
    );
    // Resources.
    let m = &r.measured;
    o.push_str("<h2>Resources over the run</h2>");
    if let (Some(a), Some(z)) = (m.resources.first(), m.resources.last()) {
        let _ = write!(
            o,
            "<p id=\"resources\">Resident memory {} KiB at the start, {} KiB at the end; open file descriptors {} at the start, {} at the end. Wall-clock {:.1} s ({}× virtual time).</p>",
            a.rss_kib, z.rss_kib, a.fds, z.fds, m.wall_s, m.speedup
        );
    }
    figure(
        &mut o,
        "rss",
        lines(
            "Resident memory",
            "passages done",
            "KiB",
            &[(
                "RSS",
                m.resources
                    .iter()
                    .map(|s| (f64::from(s.done), s.rss_kib as f64))
                    .collect(),
            )],
            false,
        ),
    );
    figure(
        &mut o,
        "fds",
        lines(
            "Open file descriptors",
            "passages done",
            "descriptors",
            &[(
                "fds",
                m.resources
                    .iter()
                    .map(|s| (f64::from(s.done), f64::from(s.fds)))
                    .collect(),
            )],
            false,
        ),
    );
    // Model and reproduction.
    o.push_str("<h2>Model</h2><table id=\"model\">");
    for (k, v) in &r.model {
        let _ = write!(
            o,
            "<tr><th>{}</th><td>{}</td></tr>",
            esc(k),
            esc(&v.to_string())
        );
    }
    for (k, v) in &r.engine {
        let _ = write!(o, "<tr><th>engine.{}</th><td>{v}</td></tr>", esc(k));
    }
    o.push_str("</table><h2>Reproduction</h2><table id=\"reproduction\">");
    for (k, v) in &r.reproduction.build {
        let _ = write!(o, "<tr><th>build.{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    for (k, v) in &r.reproduction.checks {
        let _ = write!(o, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
    }
    let _ = write!(
        o,
        "<tr><th>seed</th><td>{}</td></tr><tr><th>command</th><td><code>{}</code></td></tr></table><pre id=\"scenario\">{}</pre>",
        r.reproduction.seed,
        esc(&r.reproduction.command),
        esc(&r.reproduction.scenario_text)
    );
    o.push_str("</body></html>\n");
    o
}
