//! Trends: one cell (metric and cohort) across the published rounds, and each change between
//! consecutive rounds with its own 95% interval.
//!
//! Two rounds' estimates are independent (fresh noise each round), so the change Δ = x₂ − x₁ has
//! the variance of both: with 95% half-widths h₁ and h₂ the change's half-width is
//! √(h₁² + h₂²). The change stands out from the noise when its interval excludes 0. Half-widths
//! are taken as the larger side of each published interval (ratio estimators' intervals can be
//! asymmetric), which keeps the change's interval conservative.

use serde::Serialize;
use sovbench_core::i18n::Lang;
use sovbench_core::pb;

use super::archive::Archived;
use super::labels::signed;

/// One round's value of the cell.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    /// Round id.
    pub round_id: String,
    /// Publication time, Unix seconds.
    pub published_at: i64,
    /// Contributors in the cohort (0 if the round has no such cell).
    pub n: u32,
    /// Estimate, `None` if suppressed or absent.
    pub estimate: Option<f64>,
    /// Lower end of the 95% interval.
    pub ci_low: Option<f64>,
    /// Upper end of the 95% interval.
    pub ci_high: Option<f64>,
    /// Why there is no estimate: a suppression reason, or `absent` when the round has no such cell.
    pub missing: Option<String>,
}

impl Point {
    /// The estimate and the 95% half-width, if published.
    pub fn value(&self) -> Option<(f64, f64)> {
        match (self.estimate, self.ci_low, self.ci_high) {
            (Some(e), Some(lo), Some(hi)) => Some((e, (e - lo).max(hi - e).max(0.0))),
            _ => None,
        }
    }
}

/// The change between two consecutive rounds that both published the cell.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    /// Earlier round.
    pub from: String,
    /// Later round.
    pub to: String,
    /// Later minus earlier estimate.
    pub delta: f64,
    /// Lower end of the change's 95% interval.
    pub ci_low: f64,
    /// Upper end of the change's 95% interval.
    pub ci_high: f64,
    /// Whether the interval excludes 0.
    pub significant: bool,
    /// The plain statement in the answer's language.
    pub statement: String,
}

/// A trend: the points, oldest first, and the changes between consecutive published points.
#[derive(Debug, Clone, Serialize)]
pub struct Trend {
    /// Cell id (metric, category or roll-back rate).
    pub metric: String,
    /// Cohort label.
    pub cohort: String,
    /// One point per published round.
    pub points: Vec<Point>,
    /// One change per pair of consecutive rounds with both estimates published.
    pub changes: Vec<Change>,
}

/// The change from `(x₁, h₁)` to `(x₂, h₂)`: Δ and its 95% interval Δ ± √(h₁² + h₂²).
pub fn change(a: (f64, f64), b: (f64, f64)) -> (f64, f64, f64) {
    let delta = b.0 - a.0;
    let h = a.1.hypot(b.1);
    (delta, delta - h, delta + h)
}

/// The plain statement about a change.
pub fn statement(delta: f64, lo: f64, hi: f64, decimals: usize, lang: Lang) -> String {
    let interval = format!(
        "{} {} {} {}",
        lang.pick("95-%-Intervall", "95% interval"),
        signed(lo, decimals, lang),
        lang.pick("bis", "to"),
        signed(hi, decimals, lang)
    );
    let d = signed(delta, decimals, lang);
    if lo > 0.0 || hi < 0.0 {
        let dir = if delta > 0.0 {
            lang.pick("ein Anstieg", "an increase")
        } else {
            lang.pick("ein Rückgang", "a decrease")
        };
        match lang {
            Lang::De => format!(
                "Die Veränderung um {d} ({interval}) hebt sich vom Rauschen ab: das Intervall schließt 0 aus, es ist {dir}."
            ),
            Lang::En => format!(
                "The change of {d} ({interval}) stands out from the noise: its interval excludes 0, it is {dir}."
            ),
        }
    } else {
        match lang {
            Lang::De => format!(
                "Die Veränderung um {d} ({interval}) hebt sich nicht vom Rauschen ab: das Intervall schließt 0 ein."
            ),
            Lang::En => format!(
                "The change of {d} ({interval}) does not stand out from the noise: its interval includes 0."
            ),
        }
    }
}

/// The trend of `metric` in `cohort` across `rounds` (oldest first).
pub fn trend(
    rounds: &[std::sync::Arc<Archived>],
    metric: &str,
    cohort: &str,
    decimals: usize,
    lang: Lang,
) -> Trend {
    let points: Vec<Point> = rounds
        .iter()
        .map(|a| {
            let p = &a.publication;
            let cell = p
                .cells
                .iter()
                .find(|c| c.metric == metric && c.cohort == cohort);
            point(p, cell)
        })
        .collect();
    let mut changes = Vec::new();
    for w in points.windows(2) {
        if let (Some(a), Some(b)) = (w[0].value(), w[1].value()) {
            let (delta, lo, hi) = change(a, b);
            changes.push(Change {
                from: w[0].round_id.clone(),
                to: w[1].round_id.clone(),
                delta,
                ci_low: lo,
                ci_high: hi,
                significant: lo > 0.0 || hi < 0.0,
                statement: statement(delta, lo, hi, decimals, lang),
            });
        }
    }
    Trend {
        metric: metric.to_string(),
        cohort: cohort.to_string(),
        points,
        changes,
    }
}

fn point(p: &pb::Publication, cell: Option<&pb::Cell>) -> Point {
    let base = Point {
        round_id: p.round_id.clone(),
        published_at: p.published_at,
        n: 0,
        estimate: None,
        ci_low: None,
        ci_high: None,
        missing: Some("absent".into()),
    };
    match cell {
        None => base,
        Some(c) if c.suppressed => Point {
            n: c.n,
            missing: Some(
                pb::Suppression::try_from(c.suppression)
                    .map(|s| s.as_str_name().to_string())
                    .unwrap_or_else(|_| "SUPPRESSION_NONE".into()),
            ),
            ..base
        },
        Some(c) => Point {
            n: c.n,
            estimate: Some(c.estimate),
            ci_low: Some(c.ci_low),
            ci_high: Some(c.ci_high),
            missing: None,
            ..base
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_demo_jump_is_noise_when_the_intervals_are_wide() {
        // 2.07 ± 0.5 to 2.76 ± 0.5: Δ = 0.69 ± 0.707, the interval includes 0.
        let (d, lo, hi) = change((2.07, 0.5), (2.76, 0.5));
        assert!((d - 0.69).abs() < 1e-12);
        assert!(lo < 0.0 && hi > 0.0);
        let s = statement(d, lo, hi, 2, Lang::De);
        assert!(
            s.contains("nicht vom Rauschen") && s.contains("+0,69"),
            "{s}"
        );
        // With ± 0.2 each it stands out: 0.69 ± 0.283.
        let (d, lo, hi) = change((2.07, 0.2), (2.76, 0.2));
        assert!(lo > 0.0);
        let s = statement(d, lo, hi, 2, Lang::En);
        assert!(s.contains("stands out") && s.contains("an increase"), "{s}");
    }

    proptest! {
        /// The change's interval is centred on Δ, at least as wide as each round's, and
        /// symmetric in the order of the rounds.
        #[test]
        fn change_intervals(a in -5.0f64..5.0, b in -5.0f64..5.0, h1 in 0.0f64..3.0, h2 in 0.0f64..3.0) {
            let (d, lo, hi) = change((a, h1), (b, h2));
            prop_assert!((d - (b - a)).abs() < 1e-9);
            prop_assert!(((hi - d) - (d - lo)).abs() < 1e-9);
            prop_assert!(hi - d >= h1.max(h2) - 1e-9);
            prop_assert!(hi - d <= h1 + h2 + 1e-9);
            let (d2, lo2, hi2) = change((b, h2), (a, h1));
            prop_assert!((d2 + d).abs() < 1e-9 && (lo2 + hi).abs() < 1e-9 && (hi2 + lo).abs() < 1e-9);
        }
    }

    #[test]
    fn statements_are_plain_in_both_languages() {
        let s = statement(-0.4, -0.6, -0.2, 2, Lang::De);
        assert!(
            s.contains("hebt sich vom Rauschen ab") && s.contains("Rückgang"),
            "{s}"
        );
    }
}
