//! Plots as inline SVG: line charts (optionally log-log, for DET curves) and bar charts. No
//! scripts, no external fonts or files: the report prints and opens offline.

use std::fmt::Write;

const W: f64 = 640.0;
const H: f64 = 300.0;
const L: f64 = 64.0;
const R: f64 = 16.0;
const T: f64 = 28.0;
const B: f64 = 48.0;

/// Colours of successive series (print well in greyscale too: distinct lightness).
pub const COLOURS: [&str; 4] = ["#1f4e9c", "#c0392b", "#2e7d32", "#8e6c00"];

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(v: f64) -> String {
    if v == 0.0 {
        "0".into()
    } else if v.abs() >= 1000.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else if v.abs() >= 0.01 {
        format!("{v:.2}")
    } else {
        format!("{v:.0e}")
    }
}

struct Axis {
    lo: f64,
    hi: f64,
    log: bool,
}

impl Axis {
    fn new(values: impl Iterator<Item = f64>, log: bool, zero: bool) -> Axis {
        let (mut lo, mut hi) = (f64::MAX, f64::MIN);
        for v in values.filter(|v| v.is_finite() && (!log || *v > 0.0)) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if lo > hi {
            (lo, hi) = if log { (1e-4, 1.0) } else { (0.0, 1.0) };
        }
        if zero && !log {
            lo = lo.min(0.0);
        }
        if log {
            lo = 10f64.powf(lo.log10().floor());
            hi = 10f64.powf(hi.log10().ceil().max(lo.log10() + 1.0));
        } else if hi - lo < 1e-9 {
            hi = lo + 1.0;
        }
        Axis { lo, hi, log }
    }

    fn frac(&self, v: f64) -> f64 {
        if self.log {
            let v = v.max(self.lo);
            (v.log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        }
    }

    fn ticks(&self) -> Vec<f64> {
        if self.log {
            let (a, b) = (
                self.lo.log10().round() as i32,
                self.hi.log10().round() as i32,
            );
            (a..=b).map(|e| 10f64.powi(e)).collect()
        } else {
            (0..=4)
                .map(|k| self.lo + (self.hi - self.lo) * f64::from(k) / 4.0)
                .collect()
        }
    }
}

fn frame(out: &mut String, title: &str, xl: &str, yl: &str, x: Option<&Axis>, y: &Axis) {
    let _ = write!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="plot" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="{t}"><title>{t}</title><text x="{cx}" y="18" text-anchor="middle" font-size="14" font-weight="bold">{t}</text>"#,
        t = esc(title),
        cx = W / 2.0
    );
    let (x0, x1, y0, y1) = (L, W - R, H - B, T);
    let _ = write!(
        out,
        r##"<rect x="{x0}" y="{y1}" width="{}" height="{}" fill="none" stroke="#444"/>"##,
        x1 - x0,
        y0 - y1
    );
    for v in x.map(Axis::ticks).unwrap_or_default() {
        let Some(x) = x else { break };
        let px = x0 + x.frac(v) * (x1 - x0);
        let _ = write!(
            out,
            r##"<line x1="{px:.1}" y1="{y0}" x2="{px:.1}" y2="{:.1}" stroke="#444"/><text x="{px:.1}" y="{:.1}" text-anchor="middle" font-size="11">{}</text>"##,
            y0 + 4.0,
            y0 + 16.0,
            num(v)
        );
    }
    for v in y.ticks() {
        let py = y0 - y.frac(v) * (y0 - y1);
        let _ = write!(
            out,
            r##"<line x1="{:.1}" y1="{py:.1}" x2="{x1}" y2="{py:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11">{}</text>"##,
            x0 - 4.0,
            x0 - 6.0,
            py + 4.0,
            num(v)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle" font-size="12">{}</text><text x="14" y="{:.1}" text-anchor="middle" font-size="12" transform="rotate(-90 14 {:.1})">{}</text>"#,
        (x0 + x1) / 2.0,
        H - 10.0,
        esc(xl),
        (y0 + y1) / 2.0,
        (y0 + y1) / 2.0,
        esc(yl)
    );
}

/// A series of a line chart: name and points.
pub type Series<'a> = (&'a str, Vec<(f64, f64)>);

/// A line chart of one or more series; `log` puts both axes on a log scale.
pub fn lines(title: &str, xl: &str, yl: &str, series: &[Series], log: bool) -> String {
    let x = Axis::new(
        series.iter().flat_map(|s| s.1.iter().map(|p| p.0)),
        log,
        !log,
    );
    let y = Axis::new(
        series.iter().flat_map(|s| s.1.iter().map(|p| p.1)),
        log,
        !log,
    );
    let mut out = String::new();
    frame(&mut out, title, xl, yl, Some(&x), &y);
    let (x0, x1, y0, y1) = (L, W - R, H - B, T);
    for (k, (name, pts)) in series.iter().enumerate() {
        let colour = COLOURS[k % COLOURS.len()];
        let path: Vec<String> = pts
            .iter()
            .filter(|(a, b)| a.is_finite() && b.is_finite())
            .map(|&(a, b)| {
                format!(
                    "{:.1},{:.1}",
                    x0 + x.frac(a).clamp(0.0, 1.0) * (x1 - x0),
                    y0 - y.frac(b).clamp(0.0, 1.0) * (y0 - y1)
                )
            })
            .collect();
        let _ = write!(
            out,
            r#"<polyline class="series" fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            path.join(" ")
        );
        if pts.len() == 1 {
            let (a, b) = pts[0];
            let _ = write!(
                out,
                r#"<circle cx="{:.1}" cy="{:.1}" r="4" fill="{colour}"/>"#,
                x0 + x.frac(a).clamp(0.0, 1.0) * (x1 - x0),
                y0 - y.frac(b).clamp(0.0, 1.0) * (y0 - y1)
            );
        }
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{colour}">{}</text>"#,
            x0 + 8.0,
            y1 + 14.0 + 13.0 * k as f64,
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

/// A bar chart: one group of bars per label, one bar per series in each group.
pub fn bars(
    title: &str,
    xl: &str,
    yl: &str,
    labels: &[String],
    series: &[(&str, Vec<f64>)],
) -> String {
    let y = Axis::new(series.iter().flat_map(|s| s.1.iter().copied()), false, true);
    let mut out = String::new();
    // Labels under the bars instead of x ticks.
    frame(&mut out, title, xl, yl, None, &y);
    let (x0, x1, y0, y1) = (L, W - R, H - B, T);
    let n = labels.len().max(1) as f64;
    let group = (x1 - x0) / n;
    let k = series.len().max(1) as f64;
    let bw = (group * 0.8 / k).max(1.0);
    for (gi, label) in labels.iter().enumerate() {
        let gx = x0 + group * gi as f64 + group * 0.1;
        for (si, (_, vals)) in series.iter().enumerate() {
            let v = vals.get(gi).copied().unwrap_or(0.0);
            let h = y.frac(v).clamp(0.0, 1.0) * (y0 - y1);
            let _ = write!(
                out,
                r#"<rect class="bar" x="{:.1}" y="{:.1}" width="{bw:.1}" height="{h:.1}" fill="{}"><title>{}: {}</title></rect>"#,
                gx + bw * si as f64,
                y0 - h,
                COLOURS[si % COLOURS.len()],
                esc(label),
                num(v)
            );
        }
        if labels.len() <= 24 {
            let cx = gx + group * 0.4;
            let _ = write!(
                out,
                r#"<text x="{cx:.1}" y="{:.1}" font-size="9" text-anchor="end" transform="rotate(-35 {cx:.1} {:.1})">{}</text>"#,
                y0 + 12.0,
                y0 + 12.0,
                esc(label)
            );
        }
    }
    for (si, (name, _)) in series.iter().enumerate() {
        let _ = write!(
            out,
            r#"<text x="{:.1}" y="{:.1}" font-size="11" fill="{}">{}</text>"#,
            x1 - 150.0,
            y1 + 14.0 + 13.0 * si as f64,
            COLOURS[si % COLOURS.len()],
            esc(name)
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plots_are_well_formed_svg_even_when_empty() {
        for svg in [
            lines("t", "x", "y", &[("a", vec![])], false),
            lines("t", "x", "y", &[("a", vec![(0.0, 0.0), (1.0, 2.0)])], true),
            bars("t", "x", "y", &[], &[]),
            bars("t<&>", "x", "y", &["a".into()], &[("s", vec![3.0])]),
        ] {
            assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
            assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
            assert!(!svg.contains("t<&>"));
        }
    }
}
