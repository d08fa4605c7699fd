//! Where the administration's own value lies against a published cell's interval, and only
//! where the interval supports a statement: above its upper bound, below its lower bound, or
//! inside it. A suppressed cell, or a cell without an own value, gets no verdict.

use serde::Serialize;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;

/// The position of the own value against the cohort's 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Above the interval's upper bound.
    Above,
    /// Inside the interval (bounds included): not distinguishable from the cohort.
    Inside,
    /// Below the interval's lower bound.
    Below,
}

impl Verdict {
    /// The verdict for `own` against a published cell; `None` for a suppressed cell, without an
    /// own value, or for an interval that is not a proper interval (NaN, reversed).
    pub fn of(own: Option<f64>, cell: &pb::Cell) -> Option<Verdict> {
        if cell.suppressed {
            return None;
        }
        let own = own.filter(|v| v.is_finite())?;
        let (lo, hi) = (cell.ci_low, cell.ci_high);
        // NaN bounds and reversed intervals support no verdict.
        if lo.is_nan() || hi.is_nan() || lo > hi {
            return None;
        }
        Some(if own > hi {
            Verdict::Above
        } else if own < lo {
            Verdict::Below
        } else {
            Verdict::Inside
        })
    }

    /// The verdict as people read it.
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            Verdict::Above => lang.pick("über dem Kohortenwert", "above the cohort value"),
            Verdict::Inside => lang.pick("im Bereich der Kohorte", "within the cohort's range"),
            Verdict::Below => lang.pick("unter dem Kohortenwert", "below the cohort value"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(lo: f64, hi: f64, suppressed: bool) -> pb::Cell {
        pb::Cell {
            estimate: (lo + hi) / 2.0,
            ci_low: lo,
            ci_high: hi,
            suppressed,
            ..Default::default()
        }
    }

    #[test]
    fn a_verdict_only_where_the_interval_supports_one() {
        let c = cell(2.5, 3.1, false);
        assert_eq!(Verdict::of(Some(3.2), &c), Some(Verdict::Above));
        assert_eq!(Verdict::of(Some(2.4), &c), Some(Verdict::Below));
        assert_eq!(Verdict::of(Some(2.8), &c), Some(Verdict::Inside));
        // The bounds belong to the interval.
        assert_eq!(Verdict::of(Some(3.1), &c), Some(Verdict::Inside));
        assert_eq!(Verdict::of(Some(2.5), &c), Some(Verdict::Inside));
        // No own value, a suppressed cell, a broken interval: no verdict.
        assert_eq!(Verdict::of(None, &c), None);
        assert_eq!(Verdict::of(Some(5.0), &cell(2.5, 3.1, true)), None);
        assert_eq!(Verdict::of(Some(1.0), &cell(2.5, 3.1, true)), None);
        assert_eq!(Verdict::of(Some(1.0), &cell(f64::NAN, 3.1, false)), None);
        assert_eq!(Verdict::of(Some(1.0), &cell(3.1, 2.5, false)), None);
        assert_eq!(Verdict::of(Some(f64::NAN), &c), None);
        assert_eq!(Verdict::Above.label(Lang::De), "über dem Kohortenwert");
        assert_eq!(Verdict::Below.label(Lang::De), "unter dem Kohortenwert");
        assert_eq!(Verdict::Inside.label(Lang::De), "im Bereich der Kohorte");
        assert_eq!(Verdict::Inside.label(Lang::En), "within the cohort's range");
    }
}
