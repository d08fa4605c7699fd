//! Display helpers shared by the node's and the aggregator's output.

use crate::i18n::Lang;
use crate::pb;

/// Localised reason for a suppressed cell.
pub fn suppression_text(cell: &pb::Cell, lang: Lang, k: Option<u32>) -> String {
    let text = match pb::Suppression::try_from(cell.suppression).unwrap_or(pb::Suppression::None) {
        pb::Suppression::BelowMinCohort => match k {
            Some(k) => format!(
                "{} (< {k})",
                lang.pick("zu wenige Teilnehmende", "too few contributors")
            ),
            None => lang
                .pick("zu wenige Teilnehmende", "too few contributors")
                .to_string(),
        },
        pb::Suppression::TooFewReports => format!(
            "{} ({})",
            lang.pick("zu wenige Meldungen", "too few reports"),
            cell.reporters
        ),
        pb::Suppression::TooImprecise => lang
            .pick(
                "zu ungenau (Intervall zu breit)",
                "too imprecise (interval too wide)",
            )
            .to_string(),
        pb::Suppression::None => cell.suppression_reason.clone(),
    };
    if cell.fallback_cohort.is_empty() {
        text
    } else {
        format!(
            "{text}; {} {}",
            lang.pick("siehe", "see"),
            cell.fallback_cohort
        )
    }
}

/// A value clipped into `[lo, hi]` for display, with a marker `*` when it was clipped. Unbiased
/// estimates under local noise can fall outside the possible range; the data keeps them as they
/// are.
pub fn clipped(v: f64, lo: f64, hi: f64) -> String {
    if v < lo {
        format!("{lo:.2}*")
    } else if v > hi {
        format!("{hi:.2}*")
    } else {
        format!("{v:.2} ")
    }
}

/// A whole number with thousands separators: `3.840.000` (de) or `3,840,000` (en).
pub fn thousands(n: u64, lang: Lang) -> String {
    let digits = n.to_string();
    let sep = lang.pick(".", ",");
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push_str(sep);
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(3_840_000, Lang::De), "3.840.000");
        assert_eq!(thousands(3_840_000, Lang::En), "3,840,000");
        assert_eq!(thousands(999, Lang::De), "999");
        assert_eq!(thousands(0, Lang::En), "0");
    }
}
