//! The administration's position against a cohort's interval, drawn: as a text bar for the
//! terminal ([`text_bar`], `1 ─────[====●====]──◆── 5`) and as an inline SVG for the HTML report
//! ([`position_chart`]: one row per metric, the interval as a band, the estimate as a circle,
//! the own value as a labelled diamond; `role="img"` with a `<title>` and a `<desc>` that says
//! the same in words). Number formatting for both languages lives here too.

use std::fmt::Write as _;

use sovbench_core::i18n::Lang;

use crate::compare::Verdict;
use crate::report::esc;

/// What one chart row shows.
#[derive(Debug, Clone, PartialEq)]
pub struct Position {
    /// Lowest and highest possible value (the axis).
    pub range: (f64, f64),
    /// The cohort's 95% interval (clipped to the range), unless suppressed.
    pub interval: Option<(f64, f64)>,
    /// The cohort's estimate, unless suppressed.
    pub estimate: Option<f64>,
    /// The administration's own value.
    pub own: Option<f64>,
    /// Whether values are shares (axis in percent).
    pub share: bool,
}

/// A number with `decimals` places, with a decimal comma in German.
pub fn num(v: f64, decimals: usize, lang: Lang) -> String {
    let s = format!("{v:.decimals$}");
    match lang {
        Lang::De => s.replace('.', ","),
        Lang::En => s,
    }
}

/// A value as shown: a share in percent, a whole number without places, else two places.
pub fn value(v: f64, share: bool, lang: Lang) -> String {
    if share {
        format!("{}{}", num(v * 100.0, 0, lang), lang.pick(" %", "%"))
    } else if v.fract() == 0.0 {
        num(v, 0, lang)
    } else {
        num(v, 2, lang)
    }
}

/// An estimate as shown: a share in percent, else always two places (estimates are averages).
pub fn estimate(v: f64, share: bool, lang: Lang) -> String {
    if share {
        value(v, true, lang)
    } else {
        num(v, 2, lang)
    }
}

/// An interval as shown: `[2,50; 3,10]` (de) or `[2.50, 3.10]` (en); shares in percent.
pub fn interval(lo: f64, hi: f64, share: bool, lang: Lang) -> String {
    format!(
        "[{}{} {}]",
        estimate(lo, share, lang),
        lang.pick(";", ","),
        estimate(hi, share, lang)
    )
}

/// Where `v` falls on an axis of `cells` positions.
fn slot(v: f64, (lo, hi): (f64, f64), cells: usize) -> usize {
    let t = ((v - lo) / (hi - lo)).clamp(0.0, 1.0);
    (t * (cells - 1) as f64).round() as usize
}

/// The position as a text bar of `cells` characters between the axis ends:
/// `─` the axis, `[`, `=` and `]` the interval, `●` the estimate, `◆` the own value (drawn
/// last, so it is never hidden). Empty for a metric without a finite range.
pub fn text_bar(p: &Position, cells: usize, lang: Lang) -> String {
    let (lo, hi) = p.range;
    if !(lo.is_finite() && hi.is_finite() && hi > lo) || cells < 3 {
        return String::new();
    }
    let mut bar = vec!['─'; cells];
    if let Some((a, b)) = p.interval {
        let (a, b) = (slot(a, p.range, cells), slot(b, p.range, cells));
        for c in &mut bar[a..=b.max(a)] {
            *c = '=';
        }
        bar[a] = '[';
        bar[b.max(a)] = ']';
    }
    if let Some(e) = p.estimate {
        bar[slot(e, p.range, cells)] = '●';
    }
    if let Some(o) = p.own {
        bar[slot(o, p.range, cells)] = '◆';
    }
    format!(
        "{} {} {}",
        value(lo, p.share, lang),
        bar.into_iter().collect::<String>(),
        value(hi, p.share, lang)
    )
}

/// One row of a position chart.
#[derive(Debug, Clone)]
pub struct ChartRow {
    /// The metric's name.
    pub label: String,
    /// What to draw.
    pub position: Position,
    /// The verdict, if the interval supports one.
    pub verdict: Option<Verdict>,
    /// For a suppressed cell: why, and where to look instead.
    pub note: Option<String>,
}

/// The sentence a screen reader (and the `<desc>`) says for one row.
pub fn row_text(r: &ChartRow, lang: Lang) -> String {
    let p = &r.position;
    let own = p.own.map_or_else(
        || lang.pick("kein eigener Wert", "no own value").to_string(),
        |v| {
            format!(
                "{} {}",
                lang.pick("Ihr Wert", "your value"),
                value(v, p.share, lang)
            )
        },
    );
    let cohort = match (p.estimate, p.interval, &r.note) {
        (Some(e), Some((a, b)), _) => format!(
            "{} {} ({} {})",
            lang.pick("Kohortenwert", "cohort value"),
            estimate(e, p.share, lang),
            lang.pick("95-%-Intervall", "95% interval"),
            interval(a, b, p.share, lang)
        ),
        (_, _, Some(note)) => format!(
            "{}: {note}",
            lang.pick(
                "Kohortenwert nicht veröffentlicht",
                "cohort value not published"
            )
        ),
        _ => lang
            .pick(
                "Kohortenwert nicht veröffentlicht",
                "cohort value not published",
            )
            .to_string(),
    };
    let verdict = r
        .verdict
        .map(|v| format!(": {}", v.label(lang)))
        .unwrap_or_default();
    format!("{}: {own}, {cohort}{verdict}.", r.label)
}

const WIDTH: f64 = 760.0;
const X0: f64 = 250.0;
const X1: f64 = 570.0;
const ROW: f64 = 48.0;
const TOP: f64 = 34.0;
const BLUE: &str = "#004b76";
const RED: &str = "#a4161a";
const GREY: &str = "#4d4d4d";

fn x_of(v: f64, (lo, hi): (f64, f64)) -> f64 {
    X0 + ((v - lo) / (hi - lo)).clamp(0.0, 1.0) * (X1 - X0)
}

fn diamond(x: f64, y: f64, r: f64) -> String {
    format!(
        "<polygon points=\"{:.1},{:.1} {:.1},{:.1} {:.1},{:.1} {:.1},{:.1}\" fill=\"{RED}\"/>",
        x,
        y - r,
        x + r,
        y,
        x,
        y + r,
        x - r,
        y
    )
}

/// Cuts a label to `max` characters, with "…" when cut.
fn cut(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        None => s.to_string(),
        Some((i, _)) => format!("{}…", &s[..i]),
    }
}

/// The rows as an inline SVG (well-formed XML, no external references): `id` makes the
/// element ids unique on the page, `title` names the chart.
pub fn position_chart(id: &str, title: &str, rows: &[ChartRow], lang: Lang) -> String {
    let height = TOP + ROW * rows.len() as f64 + 8.0;
    let desc: Vec<String> = rows.iter().map(|r| row_text(r, lang)).collect();
    let mut o = String::new();
    let _ = write!(
        o,
        "<svg role=\"img\" aria-labelledby=\"{id}-t {id}-d\" viewBox=\"0 0 {WIDTH} {height}\" \
         width=\"100%\" style=\"max-width:{WIDTH}px\" font-family=\"DejaVu Sans,Arial,sans-serif\" font-size=\"12\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        esc(title),
        esc(&desc.join(" "))
    );
    // Legend.
    let _ = write!(
        o,
        "<g aria-hidden=\"true\"><rect x=\"{X0}\" y=\"6\" width=\"28\" height=\"12\" fill=\"#a9cce3\" stroke=\"{BLUE}\"/>\
         <text x=\"{}\" y=\"16\" fill=\"#1a1a1a\">{}</text>\
         <circle cx=\"{}\" cy=\"12\" r=\"5\" fill=\"{BLUE}\"/><text x=\"{}\" y=\"16\" fill=\"#1a1a1a\">{}</text>\
         {}<text x=\"{}\" y=\"16\" fill=\"#1a1a1a\">{}</text></g>",
        X0 + 34.0,
        esc(lang.pick("95-%-Intervall der Kohorte", "cohort's 95% interval")),
        X0 + 230.0,
        X0 + 240.0,
        esc(lang.pick("Kohortenwert", "cohort value")),
        diamond(X0 + 356.0, 12.0, 6.0),
        X0 + 366.0,
        esc(lang.pick("Ihr Wert", "your value")),
    );
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + ROW * i as f64;
        let track = y + 22.0;
        let p = &r.position;
        let _ = write!(
            o,
            "<g aria-hidden=\"true\"><text x=\"4\" y=\"{:.1}\" fill=\"#1a1a1a\">{}</text>",
            track + 4.0,
            esc(&cut(&r.label, 34))
        );
        let (lo, hi) = p.range;
        if lo.is_finite() && hi.is_finite() && hi > lo {
            let _ = write!(
                o,
                "<line x1=\"{X0}\" y1=\"{track:.1}\" x2=\"{X1}\" y2=\"{track:.1}\" stroke=\"{GREY}\" stroke-width=\"1\"/>\
                 <text x=\"{X0}\" y=\"{:.1}\" font-size=\"10\" fill=\"{GREY}\">{}</text>\
                 <text x=\"{X1}\" y=\"{:.1}\" font-size=\"10\" fill=\"{GREY}\" text-anchor=\"end\">{}</text>",
                track + 18.0,
                esc(&value(lo, p.share, lang)),
                track + 18.0,
                esc(&value(hi, p.share, lang)),
            );
            if let Some((a, b)) = p.interval {
                let (xa, xb) = (x_of(a, p.range), x_of(b, p.range));
                let _ = write!(
                    o,
                    "<rect x=\"{xa:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"12\" fill=\"#a9cce3\" stroke=\"{BLUE}\"/>",
                    track - 6.0,
                    (xb - xa).max(1.0)
                );
            }
            if let Some(e) = p.estimate {
                let _ = write!(
                    o,
                    "<circle cx=\"{:.1}\" cy=\"{track:.1}\" r=\"4.5\" fill=\"{BLUE}\"/>",
                    x_of(e, p.range)
                );
            }
            if let Some(v) = p.own {
                let x = x_of(v, p.range);
                let _ = write!(
                    o,
                    "{}<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" fill=\"{RED}\" text-anchor=\"middle\">{} {}</text>",
                    diamond(x, track, 7.0),
                    track - 10.0,
                    esc(lang.pick("Ihr Wert", "your value")),
                    esc(&value(v, p.share, lang))
                );
            }
        }
        let side = match (&r.verdict, &r.note) {
            (Some(v), _) => v.label(lang).to_string(),
            (None, Some(_)) => lang
                .pick("nicht veröffentlicht", "not published")
                .to_string(),
            (None, None) => String::new(),
        };
        let _ = write!(
            o,
            "<text x=\"{:.1}\" y=\"{:.1}\" fill=\"#1a1a1a\">{}</text></g>",
            X1 + 14.0,
            track + 4.0,
            esc(&side)
        );
    }
    o.push_str("</svg>");
    o
}

#[cfg(test)]
pub(crate) mod tests;
