//! An inline SVG chart of a trend: one point per round with its 95% interval as a whisker,
//! labelled axes, and a text alternative (`role="img"`, `<title>`, `<desc>`). The page shows
//! the same data as a table.

use std::fmt::Write as _;

use sovbench_core::i18n::Lang;

use super::esc;
use crate::portal::labels::num;
use crate::portal::trends::Trend;

const W: f64 = 680.0;
const H: f64 = 320.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 16.0;
const BOTTOM: f64 = 64.0;

/// The chart of `t` on the value axis `range` (finite bounds; else the data's), with the axis
/// title `y_title` and the text alternative `summary`.
pub fn svg(t: &Trend, range: (f64, f64), y_title: &str, summary: &str, lang: Lang) -> String {
    let values: Vec<f64> = t
        .points
        .iter()
        .flat_map(|p| [p.ci_low, p.ci_high, p.estimate])
        .flatten()
        .collect();
    let (mut lo, mut hi) = range;
    if !lo.is_finite() || !hi.is_finite() {
        lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
    }
    // Intervals may reach beyond the possible range (local noise): widen the axis to them.
    for v in &values {
        lo = lo.min(*v);
        hi = hi.max(*v);
    }
    if hi - lo < 1e-9 {
        hi = lo + 1.0;
    }
    let decimals = if hi - lo <= 2.0 { 2 } else { 1 };
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let y = |v: f64| TOP + plot_h * (1.0 - (v - lo) / (hi - lo));
    let n = t.points.len().max(1);
    let x = |i: usize| LEFT + plot_w * (i as f64 + 0.5) / n as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg role=\"img\" aria-labelledby=\"chart-title chart-desc\" viewBox=\"0 0 {W} {H}\" width=\"100%\" \
style=\"max-width:{W}px\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"chart-title\">{}</title>\
<desc id=\"chart-desc\">{}</desc>",
        esc(y_title),
        esc(summary)
    );
    // Axes and grid with value labels.
    for k in 0..=4 {
        let v = lo + (hi - lo) * f64::from(k) / 4.0;
        let yy = y(v);
        let _ = write!(
            s,
            "<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#c8c8c8\"/>\
<text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            num(v, decimals, lang)
        );
    }
    let _ = write!(
        s,
        "<line x1=\"{LEFT}\" x2=\"{LEFT}\" y1=\"{TOP}\" y2=\"{}\" stroke=\"#333\"/>\
<line x1=\"{LEFT}\" x2=\"{}\" y1=\"{b}\" y2=\"{b}\" stroke=\"#333\"/>\
<text x=\"14\" y=\"{}\" transform=\"rotate(-90 14 {})\" text-anchor=\"middle\">{}</text>\
<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        H - BOTTOM,
        W - RIGHT,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0,
        esc(y_title),
        LEFT + plot_w / 2.0,
        H - 8.0,
        lang.pick("Runde", "Round"),
        b = H - BOTTOM,
    );
    // Line through the published estimates, then whiskers and points.
    let path: Vec<String> = t
        .points
        .iter()
        .enumerate()
        .filter_map(|(i, p)| p.estimate.map(|e| format!("{:.1},{:.1}", x(i), y(e))))
        .collect();
    if path.len() > 1 {
        let _ = write!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"#0b4f9c\" stroke-width=\"1.5\" stroke-dasharray=\"4 3\"/>",
            path.join(" ")
        );
    }
    for (i, p) in t.points.iter().enumerate() {
        let xx = x(i);
        let _ = write!(
            s,
            "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            H - BOTTOM + 18.0,
            esc(&p.round_id)
        );
        match (p.estimate, p.ci_low, p.ci_high) {
            (Some(e), Some(l), Some(h)) => {
                let _ = write!(
                    s,
                    "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#0b3a6e\" stroke-width=\"2\"/>\
<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{l:.1}\" y2=\"{l:.1}\" stroke=\"#0b3a6e\" stroke-width=\"2\"/>\
<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{h:.1}\" y2=\"{h:.1}\" stroke=\"#0b3a6e\" stroke-width=\"2\"/>\
<circle cx=\"{xx:.1}\" cy=\"{:.1}\" r=\"5\" fill=\"#0b4f9c\"/>",
                    y(l),
                    y(h),
                    xx - 8.0,
                    xx + 8.0,
                    xx - 8.0,
                    xx + 8.0,
                    y(e),
                    l = y(l),
                    h = y(h),
                );
            }
            _ => {
                let _ = write!(
                    s,
                    "<text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                    TOP + plot_h / 2.0,
                    lang.pick("nicht veröffentlicht", "not published")
                );
            }
        }
    }
    s.push_str("</svg>");
    s
}
