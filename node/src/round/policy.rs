//! The node's privacy policy applied: whether a round may be taken part in ([`check_round`]) and
//! the privacy budget per calendar year (UTC). The yearly sum over the ledger is computed in one
//! place ([`by_year`]); the round check, `status`, `privacy` and the report for the data
//! protection officer all use it.

use std::collections::BTreeMap;

use serde::Serialize;
use sovbench_core::catalogue::{Catalogue, MetricDef};
use sovbench_core::pb;
use sovbench_core::time::year_of;

use crate::config::PrivacyPolicy;
use crate::error::NodeError;
use crate::model::LedgerEntry;

/// Budget of one calendar year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearBudget {
    /// Calendar year (UTC).
    pub year: i64,
    /// Epsilon spent (all recorded releases, delivered or not).
    pub spent: f64,
    /// The policy's yearly limit.
    pub limit: f64,
    /// What is left.
    pub remaining: f64,
    /// Rounds with a release in that year.
    pub rounds: usize,
}

impl YearBudget {
    fn new(year: i64, (spent, rounds): (f64, usize), policy: &PrivacyPolicy) -> YearBudget {
        YearBudget {
            year,
            spent,
            limit: policy.max_epsilon_per_year,
            remaining: (policy.max_epsilon_per_year - spent).max(0.0),
            rounds,
        }
    }
}

/// Epsilon spent and rounds released per calendar year (UTC) of the ledger entries' recording
/// time; every release counts, delivered or not.
pub fn by_year(ledger: &[LedgerEntry]) -> BTreeMap<i64, (f64, usize)> {
    let mut years: BTreeMap<i64, (f64, usize)> = BTreeMap::new();
    for e in ledger {
        // Starts at 0.0 (not Rust's float sum, which starts at -0.0 and would print "-0").
        let y = years.entry(year_of(e.recorded_at)).or_insert((0.0, 0));
        y.0 += e.epsilon;
        y.1 += 1;
    }
    years
}

/// Epsilon spent in the calendar year (UTC) of `now`.
pub fn spent_in_year(ledger: &[LedgerEntry], now: i64) -> f64 {
    by_year(ledger).get(&year_of(now)).map_or(0.0, |y| y.0)
}

/// Budget per year over the ledger, always including the year of `now`.
pub fn budgets(ledger: &[LedgerEntry], policy: &PrivacyPolicy, now: i64) -> Vec<YearBudget> {
    let mut years = by_year(ledger);
    years.entry(year_of(now)).or_insert((0.0, 0));
    years
        .into_iter()
        .map(|(year, sum)| YearBudget::new(year, sum, policy))
        .collect()
}

/// The budget of the year of `now`.
pub fn this_year(ledger: &[LedgerEntry], policy: &PrivacyPolicy, now: i64) -> YearBudget {
    let year = year_of(now);
    let sum = by_year(ledger).get(&year).copied().unwrap_or((0.0, 0));
    YearBudget::new(year, sum, policy)
}

/// Checks a round against the catalogue, the protocol and the node's privacy policy; returns the
/// definitions of the metrics it asks for, in the round's order.
pub fn check_round<'c>(
    params: &pb::RoundParams,
    policy: &PrivacyPolicy,
    catalogue: &'c Catalogue,
    spent_this_year: f64,
    now: i64,
) -> Result<Vec<&'c MetricDef>, NodeError> {
    let bad = |reason: String| NodeError::BadRound {
        round: params.round_id.clone(),
        reason,
    };
    if params.mode != pb::RoundMode::Direct as i32 {
        return Err(bad(format!(
            "mode {} is not supported by this node (only direct)",
            params.mode
        )));
    }
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
    let eps = params.epsilon_per_release;
    if !(eps.is_finite() && eps > 0.0) {
        return Err(bad(format!(
            "epsilon per release {eps} is not a positive number"
        )));
    }
    let count = match params.releases_per_node as usize {
        0 => defs.len(),
        m => m.min(defs.len()),
    };
    let round_eps = eps * count as f64;
    let policy_err = |parameter: &'static str, value: String, limit: String| NodeError::Policy {
        round: params.round_id.clone(),
        parameter,
        value,
        limit,
    };
    if round_eps > policy.max_epsilon_per_round + 1e-12 {
        return Err(policy_err(
            "epsilon per round",
            format!("{round_eps} ({count} releases x {eps})"),
            format!(
                "at most {} (privacy.max_epsilon_per_round)",
                policy.max_epsilon_per_round
            ),
        ));
    }
    if params.min_cohort < policy.min_cohort {
        return Err(policy_err(
            "minimum cohort size k",
            params.min_cohort.to_string(),
            format!("at least {} (privacy.min_cohort)", policy.min_cohort),
        ));
    }
    if spent_this_year + round_eps > policy.max_epsilon_per_year + 1e-12 {
        return Err(policy_err(
            "epsilon this year",
            format!(
                "{} ({spent_this_year} spent + {round_eps} for this round)",
                spent_this_year + round_eps
            ),
            format!(
                "at most {} (privacy.max_epsilon_per_year)",
                policy.max_epsilon_per_year
            ),
        ));
    }
    Ok(defs)
}

fn short_hex(b: &[u8]) -> String {
    hex::encode(&b[..b.len().min(6)])
}

#[cfg(test)]
mod tests {
    use super::*;

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
        }
    }

    #[test]
    fn policy_refusals_name_parameter_round_value_and_limit() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        assert_eq!(
            check_round(&round(1.0, 1, 10), &p, &c, 0.0, 1)
                .unwrap()
                .len(),
            5
        );
        let e = check_round(&round(1.0, 0, 10), &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("epsilon per round")
                && e.contains("5 (5 releases x 1)")
                && e.contains("at most 2"),
            "{e}"
        );
        let e = check_round(&round(1.0, 1, 5), &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("minimum cohort size k is 5") && e.contains("at least 10"),
            "{e}"
        );
        let e = check_round(&round(2.0, 1, 10), &p, &c, 3.0, 1)
            .unwrap_err()
            .to_string();
        assert!(e.contains("epsilon this year"), "{e}");
    }

    #[test]
    fn foreign_catalogue_closed_rounds_and_odd_metrics_are_refused() {
        let c = Catalogue::current();
        let p = PrivacyPolicy::default();
        let mut r = round(1.0, 1, 10);
        r.catalogue_hash = vec![0; 32];
        assert!(check_round(&r, &p, &c, 0.0, 1)
            .unwrap_err()
            .to_string()
            .contains("catalogue"));
        let r = round(1.0, 1, 10);
        assert!(check_round(&r, &p, &c, 0.0, 2_000_000_000)
            .unwrap_err()
            .to_string()
            .contains("closed"));
        let mut r = round(1.0, 1, 10);
        r.metrics[0].upper = 7;
        assert!(check_round(&r, &p, &c, 0.0, 1).is_err());
        let mut r = round(1.0, 1, 10);
        r.metrics.push(r.metrics[0].clone());
        assert!(check_round(&r, &p, &c, 0.0, 1)
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
            aggregator: String::new(),
        }
    }

    #[test]
    fn the_budget_is_summed_per_calendar_year_in_one_place() {
        // 2026-12-31T23:59:59Z and 2027-01-01T00:00:00Z.
        let (dec, jan) = (1_798_761_599, 1_798_761_600);
        let ledger = [
            entry("a", dec - 86_400, 1.5),
            entry("b", dec, 1.0),
            entry("c", jan, 2.0),
        ];
        let p = PrivacyPolicy::default();
        assert_eq!(spent_in_year(&ledger, dec), 2.5);
        assert_eq!(spent_in_year(&ledger, jan), 2.0);
        assert_eq!(spent_in_year(&[], jan).to_string(), "0", "no negative zero");
        let years = budgets(&ledger, &p, jan + 366 * 86_400);
        let rows: Vec<(i64, f64, usize, f64)> = years
            .iter()
            .map(|b| (b.year, b.spent, b.rounds, b.remaining))
            .collect();
        assert_eq!(
            rows,
            vec![
                (2026, 2.5, 2, 1.5),
                (2027, 2.0, 1, 2.0),
                (2028, 0.0, 0, 4.0)
            ]
        );
        assert_eq!(this_year(&ledger, &p, dec), years[0]);
        assert_eq!(this_year(&[], &p, dec).remaining, 4.0);
    }
}
