//! The node's privacy policy applied: whether a round may be taken part in ([`check_round`]) and
//! the privacy budget. The budget is a rolling window of the last 365 days (not a calendar year,
//! which would let two yearly budgets be spent around New Year), plus an optional cap over the
//! node's lifetime. Both are computed from the ledger in one place ([`budget`]); the round check,
//! `status`, `privacy` and the report for the data protection officer all use it. [`by_year`]
//! only sums the history per calendar year for display.

use std::collections::BTreeMap;

use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, MetricDef};
use sovbench_core::pb;
use sovbench_core::time::{format_utc, year_of};

use crate::config::PrivacyPolicy;
use crate::error::NodeError;
use crate::model::LedgerEntry;

/// Length of the budget window in days.
pub const WINDOW_DAYS: i64 = 365;
/// Length of the budget window in seconds.
pub const WINDOW_SECS: i64 = WINDOW_DAYS * 86_400;

/// Epsilon that leaves the window at a time: a release recorded at `t` counts until
/// `t + WINDOW_SECS`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Freeing {
    /// When the epsilon stops counting (Unix seconds).
    pub at: i64,
    /// How much.
    pub epsilon: f64,
}

/// The privacy budget at one time: the rolling window and the lifetime total.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    /// The time it was computed for (Unix seconds).
    pub now: i64,
    /// The window's length in days.
    pub window_days: i64,
    /// Releases recorded after this time count (Unix seconds, exclusive).
    pub window_start: i64,
    /// Epsilon spent in the window (all recorded releases, delivered or not).
    pub spent: f64,
    /// Rounds with a release in the window.
    pub rounds: usize,
    /// The policy's limit for any 365 days (`privacy.max_epsilon_per_year`).
    pub limit: f64,
    /// What is left in the window.
    pub remaining: f64,
    /// When the window's releases stop counting, earliest first.
    pub frees_up: Vec<Freeing>,
    /// Epsilon spent over the node's lifetime.
    pub lifetime_spent: f64,
    /// The policy's lifetime cap (`privacy.max_epsilon_lifetime`), if any.
    pub lifetime_limit: Option<f64>,
    /// What is left of the lifetime cap, if any.
    pub lifetime_remaining: Option<f64>,
}

impl Budget {
    /// The earliest time at which a round costing `epsilon` fits into the window, if it ever
    /// does (not if it exceeds the limit itself or the lifetime cap).
    pub fn fits_from(&self, epsilon: f64) -> Option<i64> {
        if epsilon > self.limit + 1e-12
            || self.lifetime_remaining.is_some_and(|r| epsilon > r + 1e-12)
        {
            return None;
        }
        let mut spent = self.spent;
        if spent + epsilon <= self.limit + 1e-12 {
            return Some(self.now);
        }
        for f in &self.frees_up {
            spent -= f.epsilon;
            if spent + epsilon <= self.limit + 1e-12 {
                return Some(f.at);
            }
        }
        None
    }
}

/// The budget at `now`: epsilon of the releases recorded in the last 365 days and over the
/// node's lifetime, against the policy. The one budget computation of the node.
pub fn budget(ledger: &[LedgerEntry], policy: &PrivacyPolicy, now: i64) -> Budget {
    let window_start = now - WINDOW_SECS;
    // Sums start at 0.0 (not Rust's float sum, which starts at -0.0 and would print "-0").
    let (mut spent, mut rounds, mut lifetime) = (0.0, 0, 0.0);
    let mut frees_up = Vec::new();
    for e in ledger {
        lifetime += e.epsilon;
        if e.recorded_at > window_start {
            spent += e.epsilon;
            rounds += 1;
            frees_up.push(Freeing {
                at: e.recorded_at + WINDOW_SECS,
                epsilon: e.epsilon,
            });
        }
    }
    frees_up.sort_by_key(|f| f.at);
    let lifetime_limit = policy.max_epsilon_lifetime;
    Budget {
        now,
        window_days: WINDOW_DAYS,
        window_start,
        spent,
        rounds,
        limit: policy.max_epsilon_per_year,
        remaining: (policy.max_epsilon_per_year - spent).max(0.0),
        frees_up,
        lifetime_spent: lifetime,
        lifetime_limit,
        lifetime_remaining: lifetime_limit.map(|l| (l - lifetime).max(0.0)),
    }
}

/// Epsilon spent and rounds released per calendar year (UTC) of the ledger entries' recording
/// time: history for display. Limits apply to the rolling window ([`budget`]), not to these.
pub fn by_year(ledger: &[LedgerEntry]) -> BTreeMap<i64, (f64, usize)> {
    let mut years: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for e in ledger {
        let y = years.entry(year_of(e.recorded_at)).or_insert((0.0, 0));
        y.0 += e.epsilon;
        y.1 += 1;
    }
    years
}

/// Checks a round in mode direct against the catalogue, the protocol and the node's privacy
/// policy; returns the definitions of the metrics it asks for, in the round's order. Rounds in
/// mode secure are checked by [`super::secure::check`].
pub fn check_round<'c>(
    params: &pb::RoundParams,
    policy: &PrivacyPolicy,
    catalogue: &'c Catalogue,
    budget: &Budget,
    now: i64,
) -> Result<Vec<&'c MetricDef>, NodeError> {
    let bad = |reason: String| NodeError::BadRound {
        round: params.round_id.clone(),
        reason,
    };
    if params.mode != pb::RoundMode::Direct as i32 {
        return Err(bad(format!(
            "mode {} is not supported by this node (direct or secure)",
            params.mode
        )));
    }
    let defs = check_common(params, policy, catalogue, now)?;
    let eps = params.epsilon_per_release;
    if !(eps.is_finite() && eps > 0.0) {
        return Err(bad(format!(
            "epsilon per release {eps} is not a positive number"
        )));
    }
    let (count, round_eps) = direct_cost(params);
    check_epsilon(
        &params.round_id,
        round_eps,
        &format!("{round_eps} ({count} releases x {eps})"),
        policy,
        budget,
    )?;
    Ok(defs)
}

/// What a round in mode direct costs a node: how many values it releases (`releases_per_node`,
/// 0 for every metric, at most the number of metrics) and their epsilon in total.
pub fn direct_cost(params: &pb::RoundParams) -> (usize, f64) {
    let asked = params.metrics.len();
    let count = match params.releases_per_node as usize {
        0 => asked,
        m => m.min(asked),
    };
    (count, params.epsilon_per_release * count as f64)
}

/// The checks of every mode: the catalogue, the round's time window, the metrics (known, as the
/// catalogue describes them, each once) and the cohort minimum k against the policy.
pub fn check_common<'c>(
    params: &pb::RoundParams,
    policy: &PrivacyPolicy,
    catalogue: &'c Catalogue,
    now: i64,
) -> Result<Vec<&'c MetricDef>, NodeError> {
    let bad = |reason: String| NodeError::BadRound {
        round: params.round_id.clone(),
        reason,
    };
    if params.catalogue_hash != catalogue.hash() {
        return Err(bad(format!(
            "metric catalogue {} differs from this node's {} (update sovbench-node or ask the consortium)",
            short_hex(&params.catalogue_hash),
            short_hex(&catalogue.hash())
        )));
    }
    if now >= params.closes_at {
        return Err(bad(format!(
            "closed at {}",
            sovbench_core::time::format_utc(params.closes_at)
        )));
    }
    if now < params.opens_at {
        return Err(bad(format!(
            "opens only at {}",
            sovbench_core::time::format_utc(params.opens_at)
        )));
    }
    if params.metrics.is_empty() {
        return Err(bad("asks for no metrics".into()));
    }
    let mut defs = Vec::with_capacity(params.metrics.len());
    for spec in &params.metrics {
        let def = catalogue
            .metric(&spec.id)
            .ok_or_else(|| bad(format!("unknown metric {}", spec.id)))?;
        if !def.matches(spec) {
            return Err(bad(format!(
                "metric {} is described differently from the catalogue",
                spec.id
            )));
        }
        if defs.iter().any(|d: &&MetricDef| d.id == def.id) {
            return Err(bad(format!("metric {} is asked for twice", spec.id)));
        }
        defs.push(def);
    }
    if params.min_cohort < policy.min_cohort {
        return Err(NodeError::Policy {
            round: params.round_id.clone(),
            parameter: "minimum cohort size k",
            value: params.min_cohort.to_string(),
            limit: format!("at least {} (privacy.min_cohort)", policy.min_cohort),
        });
    }
    Ok(defs)
}

/// Checks what a round would cost, `round_eps` (described as `value` in a refusal), against the
/// policy's limit per round and the budget: the last 365 days and the lifetime cap. The one
/// budget check of every mode.
pub fn check_epsilon(
    round_id: &str,
    round_eps: f64,
    value: &str,
    policy: &PrivacyPolicy,
    budget: &Budget,
) -> Result<(), NodeError> {
    let policy_err = |parameter: &'static str, value: String, limit: String| NodeError::Policy {
        round: round_id.to_string(),
        parameter,
        value,
        limit,
    };
    if round_eps > policy.max_epsilon_per_round + 1e-12 {
        return Err(policy_err(
            "epsilon per round",
            value.to_string(),
            format!(
                "at most {} (privacy.max_epsilon_per_round)",
                policy.max_epsilon_per_round
            ),
        ));
    }
    if budget.spent + round_eps > budget.limit + 1e-12 {
        let when = match budget.fits_from(round_eps) {
            Some(t) => format!("; a round like this fits again from {}", format_utc(t)),
            None => String::new(),
        };
        return Err(policy_err(
            "epsilon in the last 365 days",
            format!(
                "{} ({} spent since {} + {round_eps} for this round)",
                budget.spent + round_eps,
                budget.spent,
                format_utc(budget.window_start)
            ),
            format!(
                "at most {} (privacy.max_epsilon_per_year, any 365 days){when}",
                budget.limit
            ),
        ));
    }
    if let Some(cap) = budget.lifetime_limit {
        if budget.lifetime_spent + round_eps > cap + 1e-12 {
            return Err(policy_err(
                "epsilon over the node's lifetime",
                format!(
                    "{} ({} spent + {round_eps} for this round)",
                    budget.lifetime_spent + round_eps,
                    budget.lifetime_spent
                ),
                format!("at most {cap} (privacy.max_epsilon_lifetime)"),
            ));
        }
    }
    Ok(())
}

fn short_hex(b: &[u8]) -> String {
    hex::encode(&b[..b.len().min(6)])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none() -> Budget {
        budget(&[], &PrivacyPolicy::default(), 1)
    }

    fn spent(eps: f64) -> Budget {
        budget(&[entry("old", 0, eps)], &PrivacyPolicy::default(), 1)
    }

    fn round(eps: f64, m: u32, k: u32) -> pb::RoundParams {
        let c = Catalogue::current();
        pb::RoundParams {
            round_id: "2026-q4".into(),
            mode: pb::RoundMode::Direct as i32,
            metrics: c.default_round_metrics().iter().map(|d| d.spec()).collect(),
            epsilon_per_release: eps,
            releases_per_node: m,
            min_cohort: k,
            opens_at: 0,
            closes_at: 2_000_000_000,
            catalogue_hash: c.hash().to_vec(),
            consortium: "test".into(),
            secure: None,
        }
    }

    #[test]
    fn policy_refusals_name_parameter_round_value_and_limit() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        assert_eq!(
            check_round(&round(1.0, 1, 10), &p, &c, &none(), 1)
                .unwrap()
                .len(),
            5
        );
        let e = check_round(&round(1.0, 0, 10), &p, &c, &none(), 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("epsilon per round")
                && e.contains("5 (5 releases x 1)")
                && e.contains("at most 2"),
            "{e}"
        );
        let e = check_round(&round(1.0, 1, 5), &p, &c, &none(), 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("minimum cohort size k is 5") && e.contains("at least 10"),
            "{e}"
        );
        let e = check_round(&round(2.0, 1, 10), &p, &c, &spent(3.0), 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("epsilon in the last 365 days"), "{e}");
    }

    #[test]
    fn foreign_catalogue_closed_rounds_and_odd_metrics_are_refused() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        let mut r = round(1.0, 1, 10);
        r.catalogue_hash = vec![0; 32];
        assert!(check_round(&r, &p, &c, &none(), 1)
            .unwrap_err()
            .to_string()
            .contains("catalogue"));
        let r = round(1.0, 1, 10);
        assert!(check_round(&r, &p, &c, &none(), 2_000_000_000)
            .unwrap_err()
            .to_string()
            .contains("closed"));
        let mut r = round(1.0, 1, 10);
        r.metrics[0].upper = 7;
        assert!(check_round(&r, &p, &c, &none(), 1).is_err());
        let mut r = round(1.0, 1, 10);
        r.metrics.push(r.metrics[0].clone());
        assert!(check_round(&r, &p, &c, &none(), 1)
            .unwrap_err()
            .to_string()
            .contains("twice"));
    }

    fn entry(round: &str, recorded_at: i64, epsilon: f64) -> LedgerEntry {
        LedgerEntry {
            round_id: round.into(),
            recorded_at,
            epsilon,
            releases: Vec::new(),
            payload_sha256: String::new(),
            state: crate::model::DeliveryState::Delivered,
            mode: Default::default(),
            secure: None,
            aggregator: String::new(),
        }
    }

    // 2026-12-31T23:59:59Z and 2027-01-01T00:00:00Z.
    const DEC: i64 = 1_798_761_599;
    const JAN: i64 = 1_798_761_600;
    const DAY: i64 = 86_400;

    #[test]
    fn the_budget_is_a_rolling_365_day_window_not_a_calendar_year() {
        // The old budget reset on 1 January: 4 spent on 31 December and 4 more on 1 January
        // were both allowed. The window counts both.
        let p = PrivacyPolicy::default();
        let ledger = [entry("dec-a", DEC - DAY, 2.0), entry("dec-b", DEC, 2.0)];
        let b = budget(&ledger, &p, JAN);
        assert_eq!((b.spent, b.rounds, b.remaining), (4.0, 2, 0.0));
        let e = check_round(&round(2.0, 1, 10), &p, &Catalogue::current(), &b, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("epsilon in the last 365 days is 6")
                && e.contains("at most 4 (privacy.max_epsilon_per_year, any 365 days)")
                && e.contains("fits again from 2027-12-30"),
            "{e}"
        );
        // The first release frees up 365 days after it was recorded, the second a second later.
        assert_eq!(b.fits_from(2.0), Some(DEC - DAY + WINDOW_SECS));
        assert_eq!(b.fits_from(4.0), Some(DEC + WINDOW_SECS));
        assert_eq!(b.fits_from(4.5), None, "more than the limit never fits");
        let later = budget(&ledger, &p, DEC - DAY + WINDOW_SECS);
        assert_eq!((later.spent, later.rounds), (2.0, 1));
        assert!(check_round(&round(2.0, 1, 10), &p, &Catalogue::current(), &later, 1).is_ok());
        assert_eq!(budget(&ledger, &p, DEC + WINDOW_SECS).spent, 0.0);
        assert_eq!(
            budget(&[], &p, JAN).spent.to_string(),
            "0",
            "no negative zero"
        );
        // History per calendar year, for display only.
        let years: Vec<(i64, f64, usize)> = by_year(&[entry("x", DEC, 1.5), entry("y", JAN, 2.0)])
            .into_iter()
            .map(|(y, (e, n))| (y, e, n))
            .collect();
        assert_eq!(years, vec![(2026, 1.5, 1), (2027, 2.0, 1)]);
    }

    #[test]
    fn the_optional_lifetime_cap_refuses_once_reached() {
        let p = PrivacyPolicy {
            max_epsilon_lifetime: Some(6.0),
            ..PrivacyPolicy::default()
        };
        let ledger = [
            entry("a", 0, 2.0),
            entry("b", DAY, 2.0),
            entry("c", 2 * DAY, 1.0),
        ];
        let now = 3 * WINDOW_SECS;
        let b = budget(&ledger, &p, now);
        assert_eq!(
            (b.spent, b.lifetime_spent, b.lifetime_remaining),
            (0.0, 5.0, Some(1.0))
        );
        assert!(check_round(&round(1.0, 1, 10), &p, &Catalogue::current(), &b, 1).is_ok());
        let e = check_round(&round(2.0, 1, 10), &p, &Catalogue::current(), &b, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("epsilon over the node's lifetime is 7")
                && e.contains("at most 6 (privacy.max_epsilon_lifetime)"),
            "{e}"
        );
        assert_eq!(b.fits_from(2.0), None);
        assert_eq!(
            budget(&ledger, &PrivacyPolicy::default(), now).lifetime_remaining,
            None
        );
    }
}
